using System.Collections.Concurrent;
using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>All-sources subscriptions: enables on every source, delivery order, partial failure, shared sources.</summary>
public sealed class AllSourcesSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task All_sources_subscription_enables_every_source_and_receives_from_each()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);

        // perf has 4 domains: one enable each.
        Assert.Equal([0u, 1u, 2u, 3u], PerfLevelNotifies(p).Where(n => n.Enable).Select(n => n.Source).Order().ToArray());
        Assert.Equal(4, PerfLevelNotifies(p).Count);

        for (uint s = 0; s < 4; s++) PostPerfLevel(p, s, 100 + s);
        for (uint s = 0; s < 4; s++)
        {
            var report = subscriber.ExpectMsg<PerfLevelChanged>();
            Assert.Equal((s, 100 + s), (report.Source, report.PerformanceLevel)); // arrival order within one protocol
        }

        UnsubscribeExpect(p, id);
        Assert.Equal([0u, 1u, 2u, 3u], PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray());
        var stats = AwaitStats(p, s => Assert.Equal(4, s.For(Perf)!.Delivered));
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task All_sources_subscribers_are_told_before_source_subscribers()
    {
        var p = await StartPlatformAsync();
        // Mailbox-less recorders: each records on the protocol actor's thread during the tell, so
        // the shared log is exactly the order of the tells.
        var log = new ConcurrentQueue<(string Tag, ScmiReport Report)>();
        var source1 = CallbackActorRef.Create(Sys, "source-1", m => { if (m is ScmiReport r) log.Enqueue(("source-1", r)); });
        var all = CallbackActorRef.Create(Sys, "all", m => { if (m is ScmiReport r) log.Enqueue(("all", r)); });
        // Subscribe the source subscriber first, so that order of subscription cannot explain the result.
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), source1);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, all);

        PostPerfLevel(p, 1, 10);
        PostPerfLevel(p, 0, 11);
        PostPerfLevel(p, 1, 12);
        AwaitCondition(() => log.Count == 5, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));

        var order = log.Select(e => (e.Tag, ((PerfLevelChanged)e.Report).PerformanceLevel)).ToArray();
        Assert.Equal(new[] { ("all", 10u), ("source-1", 10u), ("all", 11u), ("all", 12u), ("source-1", 12u) }, order);
        // One report object per event, shared by its subscribers.
        Assert.Same(log.ElementAt(0).Report, log.ElementAt(1).Report);
        AssertAddsUp(AwaitStats(p, s => Assert.Equal(5, s.For(Perf)!.Delivered)));
    }

    [Fact]
    public async Task A_subscriber_on_all_sources_and_on_one_source_gets_that_sources_report_twice()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);

        PostPerfLevel(p, 1, 10);
        PostPerfLevel(p, 2, 20);
        var first = subscriber.ExpectMsg<PerfLevelChanged>();
        var second = subscriber.ExpectMsg<PerfLevelChanged>();
        Assert.Equal((10u, 10u), (first.PerformanceLevel, second.PerformanceLevel));
        Assert.Equal(20u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        // Source 1 is enabled once although two keys hold it.
        Assert.Equal(1, Count(PerfLevelNotifies(p), 1, true));
        AssertAddsUp(AwaitStats(p, s => Assert.Equal(3, s.For(Perf)!.Delivered)));
    }

    [Fact]
    public async Task Partial_enable_failure_keeps_the_subscription_and_never_disables_what_it_did_not_enable()
    {
        var p = await StartPlatformAsync();
        p.Firmware.Answer = c => c.Header.ProtocolId == Perf && c.Notify == (2u, true) ? ScmiStatus.Denied : ScmiStatus.Success;
        var subscriber = CreateTestProbe();

        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);
        Assert.Equal([0u, 1u, 2u, 3u], PerfLevelNotifies(p).Where(n => n.Enable).Select(n => n.Source).Order().ToArray());
        Assert.Equal(1, Stats(p).ActiveSubscriptions);

        PostPerfLevel(p, 3, 33);
        Assert.Equal(33u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);

        UnsubscribeExpect(p, id);
        Assert.Equal([0u, 1u, 3u], PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray());

        // Source 2 was never counted: a later subscriber of it enables it (and is refused again), nothing negative.
        var failed = SubscribeExpect<SubscriptionFailed>(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);
        Assert.Equal(new SubscriptionFailure.PlatformRejected(ScmiStatus.Denied), failed.Reason);
        Assert.Equal(2, Count(PerfLevelNotifies(p), 2, true));
        Assert.Equal(0, Count(PerfLevelNotifies(p), 2, false));
        AssertAddsUp(Stats(p));
    }

    [Fact]
    public async Task Source_held_by_all_sources_and_by_its_own_subscriber_stays_enabled_until_both_leave()
    {
        var p = await StartPlatformAsync();
        var all = CreateTestProbe();
        var one = CreateTestProbe();
        var allId = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, all);
        var oneId = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), one);
        Assert.Equal(1, Count(PerfLevelNotifies(p), 1, true));

        UnsubscribeExpect(p, allId);
        var disabled = PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray();
        Assert.Equal([0u, 2u, 3u], disabled);

        PostPerfLevel(p, 1, 5);
        Assert.Equal(5u, one.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        all.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        UnsubscribeExpect(p, oneId);
        Assert.Equal(1, Count(PerfLevelNotifies(p), 1, false));
        Assert.Equal((1u, false), PerfLevelNotifies(p).Last());
        AssertAddsUp(Stats(p));
    }

    [Fact]
    public async Task Second_all_sources_subscriber_sends_no_commands_and_the_last_one_disables_all()
    {
        var p = await StartPlatformAsync();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var idA = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, a);
        var idB = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, b);
        Assert.Equal(4, PerfLevelNotifies(p).Count);

        UnsubscribeExpect(p, idA);
        Assert.Equal(4, PerfLevelNotifies(p).Count);
        PostPerfLevel(p, 0, 1);
        b.ExpectMsg<PerfLevelChanged>();
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        UnsubscribeExpect(p, idB);
        Assert.Equal(8, PerfLevelNotifies(p).Count);
        Assert.Equal(4, PerfLevelNotifies(p).Count(n => !n.Enable));
    }
}
