using System.CommandLine;
using ScmiActors.Cli.Decode;
using ScmiActors.Description;
using ScmiActors.Emulation;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The root command's own action: <c>scmi-actors [--platforms N] [--rate X] [--duration T]
/// [--fault MODE]... [--config FILE] [--no-discovery] [--rate-limit N]</c> runs the main job on the embedded default.
/// Exit code 0 when the accounting adds up, 1 when it does not, 2 for a bad command line or config.
/// </summary>
public static class MainJobCommand
{
    public static void Configure(RootCommand root, TextWriter output, TextWriter error)
    {
        var platforms = new Option<int>("--platforms") { Description = "Number of emulated platforms (descriptions cycle through the config)", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--rate") { Description = "Multiplier of every event rate of the emulator scenario", DefaultValueFactory = _ => 20 };
        var duration = new Option<TimeSpan>("--duration") { Description = "How long to run, e.g. 00:00:10 or 10s", DefaultValueFactory = _ => TimeSpan.FromSeconds(10), CustomParser = r => ParseDuration(r.Tokens.Single().Value) };
        var fault = new Option<string[]>("--fault") { Description = "Emulator fault mode(s): " + string.Join(", ", Enum.GetNames<EmulatorFault>().Where(n => n != "None").Select(Kebab)), AllowMultipleArgumentsPerToken = true };
        var config = new Option<string?>("--config") { Description = "HOCON file with scmi.platforms (and scmi.emulator); default: the embedded hocon/platforms.conf" };
        var noDiscovery = new Option<bool>("--no-discovery") { Description = "Use the configured descriptions as they are instead of discovering the platforms over SCMI" };
        var rateLimit = new Option<int?>("--rate-limit") { Description = "Storm guard: accept at most this many notifications per second per protocol (scmi.rate-limit); default off" };
        foreach (var option in new Option[] { platforms, rate, duration, fault, config, noDiscovery, rateLimit }) root.Options.Add(option);

        root.SetAction(async (parse, cancellation) =>
        {
            EmulatorFault faults;
            try
            {
                faults = ParseFaults(parse.GetValue(fault) ?? []);
            }
            catch (ArgumentException e)
            {
                error.WriteLine(e.Message);
                return ExitCodes.Usage;
            }
            var options = new MainJobOptions(parse.GetValue(platforms), parse.GetValue(rate), parse.GetValue(duration), faults,
                parse.GetValue(config), !parse.GetValue(noDiscovery), RateLimit: parse.GetValue(rateLimit));
            if (options.Platforms < 1 || options.Rate <= 0 || options.RunFor <= TimeSpan.Zero || options.RateLimit is < 1)
            {
                error.WriteLine("--platforms and --rate-limit must be at least 1, --rate and --duration positive");
                return ExitCodes.Usage;
            }
            try
            {
                var result = await new MainJobRunner(options, output).RunAsync(cancellation);
                return result.ExitCode;
            }
            catch (Exception e) when (e is PlatformDescriptionException or FileNotFoundException or Akka.Configuration.ConfigurationException)
            {
                error.WriteLine($"configuration: {e.Message}");
                return ExitCodes.Usage;
            }
        });
    }

    public static EmulatorFault ParseFaults(IEnumerable<string> names)
    {
        var faults = EmulatorFault.None;
        foreach (var name in names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Enum.TryParse<EmulatorFault>(name.Replace("-", ""), ignoreCase: true, out var one))
                throw new ArgumentException($"unknown fault mode '{name}' (known: {string.Join(", ", Enum.GetNames<EmulatorFault>().Select(Kebab))})");
            faults |= one;
        }
        return faults;
    }

    private static TimeSpan ParseDuration(string text)
    {
        text = text.Trim();
        if (text.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(text[..^2], out var ms)) return TimeSpan.FromMilliseconds(ms);
        if (text.EndsWith('s') && double.TryParse(text[..^1], out var s)) return TimeSpan.FromSeconds(s);
        if (text.EndsWith('m') && double.TryParse(text[..^1], out var m)) return TimeSpan.FromMinutes(m);
        return TimeSpan.Parse(text);
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
