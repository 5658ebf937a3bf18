using ScmiActors.Transport;

namespace ScmiActors.Ingestion;

/// <summary>
/// A per-protocol storm guard for the gate: at most <see cref="EventsPerSecond"/> notifications are
/// accepted, with bursts of up to <see cref="Burst"/>; the rest is dropped and counted
/// (<see cref="IngestResult.DroppedRateLimited"/>). Linux has no such limit; it is here because a
/// firmware storming one protocol otherwise takes the CPU from every other protocol, and no queue
/// or dispatcher design can give that time back on a small machine (docs/benchmarks.md, flood).
/// <para>The generic cell rate algorithm: one "theoretical arrival time" advanced by one interval
/// per accepted event with a CAS, so it is lock-free for many producers and allocates nothing.</para>
/// </summary>
internal sealed class RateLimiter
{
    private readonly long _intervalNs;
    private readonly long _toleranceNs;
    private long _theoreticalArrivalNs = long.MinValue;

    public RateLimiter(int eventsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(eventsPerSecond, 1);
        EventsPerSecond = eventsPerSecond;
        Burst = Math.Max(16, eventsPerSecond / 100); // 10 ms of the rate, at least 16 events
        _intervalNs = Math.Max(1, 1_000_000_000L / eventsPerSecond);
        _toleranceNs = (Burst - 1) * _intervalNs;
    }

    public int EventsPerSecond { get; }
    public int Burst { get; }

    /// <summary>True when an event arriving at <paramref name="nowNs"/> (monotonic) is within the limit.</summary>
    public bool TryAcquire(long nowNs)
    {
        var tat = Volatile.Read(ref _theoreticalArrivalNs);
        while (true)
        {
            var start = Math.Max(tat, nowNs);
            if (start - nowNs > _toleranceNs) return false;
            var seen = Interlocked.CompareExchange(ref _theoreticalArrivalNs, start + _intervalNs, tat);
            if (seen == tat) return true;
            tat = seen;
        }
    }
}
