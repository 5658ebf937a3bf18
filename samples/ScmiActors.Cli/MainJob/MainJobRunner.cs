using System.Collections.Immutable;
using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ScmiActors.Cli.Observability;
using ScmiActors.Emulator;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Transport.Recording;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The main job: an embedded single-node cluster running ScmiActors, emulated SCMI platforms
/// (raw messages over in-memory transports), and realistic subscribers (cpufreq, thermal governor,
/// system-power listener, audit logger). Shows progress while it runs, then stops everything in
/// order and prints a summary: counts per protocol, latency percentiles, and whether the
/// accounting (the dispatcher's own rule and its reconciliation with what the emulators sent) adds up.
/// Cancellation (a signal) at any moment, start-up included, leads to the same ordered stop and summary.
/// </summary>
public sealed class MainJobRunner(MainJobOptions options, TextWriter output)
{
    /// <summary>Each stop waits at least this long for its answer: the stops run concurrently and compete for the cores.</summary>
    private static readonly TimeSpan StopAllBudget = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long each platform may take to come up (connect, discover, register) before its start
    /// fails: 15 s, plus 50 ms per platform, since they start together on the same cores.
    /// </summary>
    public static TimeSpan StartupDeadline(int platforms) => TimeSpan.FromSeconds(15) + TimeSpan.FromMilliseconds(50) * platforms;

