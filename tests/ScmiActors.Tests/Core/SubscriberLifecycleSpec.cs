using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>Subscriptions that end while events flow: by Unsubscribe, or by the subscriber's death.</summary>
public sealed class SubscriberLifecycleSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task After_Unsubscribed_nothing_more_is_delivered_although_events_keep_coming()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);

        var isr = new PostingThread(i => PostPerfLevel(p, 1, (uint)i)).Start();
        try
        {
            subscriber.ExpectMsg<PerfLevelChanged>(); // mid-stream

            // The subscriber itself asks, so Unsubscribed lands in the same mailbox as the reports:
            // every report told before the route was removed is ahead of it, none may follow it.
            p.Handle.Tell(new Unsubscribe(p.Id, id), subscriber);
            ReceiveReportsUntil<Unsubscribed>(subscriber, u => u.Id == id);
            var decodedAtUnsubscribe = Stats(p).For(Perf)!.Decoded;

            // Keep the stream going long enough that a leak would show.
            AwaitCondition(() => Stats(p).For(Perf)!.Decoded > decodedAtUnsubscribe + 200, TimeSpan.FromSeconds(5),
                TimeSpan.FromMilliseconds(20));
            subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            isr.Stop();
        }
        Assert.Null(isr.Error);

        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal((1u, false), PerfLevelNotifies(p).Last());
        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue));
        var perf = stats.For(Perf)!;
        Assert.True(perf.Unmatched > 200, Describe(stats));
        Assert.Equal(perf.Decoded, perf.Delivered + perf.Unmatched);
        Assert.Equal(isr.Counts[IngestResult.Queued], perf.Queued);
        Assert.Equal(isr.Counts[IngestResult.DroppedQueueFull], perf.DroppedQueueFull);
        Assert.Equal(isr.Counts.Total, stats.Received - stats.NotANotification);
        Assert.Equal(2, stats.NotANotification); // the answers to the enable and the disable
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task A_subscriber_that_dies_mid_stream_releases_its_enable()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var survivor = CreateTestProbe();
        var on2 = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);
        var on3 = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(3), subscriber); // two subscriptions of the same actor
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(3), survivor);
        Assert.Equal(3, Stats(p).ActiveSubscriptions);

        PostPerfLevel(p, 2, 1);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 1);

        Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        ExpectTerminated(subscriber.Ref);

        AwaitAssert(() =>
        {
            Assert.Equal(1, Count(PerfLevelNotifies(p), 2, false));
            Assert.Equal(1, Stats(p).ActiveSubscriptions);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        // Source 3 is still held by the survivor.
        Assert.Equal(0, Count(PerfLevelNotifies(p), 3, false));
        // Both of its subscriptions are gone once their unbinds finished, i.e. once the routes without it
        // are installed. Source 2's disable shows that for source 2; nothing shows it for source 3, still
        // enabled, so ask: an entry still unbinding answers "already being unsubscribed".
        foreach (var id in new[] { on2, on3 })
            AwaitAssert(() =>
            {
                p.Handle.Tell(new Unsubscribe(p.Id, id), TestActor);
                Assert.Equal("no such subscription", ExpectMsg<UnsubscribeFailed>(f => f.Id == id).Reason);
            }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));

        PostPerfLevel(p, 2, 2); // nobody listens any more
        PostPerfLevel(p, 3, 3);
        Assert.Equal(3u, survivor.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        // Counted decoded before delivered or unmatched, and before it leaves the ring: wait for the whole
        // snapshot, not for its first counter.
        AwaitStats(p, s =>
        {
            Assert.Equal((3L, 2L, 1L), (s.For(Perf)!.Decoded, s.For(Perf)!.Delivered, s.For(Perf)!.Unmatched));
            AssertAddsUp(s);
        });
    }

    [Fact]
    public async Task A_subscriber_that_dies_while_pending_is_forgotten()
    {
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        var subscriber = CreateTestProbe();
        SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        Assert.Equal(1, Stats(p).PendingSubscriptions);

        Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        ExpectTerminated(subscriber.Ref);
        AwaitAssert(() => Assert.Equal(0, Stats(p).PendingSubscriptions), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));

        RegisterPerf(p);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Empty(p.Firmware.Commands); // nothing enabled for a dead subscriber
    }

    [Fact]
    public async Task An_all_sources_subscriber_that_dies_releases_every_source_it_held()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var other = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(3), other);

        Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        ExpectTerminated(subscriber.Ref);

        AwaitAssert(() => Assert.Equal([0u, 1u, 2u],
                PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray()),
            TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        AwaitAssert(() => Assert.Equal(1, Stats(p).ActiveSubscriptions), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        PostPerfLevel(p, 3, 1);
        Assert.Equal(1u, other.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        AssertAddsUp(AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.Delivered)));
    }
}
