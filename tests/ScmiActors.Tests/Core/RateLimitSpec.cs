using System.Text.RegularExpressions;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>The storm guard on its own, with explicit times.</summary>
public sealed class RateLimiterSpec
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Accepts_a_burst_then_one_event_per_interval()
    {
        var limiter = new RateLimiter(1000); // 1 ms interval, burst 16
        Assert.Equal(16, limiter.Burst);
        var t = 5_000 * Ms;
        Assert.Equal(16, Enumerable.Range(0, 100).Count(_ => limiter.TryAcquire(t)));
        Assert.False(limiter.TryAcquire(t + Ms / 2));
        Assert.True(limiter.TryAcquire(t + Ms));
        Assert.False(limiter.TryAcquire(t + Ms));
        // Idle for a second: the burst is back, and no more than the burst.
        Assert.Equal(16, Enumerable.Range(0, 100).Count(_ => limiter.TryAcquire(t + 1_000 * Ms)));
    }

    [Fact]
    public void Over_a_second_of_a_storm_it_accepts_the_rate_plus_one_burst()
    {
        var limiter = new RateLimiter(200_000); // 5 µs interval, burst 2000 (10 ms)
        Assert.Equal(2000, limiter.Burst);
        var accepted = 0;
        for (long t = 0; t < 1_000 * Ms; t += 1_000) // one attempt per µs: 1 M/s offered
            if (limiter.TryAcquire(t)) accepted++;
        Assert.InRange(accepted, 200_000 + 2000 - 2, 200_000 + 2000);
    }

    [Fact]
    public void Many_producers_at_once_share_one_burst()
    {
        var limiter = new RateLimiter(100); // burst 16
        var accepted = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 1000; i++)
                if (limiter.TryAcquire(42 * Ms)) Interlocked.Increment(ref accepted);
        });
        Assert.Equal(16, accepted);
    }
}

/// <summary>A protocol with a rate limit drops what storms past it, counted; other protocols do not notice.</summary>
public sealed class RateLimitSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task A_storm_past_the_limit_is_dropped_at_the_gate_counted_and_warned_about()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Perf, d => d with { RateLimit = 1 }); // burst 16, then one per second
        var perfLimited = EventFilter.Info(new Regex(@"Protocol 0x13: at most 1 notifications per second are accepted"));
        var p = await perfLimited.ExpectOneAsync(async () =>
        {
            var started = await StartPlatformAsync(description: description);
            AwaitReady(started);
            return started;
        });
        var perf = CreateTestProbe();
        var sensor = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, perf);
        SubscribeActive(p, Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.All, sensor);

        // 200 posts in a burst: about one burst passes (a tight loop lasts far less than the 1 s
        // interval, so at most one more), the rest is dropped. The sensor protocol has no limit.
        var counts = new OutcomeCounter();
        var warning = EventFilter.Warning(new Regex(@"Protocol 0x13 dropped 0 notifications \(queue full\), \d+ over its rate limit"));
        await warning.ExpectOneAsync(TimeSpan.FromSeconds(5), () =>
        {
            for (uint i = 0; i < 200; i++)
            {
                counts.Add(PostPerfLevel(p, i % 4, i));
                if (i < 100) // within the sensor queue's 146 entries
                    Assert.Equal(IngestResult.Queued, p.Platform.SendNotification(Sensor, ScmiEvents.Sensor.TripPointEvent, TestPlatforms.Words(0, 0, i)));
            }
            return Task.CompletedTask;
        });
        Assert.Equal(200, counts[IngestResult.Queued] + counts[IngestResult.DroppedRateLimited]);
        Assert.InRange(counts[IngestResult.Queued], 16, 17);

        for (var i = 0; i < counts[IngestResult.Queued]; i++) perf.ExpectMsg<PerfLevelChanged>();
        perf.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 100; i++) sensor.ExpectMsg<SensorTripPoint>();

        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue));
        var perfStats = stats.For(Perf)!;
        Assert.Equal((counts[IngestResult.Queued], counts[IngestResult.DroppedRateLimited], 0L, 200L),
            (perfStats.Queued, perfStats.DroppedRateLimited, perfStats.DroppedQueueFull, perfStats.Received));
        Assert.Equal(0, stats.For(Sensor)!.DroppedRateLimited);
        AssertAddsUp(stats);
    }
}
