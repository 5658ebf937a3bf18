using System.Diagnostics;
using System.Text;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator;
using ScmiActors.Ingestion;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Emulator.Replay;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Cli.Platform;

/// <summary>The <c>platform</c> command's knobs.</summary>
/// <param name="Link">Path prefix: the area is <c>Link.smt</c>, the doorbell socket <c>Link.sock</c>; with
/// <paramref name="Platforms"/>, each platform's link is <c>Link-ID</c> (<see cref="PlatformRunner.LinkOf"/>).</param>
/// <param name="Duration">Bound on the whole run, waiting for the agent included; null: until the agent is gone or a signal.</param>
/// <param name="Platforms">Serve this many platforms, named and seeded as the main job's <c>--platforms</c>; null: one, <paramref name="PlatformId"/>.</param>
/// <param name="StatsFile">Where to write one JSON object per platform at exit (<see cref="PlatformSideStats"/>); null: none.</param>
/// <param name="ShutdownAfter">Ask for a graceful system shutdown this long after the agent linked (2 s timeout), as the main job does half-way.</param>
/// <param name="Replay">Serve this recording or firmware transcript instead of an emulator (<see cref="ReplayRunner"/>).</param>
/// <param name="Speed">How fast a replay plays its notifications.</param>
/// <param name="ProgressEvery">Print each platform's counts this often, stamped with the machine's monotonic clock (<see cref="ProgressLine"/>); null: never.</param>
/// <param name="AgentsInTurn">Each platform outlives its agents and serves the next one (<see cref="SmtPlatformOptions.AgentsInTurn"/>); the process ends only on a signal or at <paramref name="Duration"/>.</param>
public sealed record PlatformProcessOptions(
    string Link,
    string? ConfigFile = null,
    string? PlatformId = null,
    double Rate = 1,
    TimeSpan? Duration = null,
    EmulatorFault Faults = EmulatorFault.None,
    int? Platforms = null,
    string? StatsFile = null,
    TimeSpan? ShutdownAfter = null,
    string? Replay = null,
    ReplaySpeed Speed = ReplaySpeed.Full,
    string Profile = "none",
    bool AgentsInTurn = false,
    TimeSpan? ProgressEvery = null);

