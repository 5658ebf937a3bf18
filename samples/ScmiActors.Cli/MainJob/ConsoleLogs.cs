using System.CommandLine;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The CLI's choice of console logging (the library configures none). Text: one short line per
/// event for a terminal, Akka's own infrastructure (cluster, remoting, sharding, coordinated
/// shutdown) only from Warning up; verbose: everything, with the full actor path and properties.
/// Json: Serilog's JSON formatter, one object per event, every property kept.
/// </summary>
public static class ConsoleLogs
{
    /// <summary>Template for the default text lines: time, level, the short source, the message.</summary>
    public const string ShortTemplate = "{Timestamp:HH:mm:ss.fff} {Level:u3} {ShortSource}: {Message:lj}{NewLine}{Exception}";

    public const string VerboseTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] [{LogSource}] {Message:lj} {Properties:j}{NewLine}{Exception}";

    /// <summary>The <c>--log-format text|json</c> option every command that runs an ActorSystem takes.</summary>
    public static Option<string> FormatOption()
    {
        var option = new Option<string>("--log-format")
        {
            Description = "Console logs as 'text' (short lines) or 'json' (one object per event)",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not ("text" or "json") and var other) r.AddError($"--log-format: '{other}' is not text or json");
        });
        return option;
    }

    public static LogFormat Parse(string? text) => text == "json" ? LogFormat.Json : LogFormat.Text;

    /// <summary>
    /// Akka's logging for a CLI host: none at all for <see cref="LogFormat.None"/>; otherwise Serilog on the
    /// console (configured before the ActorSystem starts its loggers), and Akka's fallback stdout logger,
    /// which prints what comes after the Serilog logger stopped, only from Warning up unless verbose.
    /// </summary>
    public static void Configure(AkkaConfigurationBuilder builder, LogFormat format, bool verbose)
    {
        if (format == LogFormat.None)
        {
            builder.AddHocon("akka.loglevel = OFF\nakka.stdout-loglevel = OFF", HoconAddMode.Prepend);
            return;
        }
        if (!verbose) builder.AddHocon("akka.stdout-loglevel = WARNING", HoconAddMode.Prepend);
        Log.Logger = Create(format, verbose);
        builder.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLogger<SerilogLogger>();
        });
    }

    public static Logger Create(LogFormat format, bool verbose)
    {
        var configuration = new LoggerConfiguration().MinimumLevel.Information();
        if (!verbose) configuration = configuration.Filter.ByExcluding(e => e.Level < LogEventLevel.Warning && IsAkkaInternal(e));
        return format switch
        {
            LogFormat.Json => configuration.WriteTo.Console(new JsonFormatter(renderMessage: true)).CreateLogger(),
            _ when verbose => configuration.WriteTo.Console(outputTemplate: VerboseTemplate).CreateLogger(),
            _ => configuration.Enrich.With<ShortSourceEnricher>().WriteTo.Console(outputTemplate: ShortTemplate).CreateLogger(),
        };
    }

    /// <summary>An event logged by Akka.NET itself (its classes, or a string source Akka wraps in its own dummy class).</summary>
    public static bool IsAkkaInternal(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var value) && value is ScalarValue { Value: string context }
        && context.StartsWith("Akka.", StringComparison.Ordinal);

    /// <summary>
    /// The actor's path without the node address and the sharding prefix: <c>soc0/link</c> for
    /// <c>akka.tcp://scmi-actors@127.0.0.1:40405/system/sharding/scmi-handles/13/soc0/link</c>.
    /// </summary>
    public static string ShortSource(string logSource)
    {
        var path = logSource;
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var slash = path.IndexOf('/', scheme + 3);
            path = slash >= 0 ? path[(slash + 1)..] : path;
        }
        const string handles = "system/sharding/" + Hosting.ScmiHostingExtensions.ShardRegionName + "/";
        if (path.StartsWith(handles, StringComparison.Ordinal))
        {
            var shard = path.IndexOf('/', handles.Length);
            return shard >= 0 ? path[(shard + 1)..] : path;
        }
        return path.StartsWith("user/", StringComparison.Ordinal) ? path["user/".Length..] : path;
    }

    private sealed class ShortSourceEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory factory)
        {
            var source = logEvent.Properties.TryGetValue("LogSource", out var value) && value is ScalarValue { Value: string s } ? s : "";
            logEvent.AddPropertyIfAbsent(factory.CreateProperty("ShortSource", ShortSource(source)));
        }
    }
}
