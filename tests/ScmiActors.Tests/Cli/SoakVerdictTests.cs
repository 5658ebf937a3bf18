using ScmiActors.Cli.Chaos;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The soak's judgement and calibration without processes: made-up per-second series, and what
/// <see cref="SoakVerdict"/> and <see cref="SoakCalibration"/> must conclude from them.
/// </summary>
public sealed class SoakVerdictTests
{
    /// <summary>A steady run: 20 000 sent and received per second, a little noise, flat memory and latency.</summary>
    private static List<SoakSample> Steady(int seconds, Func<int, SoakSample, SoakSample>? change = null)
    {
        var random = new Random(7);
        var samples = new List<SoakSample>();
        for (var i = 0; i <= seconds; i++)
        {
            var sample = new SoakSample(TimeSpan.FromSeconds(i), 20_000L * i, 30L * i, 20_000L * i - random.Next(0, 50), random.Next(0, 20),
                120 + random.Next(0, 30), 110 + random.NextDouble(), 50 + random.NextDouble());
            samples.Add(change?.Invoke(i, sample) ?? sample);
        }
        return samples;
    }

    [Fact]
    public void A_steady_run_is_judged_and_nothing_drifted()
    {
        var drift = SoakVerdict.Judge(Steady(600));

        Assert.True(drift.Judged);
        Assert.False(drift.Drifted);
        Assert.Equal(["node memory", "platform memory", "p99 latency", "ring depth", "received", "lost at the slot"], drift.Figures.Select(f => f.Name));
        Assert.StartsWith("nothing drifted: node memory 110.", drift.Summary);
    }

    [Fact]
    public void Node_memory_growing_through_the_run_is_a_drift_and_named()
    {
        // 110 MB growing by 0.1 MB a second: 60 MB more by the end of ten minutes.
        var drift = SoakVerdict.Judge(Steady(600, (i, s) => s with { NodeRssMb = 110 + 0.1 * i }));

        Assert.True(drift.Drifted);
        var figure = Assert.Single(drift.Figures, f => f.Drifted);
        Assert.Equal("node memory", figure.Name);
        Assert.InRange(figure.Start, 115, 135);
        Assert.InRange(figure.End, 165, 172);
        Assert.StartsWith("DRIFTED: node memory", drift.Summary);
    }

    [Fact]
    public void Memory_that_grows_within_the_margin_is_not_a_drift()
    {
        // 10 MB over the run: below max(16 MB, 10 %).
        var drift = SoakVerdict.Judge(Steady(600, (i, s) => s with { NodeRssMb = 110 + 10.0 * i / 600 }));

        Assert.False(drift.Drifted);
    }

    [Fact]
    public void Latency_piling_up_at_the_end_is_a_drift_but_single_spikes_are_not()
    {
        var spikes = SoakVerdict.Judge(Steady(600, (i, s) => i % 60 == 0 ? s with { P99Us = 50_000 } : s));
        Assert.False(spikes.Drifted);

        var piling = SoakVerdict.Judge(Steady(600, (i, s) => i > 480 ? s with { P99Us = 2_000 } : s));
        Assert.Equal("p99 latency", Assert.Single(piling.Figures, f => f.Drifted).Name);
    }

    [Fact]
    public void A_falling_received_rate_and_a_growing_ring_are_drifts()
    {
        // From 7 minutes on, the node receives half of what is sent and the rest waits in its rings.
        var drift = SoakVerdict.Judge(Steady(600, (i, s) => i > 420
            ? s with { Received = 20_000L * 420 + 10_000L * (i - 420), Depth = 10_000L * (i - 420) }
            : s));

        Assert.Equal(["ring depth", "received"], drift.Figures.Where(f => f.Drifted).Select(f => f.Name));
    }

    [Fact]
    public void Losses_at_the_slot_that_grow_are_a_drift()
    {
        var drift = SoakVerdict.Judge(Steady(600, (i, s) => i > 480 ? s with { LostAtSlot = 30L * 480 + 500L * (i - 480) } : s));

        Assert.Equal("lost at the slot", Assert.Single(drift.Figures, f => f.Drifted).Name);
    }

    [Fact]
    public void A_run_shorter_than_two_minutes_is_not_judged()
    {
        var drift = SoakVerdict.Judge(Steady(90, (i, s) => s with { NodeRssMb = 100 + i }));

        Assert.False(drift.Judged);
        Assert.False(drift.Drifted);
        Assert.Equal("drift not judged: the run is shorter than 2 min 0 s", drift.Summary);
        Assert.False(SoakVerdict.Judge([]).Judged);
    }

    [Fact]
    public void Memory_that_could_not_be_read_is_left_out_of_the_judgement()
    {
        var drift = SoakVerdict.Judge(Steady(600, (_, s) => s with { NodeRssMb = double.NaN, PlatformRssMb = double.NaN }));

        Assert.True(drift.Judged);
        Assert.DoesNotContain(drift.Figures, f => f.Name.EndsWith("memory", StringComparison.Ordinal));
    }

    [Fact]
    public void The_samples_are_written_as_csv_one_line_a_second()
    {
        var lines = SoakVerdict.Csv(Steady(2)).ToList();

        Assert.Equal("seconds,sent,lost_at_slot,received,ring_depth,p99_us,node_rss_mb,platform_rss_mb", lines[0]);
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("2,40000,60,", lines[3]);
    }

    [Fact]
    public void The_ramp_goes_on_while_the_node_keeps_up_and_stops_where_it_no_longer_does_or_gains_little()
    {
        SoakStep Step(double x, double received, long dropped = 0) => new(x, received, received, 0, dropped);

        Assert.False(SoakCalibration.PastTheKnee([Step(62.5, 9_000)]));
        Assert.False(SoakCalibration.PastTheKnee([Step(62.5, 9_000), Step(90, 13_000)]));
        Assert.True(SoakCalibration.PastTheKnee([Step(62.5, 9_000), Step(90, 13_000, dropped: 50)]));
        Assert.True(SoakCalibration.PastTheKnee([Step(62.5, 9_000), Step(90, 9_500)]));
        Assert.True(SoakCalibration.PastTheKnee([Step(62.5, 9_000), Step(90, 13_000), Step(125, 8_000)]));
        Assert.True(SoakCalibration.PastTheKnee([Step(62.5, 9_000, dropped: 10)]));
        // A few drops (a GC pause filling a ring) are below 0.1 % of a second's reports: the node kept up.
        Assert.False(SoakCalibration.PastTheKnee([Step(62.5, 9_000), Step(90, 13_000, dropped: 12)]));
    }

    [Fact]
    public void The_soak_runs_at_half_the_multiplier_of_the_best_step_the_node_kept_up_with()
    {
        SoakStep Step(double x, double received, long dropped = 0) => new(x, received, received, 0, dropped);

        var (best, rate) = SoakCalibration.Choose([Step(62.5, 9_000), Step(90, 13_000), Step(125, 18_000, dropped: 3), Step(180, 25_000, dropped: 300)]);
        Assert.Equal(125, best.Multiplier);
        Assert.Equal(62.5, rate);

        // Every step lost some: the lowest is the best there is.
        Assert.Equal(31.25, SoakCalibration.Choose([Step(62.5, 9_000, dropped: 20), Step(90, 13_000, dropped: 40)]).Multiplier);
        Assert.Throws<InvalidOperationException>(() => SoakCalibration.Choose([Step(62.5, 0)]));
    }
}
