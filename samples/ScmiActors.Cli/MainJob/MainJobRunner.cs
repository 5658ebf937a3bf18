using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ScmiActors.Actors;
using ScmiActors.Description;
using ScmiActors.Emulation;
using ScmiActors.Hosting;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The main job: an embedded single-node cluster running ScmiActors, emulated SCMI platforms
/// (raw messages over in-memory transports), and realistic subscribers (cpufreq, thermal governor,
/// system-power listener, audit logger). Shows progress while it runs, then stops everything in
/// order and prints a summary: counts per protocol, latency percentiles, and whether the
/// accounting (the dispatcher's own rule and its reconciliation with what the emulators sent) adds up.
/// </summary>
public sealed class MainJobRunner(MainJobOptions options, TextWriter output)
{
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

    public async Task<MainJobResult> RunAsync(CancellationToken cancellation)
    {
        var config = options.ConfigFile is null
            ? ConfigurationFactory.ParseString(ScmiSettings.ReadResource("ScmiActors.platforms.conf"))
            : ConfigurationFactory.ParseString(await File.ReadAllTextAsync(options.ConfigFile, cancellation));
        var descriptions = PlatformDescriptionLoader.LoadAll(config);
        if (descriptions.Count == 0) throw new PlatformDescriptionException("the configuration describes no platform under scmi.platforms");

        var scenario = EmulatorScenario.Load(config);
        var runFor = options.RunFor;
        scenario = Scale(scenario, options.Rate) with
        {
            Faults = scenario.Faults | options.Faults,
            // Ask for a graceful shutdown half-way, with a timeout the listener can meet.
            ShutdownAfter = runFor / 2,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        };

        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("scmi-actors", (builder, _) =>
            {
                if (options.RateLimit is { } limit) builder.AddHocon($"scmi.rate-limit = {limit}", HoconAddMode.Prepend);
                builder.WithScmiEmbeddedCluster();
                builder.WithScmiNotifications(o => o.ConsoleLogging = options.ConsoleLogging);
            }))
            .Build();
        await host.StartAsync(cancellation);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellation);
        var scmi = ScmiNotifications.Get(system);

        var platforms = new List<RunningPlatform>();
        for (var i = 0; i < options.Platforms; i++)
        {
            var template = descriptions[i % descriptions.Count];
            var id = i < descriptions.Count ? template.PlatformId : $"{template.PlatformId}-{i / descriptions.Count + 1}";
            var description = template with { PlatformId = id };
            var transport = InMemoryTransport.Create();
            var emulator = new EmulatedPlatform(transport.Platform, description, scenario with { Seed = scenario.Seed + i });
            // With discovery the handle learns the platform from the emulator; the description stays the fallback.
            await scmi.BeginStartPlatformAsync(id, transport.Agent, description, new PlatformOptions(Discover: options.Discover));
            platforms.Add(new RunningPlatform(id, description, emulator, StartSubscribers(system, scmi, description)));
        }

        foreach (var p in platforms) p.Emulator.Start();
        output.WriteLine($"Running {platforms.Count} platform(s) for {runFor.TotalSeconds:F0} s (rate x{options.Rate}, faults: {scenario.Faults}).");

        var started = DateTime.UtcNow;
        var previous = new Dictionary<string, long>();
        using var timer = new PeriodicTimer(options.Progress);
        try
        {
            while (DateTime.UtcNow - started < runFor && await timer.WaitForNextTickAsync(cancellation))
                await PrintProgressAsync(scmi, platforms, previous, DateTime.UtcNow - started);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("Interrupted: stopping in order.");
        }

        // Ordered shutdown of each handle while its emulator is still sending, as firmware would.
        var finals = new Dictionary<string, PlatformStats>();
        foreach (var p in platforms)
            finals[p.Id] = (await scmi.StopPlatformAsync(p.Id)).FinalStats;
        // Firmware does not stop because the agent did: give it a moment to show what it sends to a stopped agent.
        await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
        foreach (var p in platforms) await p.Emulator.StopAsync();

        var reports = new List<SubscriberReport>();
        ShutdownOutcome? shutdown = null;
        foreach (var p in platforms)
        foreach (var subscriber in p.Subscribers)
        {
            if (subscriber.Path.Name.StartsWith("system-power", StringComparison.Ordinal))
                shutdown ??= await ShutdownOutcomeOf(subscriber, p.Emulator.ShutdownRequested, scenario.ShutdownTimeout);
            reports.Add(await subscriber.Ask<SubscriberReport>(GetSubscriberReport.Instance, TimeSpan.FromSeconds(5)));
        }

        var result = MainJobResult.From(platforms.Select(p => (p.Id, finals[p.Id], p.Emulator.GetStats())).ToList(), reports, shutdown);
        await host.StopAsync(TimeSpan.FromSeconds(30));
        SummaryPrinter.Print(result, output);
        return result;
    }

    private static EmulatorScenario Scale(EmulatorScenario s, double k) => s with
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

    private static List<IActorRef> StartSubscribers(ActorSystem system, ScmiNotifications scmi, PlatformDescription d)
    {
        var handles = scmi.Handles;
        var id = d.PlatformId;
        var name = Uri.EscapeDataString(id);
        var subscribers = new List<IActorRef>();
        var perf = d.Find(ScmiProtocolId.Perf);
        if (perf is not null) subscribers.Add(system.ActorOf(CpufreqConsumerActor.Props(handles, id), $"cpufreq-{name}"));
        if (d.Find(ScmiProtocolId.Sensor) is not null)
            subscribers.Add(system.ActorOf(ThermalGovernorActor.Props(handles, id, perf?.SourceCount ?? 0), $"thermal-{name}"));
        if (d.Find(ScmiProtocolId.System) is not null)
            subscribers.Add(system.ActorOf(SystemPowerListenerActor.Props(handles, id), $"system-power-{name}"));
        subscribers.Add(system.ActorOf(AuditLoggerActor.Props(handles, d, scmi.Catalog), $"audit-{name}"));
        return subscribers;
    }

    private async Task PrintProgressAsync(ScmiNotifications scmi, List<RunningPlatform> platforms, Dictionary<string, long> previous, TimeSpan elapsed)
    {
        foreach (var p in platforms)
        {
            PlatformStats stats;
            try
            {
                stats = await scmi.Handles.Ask<PlatformStats>(new GetStats(p.Id), TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
                continue;
            }
            var delivered = stats.Protocols.Sum(x => x.Delivered);
            var rate = (delivered - previous.GetValueOrDefault(p.Id)) / options.Progress.TotalSeconds;
            previous[p.Id] = delivered;
            var perProtocol = string.Join("  ", stats.Protocols.Where(x => x.Received > 0)
                .Select(x => $"{ProtocolName(x.Protocol)} {x.Received}/{x.Delivered}/{x.Dropped}"));
            output.WriteLine($"[{elapsed.TotalSeconds,5:F1}s] {p.Id}: {rate,9:F0} deliveries/s, subs {stats.ActiveSubscriptions} active {stats.PendingSubscriptions} pending | received/delivered/dropped: {perProtocol}");
        }
    }

    internal static string ProtocolName(byte id) => ProtocolCatalog.Default.Find(id)?.Name ?? $"0x{id:X2}";

    private sealed record RunningPlatform(string Id, PlatformDescription Description, EmulatedPlatform Emulator, List<IActorRef> Subscribers);
}
