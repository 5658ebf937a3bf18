using HdrHistogram;

namespace ScmiActors.Benchmarks.Load;

/// <summary>
/// Where subscribers record: one histogram set and one delivery counter per thread (so recording
/// never contends and costs the same in every variant), registered once and reused across runs.
/// The driver resets them between runs (when nothing is in flight) and merges them after a run.
/// Latencies are in nanoseconds; tags separate latency classes (the flood case's steady protocol).
/// </summary>
public sealed class LatencySink
{
    public const int Tags = 2;
    public const long HighestTrackableNs = 60_000_000_000; // 60 s

    private static readonly List<LatencySink> All = new();
    [ThreadStatic] private static LatencySink? _current;

    private readonly LongHistogram[] _histograms;
    private long _count;

    private LatencySink()
    {
        _histograms = new LongHistogram[Tags];
        for (var i = 0; i < Tags; i++) _histograms[i] = new LongHistogram(HighestTrackableNs, 3);
    }

    public static void Record(int tag, long latencyNs)
    {
        var sink = _current ?? Register();
        sink._histograms[tag].RecordValue(Math.Clamp(latencyNs, 0, HighestTrackableNs));
        Volatile.Write(ref sink._count, sink._count + 1);
    }

    private static LatencySink Register()
    {
        var sink = new LatencySink();
        lock (All) All.Add(sink);
        _current = sink;
        return sink;
    }

    /// <summary>Deliveries recorded since the last reset, over all threads.</summary>
    public static long Delivered()
    {
        long total = 0;
        lock (All)
            foreach (var sink in All) total += Volatile.Read(ref sink._count);
        return total;
    }

    /// <summary>Call only while nothing is being delivered.</summary>
    public static void ResetAll()
    {
        lock (All)
            foreach (var sink in All)
            {
                foreach (var h in sink._histograms) h.Reset();
                Volatile.Write(ref sink._count, 0);
            }
    }

    /// <summary>Merges every thread's histogram of one tag (call after the run drained).</summary>
    public static LongHistogram Merge(int tag)
    {
        var merged = new LongHistogram(HighestTrackableNs, 3);
        lock (All)
            foreach (var sink in All) merged.Add(sink._histograms[tag]);
        return merged;
    }
}
