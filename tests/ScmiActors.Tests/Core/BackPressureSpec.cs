using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// A subscriber that blocks in its handler on the first report until released, and remembers the
/// performance levels it processed, in order. It stands for a slow or wedged subscriber.
/// </summary>
public sealed class BlockingSubscriber : ReceiveActor
{
    public BlockingSubscriber(Gate gate)
    {
        Receive<PerfLevelChanged>(r =>
        {
            if (gate.Entered.CurrentCount == 0)
            {
                gate.Entered.Release();
                gate.Released.Wait(TimeSpan.FromSeconds(20));
            }
            gate.Levels.Enqueue(r.PerformanceLevel);
        });
    }

    public static Props Props(Gate gate) => Akka.Actor.Props.Create(() => new BlockingSubscriber(gate));

    public sealed class Gate : IDisposable
    {
        public SemaphoreSlim Entered { get; } = new(0);
        public ManualResetEventSlim Released { get; } = new();
        public ConcurrentQueue<uint> Levels { get; } = new();

        public bool WaitEntered() => Entered.Wait(TimeSpan.FromSeconds(5));

        public void Dispose()
        {
            Released.Set();
            Entered.Dispose();
        }
    }
}

/// <summary>
/// Delivery windows: a subscriber a window behind stops its protocol's drain, the queue fills and the
/// gate drops newest (counted), and everything accepted is delivered once it catches up.
/// </summary>
public sealed class BackPressureSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    scmi.subscriber-window = 8
    scmi.subscriber-stall-timeout = 60s
    """))
{
    private const int Window = 8;

    [Fact]
    public async Task A_subscriber_a_window_behind_stops_the_drain_and_gets_everything_accepted_once_it_catches_up()
    {
        using var gate = new BlockingSubscriber.Gate();
        using var meter = new ScmiMeterListener(Scmi.Metrics.Meter); // this system's meter only
        const string id = "soc0-back-pressure";
        var p = await StartPlatformAsync(id, TestPlatforms.Soc0(id));
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(BlockingSubscriber.Props(gate)));

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 0));
        Assert.True(gate.WaitEntered());
        var counts = new OutcomeCounter();
        for (uint level = 1; level <= 1000; level++)
        {
            counts.Add(PostPerfLevel(p, level % 4, level));
            if (level % 50 == 0) AwaitStats(p, s => Assert.True(s.For(Perf)!.Delivered >= Window)); // let the drain reach the window
        }

        // At most a window was handed to the stalled subscriber; the rest waits in the queue or was dropped.
        var blocked = AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.SubscriberWaits)).For(Perf)!;
        Assert.Equal(1, meter.Observe().Sum("scmi.delivery.waits", id, Perf));
        Assert.Equal(Window, blocked.Delivered); // the window shut after exactly a window of deliveries
        Assert.True(blocked.InQueue > 0, blocked.ToString());
        Assert.True(counts[IngestResult.DroppedQueueFull] > 0, counts.ToString());
        Assert.Equal(1001, counts[IngestResult.Queued] + counts[IngestResult.DroppedQueueFull] + 1);

        gate.Released.Set();

        // Every accepted event reaches the subscriber, in order, and the accounting adds up.
        var final = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue), TimeSpan.FromSeconds(10));
        var perf = final.For(Perf)!;
        Assert.Equal(perf.Queued, perf.Delivered);
        Assert.Equal(counts[IngestResult.DroppedQueueFull], perf.DroppedQueueFull);
        Assert.Equal(0, perf.SubscriberStalls);
        Assert.Equal(0, meter.Observe().Sum("scmi.subscribers.stalled", id, Perf));
        AssertAddsUp(final);
        AwaitAssert(() => Assert.Equal(perf.Queued, gate.Levels.Count));
        var levels = gate.Levels.ToArray();
        Assert.Equal(0u, levels[0]);
        Assert.True(levels.Zip(levels.Skip(1)).All(pair => pair.First < pair.Second), "delivered out of order");
    }

    [Fact]
    public async Task A_shutdown_drain_delivers_what_was_accepted_even_past_a_shut_window()
    {
        using var gate = new BlockingSubscriber.Gate();
        var p = await StartPlatformAsync();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(BlockingSubscriber.Props(gate)));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 0));
        Assert.True(gate.WaitEntered());
        var queued = 1;
        for (uint level = 1; level <= 100; level++)
            if (PostPerfLevel(p, level % 4, level) == IngestResult.Queued) queued++;
        AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.SubscriberWaits));

        // The drain does not wait for the blocked subscriber: the sealed queue goes to its mailbox,
        // nothing is discarded, and it gets every accepted event once it runs again.
        var stopping = Scmi.StopPlatformAsync(p.Id);
        var final = (await stopping.WaitAsync(TimeSpan.FromSeconds(10))).FinalStats.For(Perf)!;
        Assert.Equal((queued, queued, 0L), (final.Queued, final.Delivered, final.Discarded));
        gate.Released.Set();
        AwaitAssert(() => Assert.Equal(queued, gate.Levels.Count), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Unsubscribing_the_subscriber_that_holds_the_window_resumes_delivery_to_the_others()
    {
        using var gate = new BlockingSubscriber.Gate();
        var p = await StartPlatformAsync();
        var slow = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(BlockingSubscriber.Props(gate)));
        var count = new System.Runtime.CompilerServices.StrongBox<long>();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), Sys.ActorOf(CountingSubscriber.Props(count)));

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 0));
        Assert.True(gate.WaitEntered());
        var queued = 1;
        for (uint level = 1; level <= 100; level++)
            if (PostPerfLevel(p, 1, level) == IngestResult.Queued) queued++;
        AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.SubscriberWaits));
        Assert.True(Interlocked.Read(ref count.Value) <= Window, $"{count.Value} delivered past a shut window");

        UnsubscribeExpect(p, slow);

        // The other subscriber now gets every accepted event, without waiting for the slow one.
        AwaitAssert(() => Assert.Equal(queued, Interlocked.Read(ref count.Value)), TimeSpan.FromSeconds(5));
        var perf = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue)).For(Perf)!;
        Assert.Equal(0, perf.SubscriberStalls);
        Assert.False(gate.Released.IsSet);
    }

    [Fact]
    public async Task Markers_are_answered_by_any_actor_so_a_busy_protocol_keeps_flowing_past_many_windows()
    {
        var p = await StartPlatformAsync();
        var count = new System.Runtime.CompilerServices.StrongBox<long>();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(CountingSubscriber.Props(count)));
        var probe = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), probe);

        // 100 windows' worth, paced so that the queue never overflows: every event is delivered.
        for (uint level = 0; level < 100 * Window; level++)
        {
            while (PostPerfLevel(p, 2, level) == IngestResult.DroppedQueueFull) Thread.Yield();
        }
        AwaitAssert(() => Assert.Equal(100 * Window, Interlocked.Read(ref count.Value)), TimeSpan.FromSeconds(10));
        for (uint level = 0; level < 100 * Window; level++)
            Assert.Equal(level, probe.ExpectMsg<PerfLevelChanged>().PerformanceLevel); // the probe never sees a marker
        var perf = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue)).For(Perf)!;
        Assert.Equal(0, perf.SubscriberStalls);
    }
}

/// <summary>A subscriber that never catches up is warned about and exempted; nobody else waits for it.</summary>
public sealed class StalledSubscriberSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    scmi.subscriber-window = 8
    scmi.subscriber-stall-timeout = 1s
    """))
{
    [Fact]
    public async Task A_subscriber_that_keeps_its_window_shut_is_warned_about_and_delivered_to_without_a_window()
    {
        using var gate = new BlockingSubscriber.Gate();
        var p = await StartPlatformAsync();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(BlockingSubscriber.Props(gate), "wedged"));
        var count = new System.Runtime.CompilerServices.StrongBox<long>();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, Sys.ActorOf(CountingSubscriber.Props(count)));

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 0));
        Assert.True(gate.WaitEntered());
        EventFilter.Warning(new Regex("Subscriber .*/wedged has not processed its deliveries for")).ExpectOne(TimeSpan.FromSeconds(5), () =>
        {
            for (uint level = 1; level <= 20; level++) Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, level));
        });

        // Exempt: the drain goes on and the other subscriber gets everything.
        for (uint level = 21; level <= 500; level++)
        {
            while (PostPerfLevel(p, 0, level) == IngestResult.DroppedQueueFull) Thread.Yield();
        }
        AwaitAssert(() => Assert.Equal(501, Interlocked.Read(ref count.Value)), TimeSpan.FromSeconds(5));
        var perf = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue)).For(Perf)!;
        Assert.True(perf.SubscriberStalls >= 1); // the wedged one (on a starved machine the other could stall too)

        // Once it answers a marker it is back under its window; it too got every accepted event.
        EventFilter.Info(new Regex("Subscriber .*/wedged is processing deliveries again")).ExpectOne(TimeSpan.FromSeconds(5), () => gate.Released.Set());
        AwaitAssert(() => Assert.Equal(501, gate.Levels.Count), TimeSpan.FromSeconds(5));
    }
}
