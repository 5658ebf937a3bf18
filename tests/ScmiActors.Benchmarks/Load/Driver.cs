using System.Diagnostics;
using HdrHistogram;
using ScmiActors.Ingestion;

namespace ScmiActors.Benchmarks.Load;

/// <summary>A producer thread: the streams it posts round-robin, at full speed (<see cref="Rate"/> 0) or at a fixed offered rate (events/s).</summary>
/// <remarks>
/// With <see cref="DropWhenFull"/> a full queue drops the event (counted in "full") instead of
/// retrying: a firmware flood. With <see cref="BurnUs"/> &gt; 0 it posts nothing: it spins that
/// long, sleeps 1 ms and repeats, the control for a flood producer's CPU bursts.
/// </remarks>
public sealed record ProducerPlan(int[] Streams, double Rate, bool DropWhenFull = false, double BurnUs = 0);

/// <summary>How a paced producer waits for the next event's due time.</summary>
public enum Pacing
{
    /// <summary>Thread.Sleep(1) whenever ahead, then post every event that fell due: ~1 ms bursts, an idle core in between (interrupt-like).</summary>
    Sleep,
    /// <summary>Yield-spin until due (sleep only when more than 2 ms ahead): smooth arrivals, but the producer keeps a core busy.</summary>
    Spin,
}

public sealed record LatencyStats(long Count, double P50Us, double P99Us, double P999Us, double MaxUs)
{
    public static LatencyStats From(LongHistogram h) => h.TotalCount == 0
        ? new LatencyStats(0, double.NaN, double.NaN, double.NaN, double.NaN)
        : new LatencyStats(h.TotalCount, h.GetValueAtPercentile(50) / 1e3, h.GetValueAtPercentile(99) / 1e3,
            h.GetValueAtPercentile(99.9) / 1e3, h.GetMaxValue() / 1e3);
}

/// <param name="BusyFraction">The busiest paced producer's time in bursts over the run (wall time: preemption inside a burst counts); NaN without paced producers. Full-speed producers are not tracked.</param>
/// <param name="BurstUs">That producer's mean burst: from waking up to going back to sleep, in µs.</param>
public sealed record RunResult(
    string Variant, long Events, long Deliveries, double Seconds, LatencyStats[] Latency,
    double AllocBytesPerEvent, int Gen0, int Gen1, int Gen2, long FullRetries, double GcPauseMs = 0,
    double BusyFraction = double.NaN, double BurstUs = double.NaN)
{
    public double EventsPerSecond => Events / Seconds;
    public double DeliveriesPerSecond => Deliveries / Seconds;
}

/// <summary>What <see cref="Driver.Produce"/>'s producers posted: <see cref="Clock"/> and <see cref="StartNs"/> (ScmiClock) were taken as they started.</summary>
public sealed record Produced(Stopwatch Clock, long StartNs, long Events, long Expected, long FullRetries, double BusyFraction, double BurstUs);

/// <summary>
/// Runs producers against a variant for a while, waits until every accepted event was delivered
/// to every subscriber it matches, and measures: events accepted per second of the whole run
/// (start to last delivery), latency per tag (merged from the subscribers' per-thread histograms),
/// allocated bytes per event (whole process, GC.GetTotalAllocatedBytes(precise)) and GC counts.
/// </summary>
public static class Driver
{
    public static RunResult Run(Variant variant, Topology topology, ProducerPlan[] plans, double seconds, TimeSpan drainTimeout,
        Pacing pacing = Pacing.Sleep)
    {
        LatencySink.ResetAll();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var allocated = GC.GetTotalAllocatedBytes(true);
        var paused = GC.GetTotalPauseDuration();

        var produced = Produce(variant, topology.Fanout, plans, seconds, pacing);
        var clock = produced.Clock;
        long events = produced.Events, expected = produced.Expected, retries = produced.FullRetries;

        var deadline = clock.Elapsed + drainTimeout;
        long delivered;
        while ((delivered = LatencySink.Delivered()) < expected)
        {
            if (clock.Elapsed > deadline)
                throw new TimeoutException($"{variant.Name}: {delivered} of {expected} deliveries after {clock.Elapsed.TotalSeconds:F1} s");
            Thread.Sleep(1);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var allocatedAfter = GC.GetTotalAllocatedBytes(true);
        var pauseMs = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;
        var gcs = (GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);

        // Anything beyond the expected count would be a duplicate delivery: wait a moment to see it.
        Thread.Sleep(5);
        delivered = LatencySink.Delivered();
        if (delivered != expected) throw new InvalidOperationException($"{variant.Name}: {delivered} deliveries, expected {expected}");

        var latency = Enumerable.Range(0, LatencySink.Tags).Select(tag => LatencyStats.From(LatencySink.Merge(tag))).ToArray();
        return new RunResult(variant.Name, events, delivered, elapsed, latency,
            events == 0 ? double.NaN : (allocatedAfter - allocated) / (double)events, gcs.Item1, gcs.Item2, gcs.Item3, retries, pauseMs,
            produced.BusyFraction, produced.BurstUs);
    }

    /// <summary>
    /// Runs the producers of <paramref name="plans"/> against <paramref name="poster"/> for
    /// <paramref name="seconds"/> and returns what they posted; <see cref="Produced.Clock"/> was started
    /// with them (the drain's deadline and the run's length count from it). Throws when a producer failed.
    /// </summary>
    /// <param name="fanout">Per stream, how many deliveries one accepted event makes.</param>
    public static Produced Produce(Poster poster, int[] fanout, ProducerPlan[] plans, double seconds, Pacing pacing)
    {
        var stop = new StopFlag();
        var producers = plans.Select(plan => new Producer(poster, plan, stop, pacing)).ToArray();
        var threads = producers.Select(p => new Thread(p.Run) { IsBackground = true, Name = "producer" }).ToArray();
        var startNs = ScmiClock.NowNs();
        var clock = Stopwatch.StartNew();
        foreach (var t in threads) t.Start();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref stop.Value, true);
        foreach (var t in threads) t.Join();
        var producedNs = clock.Elapsed.TotalNanoseconds;
        var busiest = producers.Where(p => p.Bursts > 0).MaxBy(p => p.BusyNs);
        foreach (var p in producers)
            if (p.Error is { } error) throw new InvalidOperationException($"{poster.Name}: producer failed: {error.Message}", error);

        long events = 0, expected = 0, retries = 0;
        foreach (var p in producers)
        {
            retries += p.FullRetries;
            for (var i = 0; i < p.Plan.Streams.Length; i++)
            {
                events += p.Posted[i];
                expected += p.Posted[i] * fanout[p.Plan.Streams[i]];
            }
        }
        return new Produced(clock, startNs, events, expected, retries,
            busiest is null ? double.NaN : busiest.BusyNs / producedNs, busiest is null ? double.NaN : busiest.BusyNs / 1e3 / busiest.Bursts);
    }

