using System.Globalization;

namespace ScmiActors.Cli.Chaos;

/// <summary>
/// One second of a soak: what the platform sent and lost at its slot, what the node received and held in its
/// rings, the latency from gate to subscriber over that second, and both processes' resident memory.
/// </summary>
/// <param name="At">Since the soak started.</param>
/// <param name="Sent">The platform's sent count (cumulative).</param>
/// <param name="LostAtSlot">The platform's losses at its busy P2A slot (cumulative).</param>
/// <param name="Received">The subscriber's report count (cumulative).</param>
/// <param name="Depth">Reports waiting in the node's protocol rings.</param>
/// <param name="P99Us">99th percentile of gate-to-subscriber latency over the second, µs.</param>
/// <param name="NodeRssMb">The node process's resident set, MB; NaN when it could not be read.</param>
/// <param name="PlatformRssMb">The platform process's resident set, MB; NaN when it could not be read.</param>
public sealed record SoakSample(TimeSpan At, long Sent, long LostAtSlot, long Received, long Depth, double P99Us, double NodeRssMb, double PlatformRssMb);

/// <summary>A figure compared between the start and the end of a soak.</summary>
public sealed record SoakFigure(string Name, double Start, double End, string Unit, bool Drifted, string Rule)
{
    public override string ToString() =>
        FormattableString.Invariant($"{Name} {Start:0.#} → {End:0.#} {Unit}{(Drifted ? $" DRIFTED ({Rule})" : "")}");
}

/// <summary>What a soak's samples say: each figure at the start and at the end, and which drifted.</summary>
public sealed record SoakDrift(bool Judged, string? WhyNot, IReadOnlyList<SoakFigure> Figures)
{
    public bool Drifted => Figures.Any(f => f.Drifted);

    public string Summary => !Judged ? $"drift not judged: {WhyNot}"
        : Drifted ? "DRIFTED: " + string.Join("; ", Figures.Where(f => f.Drifted))
        : "nothing drifted: " + string.Join("; ", Figures);
}

/// <summary>
/// Judges whether a soak drifted, from its per-second samples (a plain class, so tests drive it with made-up
/// series). The first 10 % of the run is warm-up (JIT, pools, the GC finding its heap size) and is left out; the
/// medians of the next 15 % (the start) are compared with those of the last 15 % (the end). Medians, because a
/// second with a GC pause or a noisy neighbour on a 2-core VM must not decide; the rules leave room for that
/// noise and catch what grows with time:
/// <list type="bullet">
/// <item>resident memory of either process: the end above the start by more than max(16 MB, 10 %): a leak;</item>
/// <item>p99 latency: the end above twice the start and 200 µs more: work piling up;</item>
/// <item>ring depth: the end above twice the start and 1000 more: the node falling behind;</item>
/// <item>received per second: the end below 90 % of the start: throughput falling;</item>
/// <item>losses at the slot per second: the end above twice the start and 10/s more: the node reading slower.</item>
/// </list>
/// Runs shorter than <see cref="MinimumForDrift"/> are not judged: too few samples per window to tell noise from trend.
/// </summary>
public static class SoakVerdict
{
    public static readonly TimeSpan MinimumForDrift = TimeSpan.FromMinutes(2);

