using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Load;

/// <summary>A measured phase of a case: its producers, run against every variant.</summary>
public sealed record Phase(string Label, ProducerPlan[] Producers, double OfferedRate = 0, Pacing? Pacing = null);

/// <summary>
/// A load case: a topology and its phases. The <c>case=</c> line reports <see cref="MainPhase"/>:
/// latency of <see cref="MainTag"/>, throughput of all events.
/// </summary>
public sealed record LoadCase(
    string Name,
    string Description,
    Func<LoadOptions, Topology> Build,
    Func<LoadOptions, Topology, Phase[]> Phases,
    string[] Variants,
    string MainPhase,
    int MainTag = 0,
    bool Sweep = false,
    Func<LoadOptions, double>? MinWarmupSeconds = null)
{
    public static readonly string[] AllVariants = ["scmi", "channels", "akka2hop", "delegates"];

    public static IReadOnlyList<LoadCase> All { get; } =
    [
        new("single", "1 platform x 1 subscriber: PERFORMANCE_LEVEL_CHANGED of one domain, full speed",
            _ => Fanout(1), (_, _) => [FullSpeed([0])], AllVariants, "full"),
        new("fanout10", "1 platform, 10 subscribers of one source, full speed",
            _ => Fanout(10), (_, _) => [FullSpeed([0])], AllVariants, "full"),
        new("fanout100", "1 platform, 100 subscribers of one source, full speed",
            _ => Fanout(100), (_, _) => [FullSpeed([0])], AllVariants, "full"),
        new("all-plus-source", "1 all-sources subscriber + 1 subscriber per source (4 perf domains, events round-robin), full speed",
            _ => AllPlusSource(), (_, t) => [FullSpeed(Enumerable.Range(0, t.Streams.Count).ToArray())], AllVariants, "full"),
        new("protocols8", "8 protocols at once (one event each, round-robin from one producer), 1 subscriber each, full speed",
            _ => Protocols8(), (_, t) => [FullSpeed(Enumerable.Range(0, t.Streams.Count).ToArray())], AllVariants, "full"),
        new("platforms1000", "1000 platforms x 32 subscribed perf domains (1 subscriber per platform), a modest fixed rate across all of them",
            o => Platforms(o.Smoke ? 20 : o.Platforms, o.Smoke ? 8 : 32),
            (o, t) => [new Phase("rate", [new ProducerPlan(Enumerable.Range(0, t.Streams.Count).ToArray(), o.PlatformsRate)], o.PlatformsRate)],
            AllVariants, "rate"), // ring slots never allocate on first use (arena), so the usual warm-up does
        new("flood", "perf is flooded (--flood-rate, default 5 M/s offered, in bursts after each 1 ms sleep, drop-newest when its queue is full) while sensor carries a steady rate; latency is the steady protocol's",
            _ => Flood(),
            (o, _) => FloodPhases(o, o.FloodRate),
            AllVariants, "flood", MainTag: 1),
        new("flood-limited", "as flood, with ScmiActors' storm guard on perf (scmi.rate-limit, --flood-limit, default 100 000/s); the baselines have no such guard",
            o => Flood(o.FloodLimit),
            (o, _) => FloodPhases(o, o.FloodRate),
            AllVariants, "flood", MainTag: 1),
        new("flood-1m", "as flood, at 1 M/s offered: 100x the steady rate, and more than a shared-memory channel carries (it holds one message until the agent's ISR frees it)",
            _ => Flood(),
            (o, _) => FloodPhases(o, OneMillion),
            AllVariants, "flood", MainTag: 1),
        new("flood-1m-limited", "as flood-1m, with the storm guard on perf (--flood-limit, default 100 000/s): the flood is 10x the limit",
            o => Flood(o.FloodLimit),
            (o, _) => FloodPhases(o, OneMillion),
            AllVariants, "flood", MainTag: 1),
        new("flood-spin", "as flood, but the flood producer posts at full speed and retries when the queue is full (it keeps a core busy; the flooded subscriber's mailbox grows)",
            _ => Flood(),
            (o, _) =>
            [
                new Phase("steady-only", [new ProducerPlan([1], o.SteadyRate)], o.SteadyRate),
                new Phase("flood", [new ProducerPlan([0], 0), new ProducerPlan([1], o.SteadyRate)]),
            ],
            AllVariants, "flood", MainTag: 1),
        new("burst-control", "the control for the flood cases: the steady protocol as there, plus a thread that posts nothing, spinning --burn-us (default 400 µs, about a flood-limited burst) and then sleeping 1 ms, as the flood producer does",
            _ => Flood(),
            (o, _) =>
            [
                new Phase("steady-only", [new ProducerPlan([1], o.SteadyRate)], o.SteadyRate),
                new Phase("cpu-burst", [new ProducerPlan([], 0, BurnUs: o.BurnUs), new ProducerPlan([1], o.SteadyRate)]),
            ],
            AllVariants, "cpu-burst", MainTag: 1),
        new("rate100k", "1 platform x 1 subscriber at 100 000 events/s offered",
            _ => Fanout(1), (_, _) => [new Phase("rate100k", [new ProducerPlan([0], 100_000)], 100_000)], AllVariants, "rate100k"),
        new("rate100k-spin", "as rate100k, but the producer yield-spins between events (smooth arrivals, no bursts; it keeps one of the cores busy)",
            _ => Fanout(1), (_, _) => [new Phase("rate100k", [new ProducerPlan([0], 100_000)], 100_000, Load.Pacing.Spin)], AllVariants, "rate100k"),
        new("sweep", "latency against offered load (1 platform x 1 subscriber), ScmiActors vs Channels; writes docs/latency-vs-load.csv",
            _ => Fanout(1),
            (o, _) => (o.Smoke ? [25_000, 100_000] : o.SweepRates).Select(r => new Phase($"rate{r / 1000:0}k", [new ProducerPlan([0], r)], r)).ToArray(),
            ["scmi", "channels"], "", Sweep: true),
    ];

    private const double OneMillion = 1_000_000;

    /// <summary>The steady protocol alone, then with perf flooded at <paramref name="floodRate"/> (drop-newest when full).</summary>
    private static Phase[] FloodPhases(LoadOptions o, double floodRate) =>
    [
        new Phase("steady-only", [new ProducerPlan([1], o.SteadyRate)], o.SteadyRate),
        new Phase("flood", [new ProducerPlan([0], floodRate, DropWhenFull: true), new ProducerPlan([1], o.SteadyRate)]),
    ];

    private static PlatformDescription WithPerfLimit(PlatformDescription d, int? limit) => limit is null ? d
        : d with { Protocols = d.Protocols.SetItem(ScmiProtocolId.Perf, d.Protocols[ScmiProtocolId.Perf] with { RateLimit = limit }) };

    private static Phase FullSpeed(int[] streams) => new("full", [new ProducerPlan(streams, 0)]);

    private static Topology Fanout(int subscribers) => new(1, id => Events.Full(id),
        new int[subscribers],
        Enumerable.Range(0, subscribers).Select(i => new SubscriptionSpec(0, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, i)).ToArray(),
        [new StreamSpec(0, Events.PerfLevel(0))]);

    private static Topology AllPlusSource() => new(1, id => Events.Full(id),
        new int[5],
        [
            new SubscriptionSpec(0, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, null, 0),
            .. Enumerable.Range(0, 4).Select(d => new SubscriptionSpec(0, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, (uint)d, d + 1)),
        ],
        Enumerable.Range(0, 4).Select(d => new StreamSpec(0, Events.PerfLevel((uint)d))).ToArray());

    private static Topology Protocols8()
    {
        var raws = Events.OnePerProtocol();
        return new Topology(1, id => Events.Full(id), new int[raws.Length],
            raws.Select((r, i) => new SubscriptionSpec(0, r.Protocol, r.Event, r.Source, i)).ToArray(),
            raws.Select(r => new StreamSpec(0, r)).ToArray());
    }

    private static Topology Platforms(int platforms, int sources) => new(platforms, id => Events.PerfOnly(id, (uint)sources),
        new int[platforms],
        (from p in Enumerable.Range(0, platforms) from s in Enumerable.Range(0, sources)
            select new SubscriptionSpec(p, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, (uint)s, p)).ToArray(),
        // Consecutive events go to different platforms.
        (from s in Enumerable.Range(0, sources) from p in Enumerable.Range(0, platforms)
            select new StreamSpec(p, Events.PerfLevel((uint)s))).ToArray());

    private static Topology Flood(int? perfRateLimit = null) => new(1, id => WithPerfLimit(Events.Full(id), perfRateLimit),
        [0, 1],
        [new SubscriptionSpec(0, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, 0), new SubscriptionSpec(0, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0, 1)],
        [new StreamSpec(0, Events.PerfLevel(0)), new StreamSpec(0, Events.SensorTrip(0))]);
}