    /// <summary>
    /// The listener's outcome. A request that came late in the run (a slow start on a loaded
    /// machine delays the enable) may still be in service: wait for it up to the platform's timeout.
    /// </summary>
    private static async Task<ShutdownOutcome?> ShutdownOutcomeOf(IActorRef listener, bool requested, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await listener.Ask<object>(GetShutdownOutcome.Instance, TimeSpan.FromSeconds(5));
            if (answer is ShutdownOutcome outcome) return outcome;
            if (!requested || DateTime.UtcNow >= deadline) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>The graceful shutdown request's timeout in the main job's scenario: one the listener can meet.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Platform <paramref name="i"/> of N: descriptions cycle through the config, the first round keeps
    /// their ids, later rounds add -2, -3, ... (soc0, imx95, soc0-2, imx95-2). The platform process uses the same.
    /// </summary>
    public static PlatformDescription DescriptionOf(IReadOnlyList<PlatformDescription> descriptions, int i)
    {
        var template = descriptions[i % descriptions.Count];
        return template with { PlatformId = i < descriptions.Count ? template.PlatformId : $"{template.PlatformId}-{i / descriptions.Count + 1}" };
    }

    /// <summary>Runs the job; <see cref="ConfigFileException"/> before anything started when the configuration is unusable.</summary>
    public async Task<MainJobResult> RunAsync(CancellationToken cancellation)
    {
        var config = MainJobConfig.Load(options.ConfigFile);
        var runFor = options.RunFor;
        var scenario = Scale(config.Scenario, options.Rate) with
        {
            Faults = config.Scenario.Faults | options.Faults,
            // Ask for a graceful shutdown half-way, with a timeout the listener can meet.
            ShutdownAfter = runFor / 2,
            ShutdownTimeout = ShutdownTimeout,
        };
        // A real board (--raw, or transport = raw in the config): its instances as they are, no emulator, no repetition.
        var rawInstances = options.Raw is { } rawPath ? [(RawPlatforms.IdOf(rawPath), rawPath)]
            : config.RawPaths.Select(r => (r.Key, r.Value)).ToList();
        if (rawInstances.Count > 0 && options.Platforms != 1)
            throw new MainJobUsageException("--platforms: a raw-mode platform is one SCMI instance of a board and cannot be repeated; list each instance in the config");
        var descriptions = options.Raw is not null ? [new PlatformDescription(rawInstances[0].Item1, MainJobConfig.RawTransport, ImmutableSortedDictionary<byte, PlatformProtocol>.Empty)]
            : rawInstances.Count > 0 ? config.Descriptions.ToList()
            : Enumerable.Range(0, options.Platforms).Select(i => DescriptionOf(config.Descriptions, i)).ToList();
        using var raw = rawInstances.Count == 0 ? null : RawPlatforms.Open(rawInstances, options.RawOptions, options.Raw is null ? "raw-path" : "--raw", options.RawTransportCreated, RecordFileOf);
        // Across a process boundary: a --connect link that is not there is a usage error, before anything starts.
        using var smt = raw is not null || options.Link != MainJobLink.Smt ? null
            : options.Connect is { } connect ? SmtPlatforms.Connect(connect, descriptions.Select(d => d.PlatformId)) : SmtPlatforms.ForChild();
        if (cancellation.IsCancellationRequested) return Interrupted("before start-up");
        string? childFailure = null;
        if (smt is not null && options.Connect is null)
        {
            try
            {
                // Before the cluster node: the child's start-up overlaps the node's.
                smt.StartChild(options, options.Platforms, scenario.ShutdownAfter!.Value, runFor + StartupDeadline(options.Platforms) + TimeSpan.FromMinutes(2));
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                childFailure = $"the platform process could not be started: {e.Message}";
            }
        }
        var linkText = raw is not null ? $"Linux raw mode at {string.Join(", ", rawInstances.Select(r => r.Item2))}; listening only"
            : smt is null ? "in-memory" : options.Connect is null ? $"SMT links to platform process {smt.ChildId}" : $"SMT links to the platform process at {options.Connect}";
        output.WriteLine($"Starting a cluster node and {descriptions.Count} platform(s) ({linkText}).");
        output.Flush();

        using var host = BuildHost();
        // Not cancellable: a half-started host cannot be stopped in order. It takes well under a second.
        await host.StartAsync(CancellationToken.None);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var scmi = ScmiNotifications.Get(system);
        var platforms = new List<RunningPlatform>();
        var interrupted = false;
        var started = DateTime.UtcNow;
        try
        {
            var up = new TaskCompletionSource();
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellation);

            // All at once: each start completes when its handle is ready, or says why it never will be.
            var deadline = StartupDeadline(options.Platforms);
            if (smt is not null) childFailure ??= await smt.WaitReadyAsync(TimeSpan.FromSeconds(30) + TimeSpan.FromMilliseconds(50) * options.Platforms, cancellation);
            for (var i = 0; i < descriptions.Count; i++)
            {
                var id = descriptions[i].PlatformId;
                platforms.Add(raw is not null ? raw.FailureOf(id) is { } failure ? NeverStarted(id, failure)
                        : LaunchOnLink(system, scmi, descriptions[i], raw.TransportFor(id)!, deadline, cancellation, listenOnly: true)
                    : smt is null ? Launch(system, scmi, descriptions[i], scenario with { Seed = scenario.Seed + i }, deadline, cancellation)
                    : childFailure is not null ? NeverStarted(descriptions[i].PlatformId, childFailure)
                    : LaunchOnLink(system, scmi, descriptions[i], smt.TransportFor(id, RecordFileOf(id)), deadline, cancellation));
            }
            await Task.WhenAll(platforms.Select(p => p.Starting)).WaitAsync(cancellation);
            foreach (var p in platforms) p.Emulator?.Start(); // a platform process started its emulators when their agents linked
            output.WriteLine(raw is not null ? $"Running {platforms.Count} platform(s) for {Format(runFor)} (Linux raw mode)."
                : $"Running {platforms.Count} platform(s) for {Format(runFor)} (rate x{options.Rate:G}, faults: {scenario.Faults}; " +
                  $"{(smt is null ? "in-memory" : "over SMT links")}).");

            started = DateTime.UtcNow;
            var previous = new Dictionary<string, long>();
            using var timer = new PeriodicTimer(options.Progress < runFor ? options.Progress : runFor);
            while (DateTime.UtcNow - started < runFor && await timer.WaitForNextTickAsync(cancellation))
            {
                if (smt?.CheckDied(DateTime.UtcNow - started) is { } died) output.WriteLine(died);
                await PrintProgressAsync(scmi, platforms, previous, DateTime.UtcNow - started);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            interrupted = true;
            output.WriteLine($"Interrupted after {Format(DateTime.UtcNow - started)}: stopping {platforms.Count} platform(s) in order.");
        }
        output.Flush();

        var finals = await StopAllAsync(scmi, platforms);
        // Starts still in flight when a signal came end with the stop; their subscriber lists are then settled.
        await Task.WhenAll(platforms.Select(p => p.Starting)).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        // Firmware does not stop because the agent did: give it a moment to show what it sends to a stopped agent.
        await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
        foreach (var p in platforms)
            if (p.Emulator is { } emulator) await emulator.StopAsync();
        // Across the link: close every link (the platform process sees EOF and ends), then read what it counted.
        var (links, platformProcess) = smt is null ? ([], null) : await smt.FinishAsync();
        foreach (var r in _recordings) r.Dispose();

        var reports = new List<SubscriberReport>();
        ShutdownOutcome? shutdown = null;
        foreach (var p in platforms)
        foreach (var subscriber in p.Subscribers)
        {
            try
            {
                if (subscriber.Path.Name.StartsWith("system-power", StringComparison.Ordinal))
                    shutdown ??= await ShutdownOutcomeOf(subscriber, !interrupted && raw is null && (p.Emulator?.ShutdownRequested
                        // Its emulator is in the platform process, which asked at ShutdownAfter after the link came up, before the run started.
                        ?? DateTime.UtcNow - started >= scenario.ShutdownAfter), scenario.ShutdownTimeout);
                reports.Add(await subscriber.Ask<SubscriberReport>(GetSubscriberReport.Instance, TimeSpan.FromSeconds(5)));
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                reports.Add(new SubscriberReport(subscriber.Path.Name, 0, 0, 0, false, new LongHistogram(TimeStamp.Seconds(10), 3), ["did not answer"]));
            }
        }

        var outcomes = platforms.Select(p => (p.Id, finals[p.Id], p.Posts(), p.Failure, p.StopFailure,
            raw is not null ? new LinkOutcome(null, RawPlatforms.UnknownSide, LinkOutcome.RawMode)
            : smt is null ? null : links.GetValueOrDefault(p.Id) ?? new LinkOutcome(null, p.Failure is null ? "not reported" : "never linked"))).ToList();
        if (raw is not null) platformProcess = string.Join(Environment.NewLine, raw.Describe());
        if (options.Record is not null) raw?.Dispose(); // flushes the raw links' recordings before the summary names them
        var result = MainJobResult.From(outcomes, reports, shutdown, interrupted, platformProcess);
        // Terminating the node logs a few Information lines after the Serilog logger stopped, through
        // Akka's plain stdout logger (whatever stdout-loglevel says): our part is done, Warning is enough.
        if (!options.Verbose) system.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
        MetricsExport.Flush(host.Services);
        await host.StopAsync(TimeSpan.FromSeconds(30));
        SummaryPrinter.Print(result, output);
        if (options.Record is { } recorded)
            output.WriteLine($"Recorded every link's messages to {string.Join(", ", descriptions.Select(d => RecordingTransport.PathFor(recorded, d.PlatformId)))}" +
                             " (read them with: decode FILE, or replay one with: platform --replay FILE --link PATH).");
        return result;
    }

    // In-memory recordings: the links of SMT and raw mode close theirs when they are disposed.
    private readonly List<RecordingTransport> _recordings = [];

    /// <summary>The recording file of one platform with --record (one per platform: a recording is one link); null without.</summary>
    private string? RecordFileOf(string platformId) => options.Record is { } file ? RecordingTransport.PathFor(file, platformId) : null;

    private MainJobResult Interrupted(string when)
    {
        output.WriteLine($"Interrupted {when}: nothing was started.");
        var result = MainJobResult.From([], [], null, interrupted: true);
        SummaryPrinter.Print(result, output);
        return result;
    }

    private IHost BuildHost() => new HostBuilder()
        // The CLI handles SIGINT/SIGTERM itself (Program): the default console lifetime would start a second stop.
        .ConfigureServices(services => services.AddSingleton<IHostLifetime, NoSignalsLifetime>())
        .UseScmiMetricsExport(options.Metrics)
        .ConfigureServices(services => services.AddAkka("scmi-actors", (builder, _) =>
        {
            if (options.RateLimit is { } limit) builder.AddHocon($"scmi.rate-limit = {limit}", HoconAddMode.Prepend);
            // Two shutdowns (Akka's process-exit hook and the host's) hang the stop: only the host runs it.
            builder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
            builder.WithScmiEmbeddedCluster();
            builder.WithScmiNotifications();
            ConsoleLogs.Configure(builder, options.Logs, options.Verbose);
        }))
        .Build();

    /// <summary>Starts one platform's handle on an in-memory emulator; the returned platform's <see cref="RunningPlatform.Starting"/> completes when it is ready or failed.</summary>
    private RunningPlatform Launch(ActorSystem system, ScmiNotifications scmi, PlatformDescription description,
        EmulatorScenario scenario, TimeSpan deadline, CancellationToken cancellation)
    {
        var transport = InMemoryTransport.Create();
        var emulator = new EmulatedPlatform(transport.Platform, description, scenario);
        var platform = new RunningPlatform(description.PlatformId, emulator.GetStats) { Emulator = emulator };
        IScmiTransport agent = transport.Agent;
        if (RecordFileOf(description.PlatformId) is { } record) _recordings.Add((RecordingTransport)(agent = RecordingTransport.Wrap(agent, record)));
        platform.Starting = StartHandleAsync(system, scmi, platform, agent, description, deadline, cancellation);
        return platform;
    }

    /// <summary>Starts one platform's handle on its SMT link to the platform process.</summary>
    /// <param name="listenOnly">A real board: subscribe and count, never send a command that changes its state.</param>
    private RunningPlatform LaunchOnLink(ActorSystem system, ScmiNotifications scmi, PlatformDescription description,
        CountingAgentTransport transport, TimeSpan deadline, CancellationToken cancellation, bool listenOnly = false)
    {
        var platform = new RunningPlatform(description.PlatformId, transport.Posts);
        platform.Starting = StartHandleAsync(system, scmi, platform, transport, description, deadline, cancellation, listenOnly);
        return platform;
    }

    /// <summary>A platform whose platform process never listened: no handle, nothing posted, the reason as its failure.</summary>
    private static RunningPlatform NeverStarted(string id, string reason)
    {
        var nothing = new EmulatorStats(System.Collections.Immutable.ImmutableSortedDictionary<byte, EmulatorProtocolStats>.Empty, 0, 0, 0, 0, 0);
        return new RunningPlatform(id, () => nothing) { Failure = reason };
    }

    private async Task StartHandleAsync(ActorSystem system, ScmiNotifications scmi, RunningPlatform platform, IScmiTransport transport,
        PlatformDescription description, TimeSpan deadline, CancellationToken cancellation, bool listenOnly = false)
    {
        try
        {
            // With discovery the handle learns the platform from the emulator; the description stays the fallback.
            await scmi.StartPlatformAsync(description.PlatformId, transport, description, new PlatformOptions(Discover: options.Discover), deadline);
            if (listenOnly)
            {
                // Subscribe to what discovery found (registered protocols), not to what a config may guess.
                var stats = await scmi.Handles.Ask<PlatformStats>(new GetStats(description.PlatformId), TimeSpan.FromSeconds(5), cancellation);
                description = description with
                {
                    Protocols = stats.Protocols.Where(p => p.Registered).ToImmutableSortedDictionary(p => p.Protocol,
                        p => description.Find(p.Protocol) ?? PlatformProtocol.Create(p.Protocol, new ProtocolVersion(1, 0), 0)),
                };
            }
            platform.Subscribers = StartSubscribers(system, scmi, description, listenOnly);
        }
        catch (Exception e)
        {
            // A start that fails because a signal stopped it is the interruption, not a failure.
            if (!cancellation.IsCancellationRequested)
                platform.Failure = e is PlatformStartException failed ? failed.Reason : $"start failed: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Stops every started platform at once (each has its own ordered shutdown), bounded as a whole.</summary>
    private async Task<Dictionary<string, PlatformStats>> StopAllAsync(ScmiNotifications scmi, List<RunningPlatform> platforms)
    {
        // The stops run concurrently and compete for the cores: each waits for the whole budget, not its own.
        var wait = scmi.Settings.ShutdownBudget + TimeSpan.FromSeconds(1);
        if (wait < StopAllBudget) wait = StopAllBudget;
        // Failed handles too: one whose initialisation failed stays until it is stopped.
        var stops = platforms.Select(async p =>
        {
            try
            {
                return (p.Id, (await scmi.StopPlatformAsync(p.Id, wait)).FinalStats);
            }
            catch (Exception e)
            {
                // Interrupted before its handle existed, or a stop that never answered. Only when the
                // emulator posted something are counters missing (emulators start after every start).
                if (p.Posts().Sent > 0)
                    p.StopFailure = e is AskTimeoutException or TaskCanceledException
                        ? $"the ordered stop did not answer within {Format(wait)}"
                        : $"the ordered stop failed: {e.Message}";
                return (p.Id, p.LastStats ?? EmptyStats(p.Id));
            }
        });
        var finals = (await Task.WhenAll(stops)).ToDictionary(x => x.Item1, x => x.Item2);
        foreach (var p in platforms) finals.TryAdd(p.Id, p.LastStats ?? EmptyStats(p.Id));
        return finals;
    }

    private static PlatformStats EmptyStats(string id) => new(id, PlatformState.Stopped, null, 0, 0, 0, 0, [], 0, 0);

    internal static EmulatorScenario Scale(EmulatorScenario s, double k) => s with
    {
        PerfLevelPerSecond = s.PerfLevelPerSecond * k,
        PerfLimitsPerSecond = s.PerfLimitsPerSecond * k,
        PowerStatePerSecond = s.PowerStatePerSecond * k,
        ClockRatePerSecond = s.ClockRatePerSecond * k,
        SensorUpdatePerSecond = s.SensorUpdatePerSecond * k,
        PowercapCapPerSecond = s.PowercapCapPerSecond * k,
        ResetPerSecond = s.ResetPerSecond * k,
        BaseErrorPerSecond = s.BaseErrorPerSecond * k,
        BbmRtcPerSecond = s.BbmRtcPerSecond * k,
        BbmButtonPerSecond = s.BbmButtonPerSecond * k,
    };

    /// <param name="listenOnly">No subscriber sends commands: the thermal governor does not set performance limits.</param>
    private static List<IActorRef> StartSubscribers(ActorSystem system, ScmiNotifications scmi, PlatformDescription d, bool listenOnly = false)
    {
        var handles = scmi.Handles;
        var id = d.PlatformId;
        var name = Uri.EscapeDataString(id);
        var subscribers = new List<IActorRef>();
        var perf = d.Find(ScmiProtocolId.Perf);
        if (perf is not null) subscribers.Add(system.ActorOf(CpufreqConsumerActor.Props(handles, id), $"cpufreq-{name}"));
        if (d.Find(ScmiProtocolId.Sensor) is not null)
            subscribers.Add(system.ActorOf(ThermalGovernorActor.Props(handles, id, listenOnly ? 0 : perf?.SourceCount ?? 0), $"thermal-{name}"));
        if (d.Find(ScmiProtocolId.System) is not null)
            subscribers.Add(system.ActorOf(SystemPowerListenerActor.Props(handles, id), $"system-power-{name}"));
        subscribers.Add(system.ActorOf(AuditLoggerActor.Props(handles, d, scmi.Catalog), $"audit-{name}"));
        return subscribers;
    }

    /// <summary>Asks every ready platform for its counters at once.</summary>
    private static async Task PollStatesAsync(ScmiNotifications scmi, List<RunningPlatform> platforms, TimeSpan timeout) =>
        await Task.WhenAll(platforms.Where(p => p.Failure is null).Select(async p =>
        {
            try
            {
                p.LastStats = await scmi.Handles.Ask<PlatformStats>(new GetStats(p.Id), timeout);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // A busy handle: no progress line for it this time.
            }
        }));

    private async Task PrintProgressAsync(ScmiNotifications scmi, List<RunningPlatform> platforms, Dictionary<string, long> previous, TimeSpan elapsed)
    {
        await PollStatesAsync(scmi, platforms, options.Progress < TimeSpan.FromSeconds(2) ? options.Progress : TimeSpan.FromSeconds(2));
        foreach (var p in platforms)
        {
            if (p.LastStats is not { } stats) continue;
            var delivered = stats.Protocols.Sum(x => x.Delivered);
            var rate = (delivered - previous.GetValueOrDefault(p.Id)) / options.Progress.TotalSeconds;
            previous[p.Id] = delivered;
            output.WriteLine($"[{elapsed.TotalSeconds,5:F1}s] {p.Id}: {stats.State}, {rate,7:F0} deliveries/s, {stats.ActiveSubscriptions} subs active, " +
                $"{stats.PendingSubscriptions} pending; received {stats.Received}, dropped {stats.Protocols.Sum(x => x.Dropped)}");
            if (options.Verbose)
                output.WriteLine("         received/delivered/dropped: " + string.Join("  ", stats.Protocols.Where(x => x.Received > 0)
                    .Select(x => $"{ProtocolName(x.Protocol)} {x.Received}/{x.Delivered}/{x.Dropped}")));
        }
    }

    internal static string ProtocolName(byte id) => ProtocolCatalogs.Default.Find(id)?.Name ?? $"0x{id:X2}";

    /// <summary>A duration as a person reads it: 100 ms, 1.5 s, 2 min 30 s.</summary>
    public static string Format(TimeSpan t) =>
        t < TimeSpan.FromSeconds(1) ? $"{t.TotalMilliseconds:0} ms"
        : t < TimeSpan.FromMinutes(1) ? $"{t.TotalSeconds:0.###} s"
        : t < TimeSpan.FromHours(1) ? $"{(int)t.TotalMinutes} min {t.Seconds} s"
        : t.Minutes == 0 ? $"{(int)t.TotalHours} h" : $"{(int)t.TotalHours} h {t.Minutes} min";

    /// <param name="posts">The platform's notifications by the gate's outcome: counted by its emulator, or by its link's agent end.</param>
    private sealed class RunningPlatform(string id, Func<EmulatorStats> posts)
    {
        public string Id { get; } = id;

        /// <summary>In-memory only; across a link the emulator is in the platform process.</summary>
        public EmulatedPlatform? Emulator { get; init; }

        public EmulatorStats Posts() => posts();

        /// <summary>Set once, when the platform is ready (a start still in flight may set it late).</summary>
        public IReadOnlyList<IActorRef> Subscribers { get; set; } = [];

        /// <summary>Completes when the handle is ready or its start failed (never throws).</summary>
        public Task Starting { get; set; } = Task.CompletedTask;

        /// <summary>
        /// Why the platform never came up (<see cref="PlatformStartException.Reason"/>); null when it
        /// did, or when a signal ended the run while it was still starting.
        /// </summary>
        public string? Failure { get; set; }

        public string? StopFailure { get; set; }

        public PlatformStats? LastStats { get; set; }
    }
}

/// <summary>A host lifetime that registers no signal handlers: the CLI owns SIGINT and SIGTERM.</summary>
internal sealed class NoSignalsLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