    public static SoakDrift Judge(IReadOnlyList<SoakSample> samples)
    {
        var span = samples.Count == 0 ? TimeSpan.Zero : samples[^1].At - samples[0].At;
        if (span < MinimumForDrift)
            return new SoakDrift(false, $"the run is shorter than {MainJob.MainJobRunner.Format(MinimumForDrift)}", []);
        var t0 = samples[0].At;
        List<(SoakSample Sample, SoakSample? Previous)> Window(double from, double to) =>
        [
            .. samples.Select((s, i) => (s, i == 0 ? null : samples[i - 1]))
                .Where(p => p.Item2 is not null && (p.s.At - t0) >= span * from && (p.s.At - t0) <= span * to),
        ];
        var start = Window(0.10, 0.25);
        var end = Window(0.85, 1.0);
        if (start.Count < 5 || end.Count < 5)
            return new SoakDrift(false, "too few samples at the start or the end", []);

        static double PerSecond(SoakSample s, SoakSample p, Func<SoakSample, long> read) =>
            (read(s) - read(p)) / Math.Max((s.At - p.At).TotalSeconds, 1e-3);

        var figures = new List<SoakFigure>();
        void Figure(string name, string unit, Func<(SoakSample Sample, SoakSample? Previous), double> read, Func<double, double, bool> drifted, string rule)
        {
            var a = Median(start.Select(read));
            var b = Median(end.Select(read));
            if (double.IsNaN(a) || double.IsNaN(b)) return; // not sampled (no /proc): not judged
            figures.Add(new SoakFigure(name, a, b, unit, drifted(a, b), rule));
        }

        Figure("node memory", "MB", p => p.Sample.NodeRssMb, (a, b) => b > a + Math.Max(16, a * 0.10), "more than max(16 MB, 10 %)");
        Figure("platform memory", "MB", p => p.Sample.PlatformRssMb, (a, b) => b > a + Math.Max(16, a * 0.10), "more than max(16 MB, 10 %)");
        Figure("p99 latency", "µs", p => p.Sample.P99Us, (a, b) => b > 2 * a && b > a + 200, "above twice the start and +200 µs");
        Figure("ring depth", "reports", p => p.Sample.Depth, (a, b) => b > 2 * a && b > a + 1000, "above twice the start and +1000");
        Figure("received", "/s", p => PerSecond(p.Sample, p.Previous!, s => s.Received), (a, b) => b < 0.9 * a, "below 90 % of the start");
        Figure("lost at the slot", "/s", p => PerSecond(p.Sample, p.Previous!, s => s.LostAtSlot), (a, b) => b > 2 * a + 10, "above twice the start and +10/s");
        return new SoakDrift(true, null, figures);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The samples as CSV, one line per second, for plotting a soak afterwards.</summary>
    public static IEnumerable<string> Csv(IEnumerable<SoakSample> samples)
    {
        yield return "seconds,sent,lost_at_slot,received,ring_depth,p99_us,node_rss_mb,platform_rss_mb";
        foreach (var s in samples)
            yield return string.Join(",", s.At.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), s.Sent, s.LostAtSlot, s.Received, s.Depth,
                s.P99Us.ToString("0.#", CultureInfo.InvariantCulture), s.NodeRssMb.ToString("0.#", CultureInfo.InvariantCulture),
                s.PlatformRssMb.ToString("0.#", CultureInfo.InvariantCulture));
    }
}

/// <summary>One step of the soak's calibration ramp: the platform's multiplier and the rates measured at it, per second.</summary>
/// <param name="DroppedInNode">Reports the node dropped at its gate (rings full) during the step: a count, not a rate.</param>
public sealed record SoakStep(double Multiplier, double Received, double Tried, double LostAtSlot, long DroppedInNode)
{
    /// <summary>The node kept up: it dropped fewer than <see cref="SoakCalibration.KeptUpBelow"/> of a second's reports over the step.</summary>
    public bool KeptUp => DroppedInNode < SoakCalibration.KeptUpBelow * Received;
}

/// <summary>
/// The soak's calibration (a plain class, so tests drive it): which multipliers the ramp tries, when it stops, and
/// which rate is half the maximum. The maximum is the most the node received per second while it kept up: over a
/// step it dropped fewer reports at its gate than 0.1 % of a second's worth. A few drops are a GC pause or a
/// descheduled thread on a 2-core VM filling a ring (counted and named, as always); more mean the node no longer
/// sustains the rate, and half of that would not be the half-load the soak is meant to hold.
/// </summary>
public static class SoakCalibration
{
    /// <summary>From x62.5 (about 9 000 events/s with the embedded soc0) in steps of about 1.4 to the emulator's limit, x1000.</summary>
    public static readonly IReadOnlyList<double> Steps = [62.5, 90, 125, 180, 250, 350, 500, 700, 1000];

    public const double KeptUpBelow = 0.001;

    /// <summary>
    /// Past the knee: at the last step the node did not keep up, received less than 90 % of the best step, or gained
    /// less than 10 % over the one before (the emulator, the link and the node share two cores; past the knee they take
    /// turns badly, so more asked is not more carried).
    /// </summary>
    public static bool PastTheKnee(IReadOnlyList<SoakStep> steps)
    {
        if (steps.Count == 0) return false;
        if (!steps[^1].KeptUp) return true;
        if (steps.Count < 2) return false;
        var best = steps.Max(s => s.Received);
        return steps[^1].Received < 0.9 * best || steps[^1].Received < 1.1 * steps[^2].Received;
    }

    /// <summary>
    /// The best step at which the node kept up is the maximum; below the knee the received rate follows the
    /// multiplier, so half of that step's multiplier gives about half the maximum (the soak prints what it got).
    /// When the node kept up at no step, the lowest is taken as the maximum.
    /// </summary>
    public static (SoakStep Best, double Multiplier) Choose(IReadOnlyList<SoakStep> steps)
    {
        if (steps.Count == 0 || steps.All(s => s.Received <= 0)) throw new InvalidOperationException("the calibration measured no traffic");
        var keptUp = steps.Where(s => s.KeptUp && s.Received > 0).ToList();
        var best = keptUp.Count > 0 ? keptUp.MaxBy(s => s.Received)! : steps.MinBy(s => s.Multiplier)!;
        return (best, best.Multiplier / 2);
    }
}
