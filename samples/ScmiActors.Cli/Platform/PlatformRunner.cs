using System.Diagnostics;
using System.Text;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Cli.Platform;

/// <summary>The <c>platform</c> command's knobs.</summary>
/// <param name="Link">Path prefix: the area is <c>Link.smt</c>, the doorbell socket <c>Link.sock</c>.</param>
/// <param name="Duration">Bound on the whole run, waiting for the agent included; null: until the agent is gone or a signal.</param>
public sealed record PlatformProcessOptions(
    string Link,
    string? ConfigFile = null,
    string? PlatformId = null,
    double Rate = 1,
    TimeSpan? Duration = null,
    EmulatorFault Faults = EmulatorFault.None);

/// <summary>
/// Runs one emulated platform on an SMT link for one agent (see <see cref="PlatformCommand"/>). Every
/// input mistake is one line on standard error and an exit code from <see cref="ExitCodes"/>, before
/// any file is created.
/// </summary>
/// <param name="interruptedExitCode">The host's exit code for the signal that cancelled the run (130 SIGINT, 143 SIGTERM), to name it.</param>
public sealed class PlatformRunner(PlatformProcessOptions options, TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
{
    public const string AreaSuffix = ".smt";
    public const string SocketSuffix = ".sock";

    /// <summary>sun_path is 108 bytes on Linux, the terminating NUL included.</summary>
    private const int MaxSocketPathBytes = 107;

    public static string AreaPath(string link) => link + AreaSuffix;

    public static string SocketPath(string link) => link + SocketSuffix;

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        MainJobConfig config;
        try
        {
            config = MainJobConfig.Load(options.ConfigFile);
        }
        catch (ConfigFileException e)
        {
            return Fail(ExitCodes.ConfigError, $"configuration: {e.Message}");
        }
        var description = options.PlatformId is null
            ? config.Descriptions[0]
            : config.Descriptions.FirstOrDefault(d => d.PlatformId == options.PlatformId);
        if (description is null)
            return Fail(ExitCodes.Usage,
                $"--platform-id: no platform '{options.PlatformId}' in {options.ConfigFile ?? "the embedded platforms.conf"} (known: {string.Join(", ", config.Descriptions.Select(d => d.PlatformId))})");
        if (CheckLink(options.Link) is { } linkError) return Fail(ExitCodes.Usage, $"--link: {linkError}");

        var scenario = MainJobRunner.Scale(config.Scenario, options.Rate) with { Faults = config.Scenario.Faults | options.Faults };
        // Full paths: the summary and an agent's configuration then name the same files whatever the working directory.
        var areaPath = AreaPath(Path.GetFullPath(options.Link));
        var socketPath = SocketPath(Path.GetFullPath(options.Link));
        SmtEmulatorHost host;
        try
        {
            host = SmtEmulatorHost.Create(areaPath, socketPath, description, scenario);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.Usage, $"--link: {OneLine(e.Message)}");
        }

        var clock = Stopwatch.StartNew();
        TimeSpan? linkedAt = null;
        string ended;
        await using (host)
        {
            output.WriteLine($"Platform {description.PlatformId}: waiting for an agent on {socketPath} (area {areaPath}).");
            output.Flush();
            using var durationCts = options.Duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, durationCts.Token);
            try
            {
                await host.AcceptAsync(stop.Token);
                linkedAt = clock.Elapsed;
                host.Emulator.Start();
                output.WriteLine($"Agent linked: running {description.PlatformId} (rate x{options.Rate:G}, faults: {scenario.Faults}).");
                output.Flush();
                await host.AgentGone.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // A signal or --duration; the agent's end, if any, is still up and sees EOF on dispose.
            }
            await host.Emulator.StopAsync();
            ended = host.AgentGone.IsCompleted ? Describe(host.AgentGone.Result)
                : cancellation.IsCancellationRequested ? $"interrupted by {SignalName()}"
                : $"--duration {MainJobRunner.Format(options.Duration!.Value)} reached";
        }

        // After the dispose: the link's counters are final and the files are gone.
        PrintSummary(description.PlatformId, host, ended, linkedAt is { } at ? clock.Elapsed - at : null);
        if (host.Emulator.LoopFault is { } fault)
            return Fail(ExitCodes.InternalError, $"internal error: the emulator's loop failed: {fault.GetType().Name}: {OneLine(fault.Message)}");
        return cancellation.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private string SignalName() => interruptedExitCode?.Invoke() switch
    {
        ExitCodes.Terminated => "SIGTERM",
        ExitCodes.Interrupted => "SIGINT",
        _ => "a signal",
    };

    /// <summary>Why the link ended, as the summary says it.</summary>
    private static string Describe(SmtLinkClosed closed) => closed.Reason switch
    {
        SmtCloseReason.PeerClosed => "the agent is gone (end of file)",
        SmtCloseReason.ProtocolError => $"the agent broke the link protocol ({closed.Detail})",
        SmtCloseReason.Faulted => $"the link failed ({closed.Detail})",
        _ => "stopped",
    };

    private void PrintSummary(string platformId, SmtEmulatorHost host, string ended, TimeSpan? linkedFor)
    {
        var s = host.Stats;
        var emulator = host.Emulator.GetStats();
        output.WriteLine($"Platform {platformId} stopped: {ended}; " +
                         (linkedFor is { } t ? $"an agent was linked for {MainJobRunner.Format(t)}." : "no agent was linked."));
        output.WriteLine($"Notifications: {s.NotificationsTried} tried = {s.NotificationsSent} sent + {s.NotificationsLostAtSlot} lost at the busy P2A slot" +
                         $" + {s.NotificationsTooLarge} too large for a slot; {s.NotificationsWithoutAgent} posted with no agent linked.");
        output.WriteLine($"Commands: {s.Link.CommandsReceived} received, {s.Link.ResponsesSent} answered" +
                         $" ({emulator.ResponsesWithheld} withheld by a fault, {s.ResponsesTooLarge} too large for a slot);" +
                         $" delayed responses: {s.DelayedResponsesSent} sent, {s.DelayedResponsesLostAtSlot} lost at the busy P2A slot.");
        output.Flush();
    }

    /// <summary>Null when both files of the link can be made at <paramref name="link"/>; otherwise why not.</summary>
    private static string? CheckLink(string link)
    {
        if (string.IsNullOrWhiteSpace(link)) return "an empty path";
        string full;
        try
        {
            full = Path.GetFullPath(link);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{link}' is not a usable path ({OneLine(e.Message)})";
        }
        if (link.EndsWith('/') || Directory.Exists(full)) return $"{link} is a directory; give a path prefix inside one (e.g. {Path.Combine(link, "soc0")})";
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory)) return $"the directory {directory} does not exist";
        var socketBytes = Encoding.UTF8.GetByteCount(SocketPath(full));
        if (socketBytes > MaxSocketPathBytes)
            return $"the socket path {SocketPath(full)} is {socketBytes} bytes; a Unix socket path holds at most {MaxSocketPathBytes}";
        return null;
    }

    private int Fail(int exitCode, string message)
    {
        error.WriteLine($"scmi-actors: platform: {message}");
        error.Flush();
        return exitCode;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
