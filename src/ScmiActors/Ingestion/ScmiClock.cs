using System.Diagnostics;

namespace ScmiActors.Ingestion;

/// <summary>Monotonic nanoseconds for ingestion timestamps (like Linux's boot-time clock).</summary>
public static class ScmiClock
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    public static long NowNs() => Stopwatch.Frequency == 1_000_000_000
        ? Stopwatch.GetTimestamp()
        : (long)(Stopwatch.GetTimestamp() * NsPerTick);
}