    private sealed class StopFlag
    {
        public bool Value;
    }

    private sealed class Producer(Poster variant, ProducerPlan plan, StopFlag stop, Pacing pacing)
    {
        public ProducerPlan Plan { get; } = plan;
        public long[] Posted { get; } = new long[plan.Streams.Length];
        public long FullRetries { get; private set; }
        public Exception? Error { get; private set; }

        /// <summary>Paced and burning producers: wall time spent in bursts (woken, posting until nothing is due), and how many.</summary>
        public long BusyNs { get; private set; }
        public long Bursts { get; private set; }

        public void Run()
        {
            try
            {
                if (Plan.BurnUs > 0) Burn();
                else if (Plan.Rate <= 0) FullSpeed();
                else Paced();
            }
            catch (Exception e)
            {
                Error = e;
            }
        }

        /// <summary>Spins for <see cref="ProducerPlan.BurnUs"/>, then sleeps 1 ms, as a flood producer bursts and then sleeps, without the posts.</summary>
        private void Burn()
        {
            var burnNs = (long)(Plan.BurnUs * 1e3);
            long busy = 0, bursts = 0;
            while (!Volatile.Read(ref stop.Value))
            {
                var start = ScmiClock.NowNs();
                long now;
                while ((now = ScmiClock.NowNs()) - start < burnNs) { }
                busy += now - start;
                bursts++;
                Thread.Sleep(1);
            }
            (BusyNs, Bursts) = (busy, bursts);
        }

        private void FullSpeed()
        {
            var streams = Plan.Streams;
            var posted = Posted;
            var i = 0;
            long retries = 0;
            var spinner = new SpinWait();
            while (!Volatile.Read(ref stop.Value))
            {
                if (variant.TryPost(streams[i]))
                {
                    posted[i]++;
                    if (++i == streams.Length) i = 0;
                    spinner.Reset();
                }
                else
                {
                    retries++;
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
            FullRetries = retries;
        }

        /// <summary>
        /// Posts at the offered rate: each event has a due time; when behind, it posts every event
        /// that fell due at once (catching up), reading the clock once per catch-up rather than per
        /// event, so the producer's own pacing costs next to nothing; when ahead it sleeps
        /// (<see cref="Pacing.Sleep"/>) or yields the core (<see cref="Pacing.Spin"/>). A full
        /// queue is retried, which delays the following events.
        /// </summary>
        private void Paced()
        {
            const long MaxCatchUp = 4096; // events posted between checks of the clock and the stop flag
            var streams = Plan.Streams;
            var posted = Posted;
            var interval = 1e9 / Plan.Rate;
            var start = ScmiClock.NowNs();
            long n = 0;
            var i = 0;
            long retries = 0;
            long busy = 0, bursts = 0, burstStart = -1;
            while (!Volatile.Read(ref stop.Value))
            {
                var now = ScmiClock.NowNs();
                var due = start + (long)(n * interval);
                if (now < due)
                {
                    if (burstStart >= 0)
                    {
                        busy += now - burstStart;
                        bursts++;
                        burstStart = -1;
                    }
                    if (pacing == Pacing.Sleep || due - now > 2_000_000) Thread.Sleep(1);
                    else Thread.Yield();
                    continue;
                }
                if (burstStart < 0) burstStart = now;
                // Events n .. dueUpTo - 1 are due by now.
                var dueUpTo = Math.Min((long)((now - start) / interval) + 1, n + MaxCatchUp);
                for (; n < dueUpTo; n++)
                {
                    var spinner = new SpinWait();
                    var accepted = true;
                    while (!variant.TryPost(streams[i]))
                    {
                        retries++;
                        if (Plan.DropWhenFull)
                        {
                            accepted = false;
                            break;
                        }
                        if (Volatile.Read(ref stop.Value)) goto done;
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                    if (accepted) posted[i]++;
                    if (++i == streams.Length) i = 0;
                }
            }
            done:
            FullRetries = retries;
            if (burstStart >= 0) // still behind when the run ended: that burst counts too
            {
                busy += ScmiClock.NowNs() - burstStart;
                bursts++;
            }
            (BusyNs, Bursts) = (busy, bursts);
        }
    }
}
