using HdrHistogram;
using ScmiActors.Emulation;
using ScmiActors.Ingestion;
using ScmiActors.Messages;

namespace ScmiActors.Cli.MainJob;

/// <summary>What one platform did, from the dispatcher's side and the emulator's.</summary>
public sealed record PlatformOutcome(string PlatformId, PlatformStats Dispatcher, EmulatorStats Emulator, IReadOnlyList<string> Mismatches)
{
    public bool Consistent => Dispatcher.AddsUp && Mismatches.Count == 0;
}

/// <summary>The main job's outcome: per platform, per subscriber, latency, and the shutdown request.</summary>
public sealed record MainJobResult(IReadOnlyList<PlatformOutcome> Platforms, IReadOnlyList<SubscriberReport> Subscribers,
    HistogramBase Latency, ShutdownOutcome? Shutdown)
{
    public bool Consistent => Platforms.All(p => p.Consistent);

    public int ExitCode => Consistent ? 0 : 1;

    public static MainJobResult From(IReadOnlyList<(string Id, PlatformStats Stats, EmulatorStats Emulator)> platforms,
        IReadOnlyList<SubscriberReport> subscribers, ShutdownOutcome? shutdown)
    {
        var latency = new LongHistogram(TimeStamp.Seconds(10), 3);
        foreach (var s in subscribers) latency.Add(s.Latency);
        return new MainJobResult(platforms.Select(p => new PlatformOutcome(p.Id, p.Stats, p.Emulator, Reconcile(p.Stats, p.Emulator))).ToList(),
            subscribers, latency, shutdown);
    }

    /// <summary>
    /// Every notification the emulator posted must show up in the dispatcher's counters with the same
    /// outcome: what the gate accepted, dropped or rejected is counted on both sides. (Posts after the
    /// handle detached never reach the gate: the emulator counts them as NotRunning, the gate sees none.)
    /// </summary>
    public static IReadOnlyList<string> Reconcile(PlatformStats d, EmulatorStats e)
    {
        var mismatches = new List<string>();
        void Check(string what, long emulator, long dispatcher)
        {
            if (emulator != dispatcher) mismatches.Add($"{what}: emulator {emulator}, dispatcher {dispatcher}");
        }
        Check("queued", e.Count(IngestResult.Queued), d.Protocols.Sum(p => p.Queued));
        Check("dropped (queue full)", e.Count(IngestResult.DroppedQueueFull), d.Protocols.Sum(p => p.DroppedQueueFull));
        Check("dropped (rate limit)", e.Count(IngestResult.DroppedRateLimited), d.Protocols.Sum(p => p.DroppedRateLimited));
        Check("unknown protocol", e.Count(IngestResult.UnknownProtocol), d.UnknownProtocol);
        Check("unknown event", e.Count(IngestResult.UnknownEvent), d.Protocols.Sum(p => p.RejectedUnknownEvent));
        Check("payload too large", e.Count(IngestResult.PayloadTooLarge), d.Protocols.Sum(p => p.RejectedPayloadTooLarge));
        var gateNotRunning = d.NotRunning + d.Protocols.Sum(p => p.RejectedNotRunning);
        if (gateNotRunning > e.Count(IngestResult.NotRunning))
            mismatches.Add($"not running: dispatcher counted {gateNotRunning}, emulator saw only {e.Count(IngestResult.NotRunning)}");
        if (d.Protocols.Any(p => p.InQueue != 0)) mismatches.Add("notifications left in a queue after shutdown");
        return mismatches;
    }
}