/// <summary>
/// Runs emulated platforms on SMT links, one agent each (see <see cref="PlatformCommand"/>). Every
/// input mistake is one line on standard error and an exit code from <see cref="ExitCodes"/>, before
/// any file is created.
/// </summary>
/// <param name="interruptedExitCode">The host's exit code for the signal that cancelled the run (130 SIGINT, 143 SIGTERM), to name it.</param>
public sealed class PlatformRunner(PlatformProcessOptions options, TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
{
    public const string AreaSuffix = ".smt";
    public const string SocketSuffix = ".sock";

    /// <summary>Printed, with --agents-in-turn, when an agent went and the link is ready for the next.</summary>
    public const string NextAgentLine = "waiting for the next agent";

    /// <summary>Printed once every platform of a <c>--platforms</c> process listens: a parent waits for it.</summary>
    public const string AllWaitingLine = "platform(s) waiting for their agents";

    /// <summary>
    /// The line --progress-every prints: <c>Progress of ID at T us: tried A, sent B, lost at the busy slot C.</c> T is
    /// <see cref="ScmiClock.NowNs"/> / 1000, the machine's monotonic clock, so a harness can order it against another
    /// process's stamped lines (the soak compares it with a node's counters read just before).
    /// </summary>
    public static string ProgressLine(string id, long stampUs, long tried, long sent, long lostAtSlot) =>
        $"Progress of {id} at {stampUs} us: tried {tried}, sent {sent}, lost at the busy slot {lostAtSlot}.";

    /// <summary>sun_path is 108 bytes on Linux, the terminating NUL included.</summary>
    private const int MaxSocketPathBytes = 107;

    public static string AreaPath(string link) => link + AreaSuffix;

    public static string SocketPath(string link) => link + SocketSuffix;

    /// <summary>The link prefix of one platform of a <c>--platforms</c> process: <c>PATH-ID</c>, the id kept to file-name-safe characters.</summary>
    public static string LinkOf(string link, string platformId) =>
        $"{link}-{string.Concat(platformId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'))}";

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        if (options.Replay is not null)
        {
            // A replay is one recorded platform: the emulator's knobs do not apply to it.
            if (options.Platforms is not null || options.PlatformId is not null || options.ConfigFile is not null || options.Faults != EmulatorFault.None
                || options.ShutdownAfter is not null || options.StatsFile is not null || options.Rate != 1 || options.Profile != "none" || options.AgentsInTurn)
                return Fail(ExitCodes.Usage, "--replay serves one recorded platform: it takes only --link, --speed, --duration and --ignore-sigint");
            return await new ReplayRunner(options, output, error).RunAsync(cancellation);
        }
        if (options.Speed != ReplaySpeed.Full) return Fail(ExitCodes.Usage, "--speed applies to --replay only");
        FirmwareProfile profile;
        try
        {
            profile = FirmwareProfile.Parse(options.Profile);
        }
        catch (ArgumentException e)
        {
            return Fail(ExitCodes.Usage, $"--profile: {OneLine(e.Message.Split(" (Parameter")[0])}");
        }
        MainJobConfig config;
        try
        {
            config = MainJobConfig.Load(options.ConfigFile);
        }
        catch (ConfigFileException e)
        {
            return Fail(ExitCodes.ConfigError, $"configuration: {e.Message}");
        }
        if (options.Platforms is not null && options.PlatformId is not null)
            return Fail(ExitCodes.Usage, "--platform-id and --platforms exclude each other (--platforms N serves the config's platforms as the main job does)");
        if (options.StatsFile is { } statsFile && CheckStatsFile(statsFile) is { } statsError) return Fail(ExitCodes.Usage, $"--stats-file: {statsError}");

        var scenario = MainJobRunner.Scale(config.Scenario, options.Rate) with { Faults = config.Scenario.Faults | options.Faults };
        if (options.ShutdownAfter is { } after) scenario = scenario with { ShutdownAfter = after, ShutdownTimeout = MainJobRunner.ShutdownTimeout };
        // Full paths: the summary and an agent's configuration then name the same files whatever the working directory.
        List<(PlatformDescription Description, EmulatorScenario Scenario, string Link)> plan;
        if (options.Platforms is { } n)
        {
            if (CheckLink(options.Link) is { } linkError) return Fail(ExitCodes.Usage, $"--link: {linkError}");
            // The same ids and seeds as the main job's own emulators, so both link modes run the same scenario.
            plan = Enumerable.Range(0, n).Select(i => MainJobRunner.DescriptionOf(config.Descriptions, i)).Select((d, i) =>
                (d, scenario with { Seed = scenario.Seed + i }, LinkOf(Path.GetFullPath(options.Link), d.PlatformId))).ToList();
        }
        else
        {
            var description = options.PlatformId is null
                ? config.Descriptions[0]
                : config.Descriptions.FirstOrDefault(d => d.PlatformId == options.PlatformId);
            if (description is null)
                return Fail(ExitCodes.Usage,
                    $"--platform-id: no platform '{options.PlatformId}' in {options.ConfigFile ?? "the embedded platforms.conf"} (known: {string.Join(", ", config.Descriptions.Select(d => d.PlatformId))})");
            plan = [(description, scenario, Path.GetFullPath(options.Link))];
        }
        foreach (var p in plan)
            if (CheckLink(p.Link) is { } linkError) return Fail(ExitCodes.Usage, $"--link: {linkError}");

        var served = new List<Served>();
        try
        {
            foreach (var p in plan) served.Add(new Served(p.Description.PlatformId, SmtEmulatorHost.Create(AreaPath(p.Link), SocketPath(p.Link), p.Description, p.Scenario,
                new SmtPlatformOptions { AgentsInTurn = options.AgentsInTurn }, profile),
                AreaPath(p.Link), SocketPath(p.Link), p.Scenario.Faults));
        }
        catch (ArgumentException e)
        {
            // A fault the profile cannot honour (slow responses would reorder replies and notifications).
            foreach (var s in served) await s.Host.DisposeAsync();
            return Fail(ExitCodes.Usage, $"--profile {profile.Name}: {OneLine(e.Message.Split(" (Parameter")[0])}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var s in served) await s.Host.DisposeAsync();
            return Fail(ExitCodes.Usage, $"--link: {OneLine(e.Message)}");
        }

        var clock = Stopwatch.StartNew();
        foreach (var s in served) output.WriteLine($"Platform {s.Id}: waiting for an agent on {s.Socket} (area {s.Area}).");
        if (options.Platforms is not null) output.WriteLine($"All {served.Count} {AllWaitingLine}.");
        output.Flush();
        using (var durationCts = options.Duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource())
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, durationCts.Token))
        {
            // Each platform waits for its own agent and ends with it; the process ends when all have.
            using var progressStop = new CancellationTokenSource();
            var progress = options.ProgressEvery is { } every ? PrintProgressAsync(served, every, progressStop.Token) : Task.CompletedTask;
            await Task.WhenAll(served.Select(s => ServeAsync(s, clock, stop.Token, cancellation)));
            await progressStop.CancelAsync();
            await progress;
        }

        // After the disposes: the links' counters are final and the files are gone.
        foreach (var s in served) PrintSummary(s);
        if (served.Count > 1)
        {
            var all = served.Select(s => s.Final!).ToList();
            output.WriteLine($"All {served.Count} platforms: {all.Sum(x => x.Tried)} tried = {all.Sum(x => x.Sent)} sent + {all.Sum(x => x.LostAtSlot)} lost at the busy P2A slot" +
                             $" + {all.Sum(x => x.TooLarge)} too large for a slot{QueueText(all.Sum(x => x.LostInQueue), all.Sum(x => x.LeftInQueue))};" +
                             $" {all.Sum(x => x.WithoutAgent)} posted with no agent linked.");
        }
        output.Flush();
        if (options.StatsFile is { } file)
        {
            try
            {
                File.WriteAllLines(file, served.Select(s => s.Final!.ToJsonLine()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(ExitCodes.IoFailed, $"--stats-file: {OneLine(e.Message)}");
            }
        }
        if (served.FirstOrDefault(s => s.Host.Emulator.LoopFault is not null) is { } faulted)
            return Fail(ExitCodes.InternalError, $"internal error: the emulator's loop of {faulted.Id} failed: {faulted.Host.Emulator.LoopFault!.GetType().Name}: {OneLine(faulted.Host.Emulator.LoopFault.Message)}");
        return cancellation.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private async Task ServeAsync(Served s, Stopwatch clock, CancellationToken stop, CancellationToken cancellation)
    {
        var host = s.Host;
        await using (host)
        {
            try
            {
                await host.AcceptAsync(stop);
                s.LinkedAt = clock.Elapsed;
                host.Emulator.Start();
                lock (output)
                {
                    output.WriteLine($"Agent linked: running {s.Id} (rate x{options.Rate:G}, faults: {s.Faults}).");
                    output.Flush();
                }
                var gone = await host.AgentGone.WaitAsync(stop);
                while (options.AgentsInTurn)
                {
                    // Only a signal or --duration ends a platform that takes agents in turn.
                    lock (output)
                    {
                        output.WriteLine($"Agent gone from {s.Id}: {Describe(gone)}; {NextAgentLine}.");
                        output.Flush();
                    }
                    await host.AcceptAsync(stop);
                    lock (output)
                    {
                        // Between agents nothing is written to the slot, so these are what the agents before this one
                        // were sent; with the chaos harness's counts they reconcile each agent's share.
                        output.WriteLine($"Next agent linked: {s.Id} (agent {host.Link.Stats.AgentsLinked}); before it: " +
                                         $"{host.Stats.NotificationsSent} sent, {host.NotificationsLeftInSlot} left unread in the slot.");
                        output.Flush();
                    }
                    gone = await host.AgentGone.WaitAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // A signal or --duration; the agent's end, if any, is still up and sees EOF on dispose.
            }
            await host.Emulator.StopAsync();
            // Agents in turn: an agent's end never ends the platform, so only a signal or --duration can have.
            s.Ended = !options.AgentsInTurn && host.AgentGone.IsCompleted ? Describe(host.AgentGone.Result)
                : cancellation.IsCancellationRequested ? $"interrupted by {SignalName()}"
                : $"--duration {MainJobRunner.Format(options.Duration!.Value)} reached";
            s.LinkedFor = s.LinkedAt is { } at ? clock.Elapsed - at : null;
        }
        s.Final = PlatformSideStats.Of(s.Id, host, s.Area, s.Socket, s.Ended, s.LinkedAt is not null);
    }

    private async Task PrintProgressAsync(IReadOnlyList<Served> served, TimeSpan every, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                lock (output)
                {
                    foreach (var s in served)
                    {
                        // Stamp first: the counts read after it include everything sent up to it.
                        var stampUs = ScmiClock.NowNs() / 1000;
                        var stats = s.Host.Stats;
                        output.WriteLine(ProgressLine(s.Id, stampUs, stats.NotificationsTried, stats.NotificationsSent, stats.NotificationsLostAtSlot));
                    }
                    output.Flush();
                }
        }
        catch (OperationCanceledException)
        {
            // The platforms ended.
        }
    }

    private sealed class Served(string id, SmtEmulatorHost host, string area, string socket, EmulatorFault faults)
    {
        public EmulatorFault Faults { get; } = faults;
        public string Id { get; } = id;
        public SmtEmulatorHost Host { get; } = host;
        public string Area { get; } = area;
        public string Socket { get; } = socket;
        public TimeSpan? LinkedAt { get; set; }
        public TimeSpan? LinkedFor { get; set; }
        public string Ended { get; set; } = "stopped";
        public PlatformSideStats? Final { get; set; }
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

    /// <summary>Only with a firmware queue (--profile imx-sm): what it dropped, newest first, and what it still held at the end.</summary>
    internal static string QueueText(long lost, long left) =>
        lost == 0 && left == 0 ? "" : $" + {lost} lost in the platform queue + {left} left in it";

    private void PrintSummary(Served served)
    {
        var s = served.Host.Stats;
        var emulator = served.Host.Emulator.GetStats();
        output.WriteLine($"Platform {served.Id} stopped: {served.Ended}; " +
                         (served.LinkedFor is { } t ? $"an agent was linked for {MainJobRunner.Format(t)}." : "no agent was linked."));
        output.WriteLine($"Notifications: {s.NotificationsTried} tried = {s.NotificationsSent} sent + {s.NotificationsLostAtSlot} lost at the busy P2A slot" +
                         $" + {s.NotificationsTooLarge} too large for a slot{QueueText(s.NotificationsLostInQueue, s.NotificationsInQueue)};" +
                         $" {s.NotificationsWithoutAgent} posted with no agent linked.");
        if (options.AgentsInTurn || s.Link.AgentsRefused > 0)
            output.WriteLine($"Agents: {s.Link.AgentsLinked} linked{(options.AgentsInTurn ? " in turn" : "")}, {s.Link.AgentsRefused} refused while one was linked.");
        output.WriteLine($"Commands: {s.Link.CommandsReceived} received, {s.Link.ResponsesSent} answered" +
                         $" ({emulator.ResponsesWithheld} withheld by a fault, {s.ResponsesTooLarge} too large for a slot);" +
                         $" delayed responses: {s.DelayedResponsesSent} sent, {s.DelayedResponsesLostAtSlot} lost at the busy P2A slot.");
    }

    /// <summary>Null when the stats file can be written there (its directory exists, it is not a directory); otherwise why not.</summary>
    private static string? CheckStatsFile(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{path}' is not a usable path ({OneLine(e.Message)})";
        }
        if (Directory.Exists(full)) return $"{path} is a directory";
        var directory = Path.GetDirectoryName(full);
        return directory is not null && !Directory.Exists(directory) ? $"the directory {directory} does not exist" : null;
    }

    /// <summary>Null when both files of the link can be made at <paramref name="link"/>; otherwise why not.</summary>
    internal static string? CheckLink(string link)
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
