using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>Pending subscriptions, immediate failures and the per-source enable count.</summary>
public sealed class SubscriptionSpec(ITestOutputHelper output) : CoreSpec(output)
{
    private static readonly PlatformOptions Unregistered = new(RegisterDescribedProtocols: false);

    // ---- pending subscriptions ------------------------------------------------------------------

    [Fact]
    public async Task Pending_subscription_binds_and_delivers_when_its_protocol_registers()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        var subscriber = CreateTestProbe();

        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(3), subscriber);
        Assert.Equal(1, Stats(p).PendingSubscriptions);
        Assert.Empty(p.Firmware.Commands);
        Assert.Equal(IngestResult.UnknownProtocol, PostPerfLevel(p, 3, 1));

        RegisterPerf(p);
        Assert.Equal(pending.Id, subscriber.ExpectMsg<SubscriptionActive>().Id);
        Assert.Equal([(3u, true)], PerfLevelNotifies(p));

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 3, 700));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 2, 701)); // another source: not for this subscriber
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 3, 702));
        Assert.Equal(700u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        Assert.Equal(702u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);

        // Counted decoded before delivered or unmatched, and before it leaves the ring: wait for the whole
        // snapshot, not for its first counter.
        var stats = AwaitStats(p, s =>
        {
            Assert.Equal((3L, 2L, 1L), (s.For(Perf)!.Decoded, s.For(Perf)!.Delivered, s.For(Perf)!.Unmatched));
            AssertAddsUp(s);
        });
        Assert.Equal((1, 0), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
        Assert.Equal(1, stats.UnknownProtocol);
    }

    [Fact]
    public async Task Pending_subscription_to_an_event_the_protocol_does_not_have_fails_at_registration()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, 7, SourceSelector.Id(0), subscriber);

        RegisterPerf(p);
        var failed = subscriber.ExpectMsg<SubscriptionFailed>();
        Assert.Equal(pending.Id, failed.Id);
        Assert.Equal(new SubscriptionFailure.NoSuchEvent(Perf, 7), failed.Reason);
        Assert.Empty(p.Firmware.Commands);
        Assert.Equal(0, Stats(p).ActiveSubscriptions + Stats(p).PendingSubscriptions);
    }

    [Fact]
    public async Task Pending_subscription_to_a_source_out_of_range_fails_at_registration()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(4), subscriber);

        RegisterPerf(p);
        var failed = subscriber.ExpectMsg<SubscriptionFailed>();
        Assert.Equal(pending.Id, failed.Id);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(4, 4), failed.Reason);
        Assert.Empty(p.Firmware.Commands);
    }

    [Fact]
    public async Task Pending_subscription_whose_enable_the_platform_rejects_fails_with_the_status()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        p.Firmware.Answer = _ => ScmiStatus.Denied;
        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);

        RegisterPerf(p);
        var failed = subscriber.ExpectMsg<SubscriptionFailed>();
        Assert.Equal(pending.Id, failed.Id);
        Assert.Equal(new SubscriptionFailure.PlatformRejected(ScmiStatus.Denied), failed.Reason);
        // The refused enable was not counted: nothing to disable, nothing delivered.
        Assert.Equal([(1u, true)], PerfLevelNotifies(p));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 5));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var stats = AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.Unmatched));
        Assert.Equal(0, stats.ActiveSubscriptions + stats.PendingSubscriptions);
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Unsubscribing_a_pending_subscription_is_immediate_and_nothing_is_enabled_later()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        UnsubscribeExpect(p, pending.Id);
        Assert.Equal(0, Stats(p).PendingSubscriptions);

        RegisterPerf(p);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Empty(p.Firmware.Commands);
    }

    // ---- immediate failures on a registered protocol -----------------------------------------

    [Fact]
    public async Task Subscribe_to_an_event_the_protocol_does_not_have_fails_with_NoSuchEvent()
    {
        var p = await StartPlatformAsync();
        var failed = SubscribeExpect<SubscriptionFailed>(p, Perf, 2, SourceSelector.Id(0), TestActor);
        Assert.Equal(new SubscriptionFailure.NoSuchEvent(Perf, 2), failed.Reason);
        Assert.Empty(p.Firmware.Commands);
    }

    [Fact]
    public async Task Subscribe_to_source_equal_to_the_count_fails_with_SourceOutOfRange()
    {
        var p = await StartPlatformAsync();
        var failed = SubscribeExpect<SubscriptionFailed>(p, Perf, PerfLevel, SourceSelector.Id(4), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(4, 4), failed.Reason);
        // 32-bit sources are never truncated: 0x1_0003 is not source 3.
        var wide = SubscribeExpect<SubscriptionFailed>(p, Perf, PerfLevel, SourceSelector.Id(0x1_0003), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(0x1_0003, 4), wide.Reason);
        Assert.Empty(p.Firmware.Commands);
        Assert.Equal(0, Stats(p).ActiveSubscriptions);
    }

    [Fact]
    public async Task Subscribe_to_a_source_that_cannot_notify_fails_without_any_command()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Perf, d => d.CannotNotifyFor(PerfLevel, 2));
        var p = await StartPlatformAsync(description: description);

        var failed = SubscribeExpect<SubscriptionFailed>(p, Perf, PerfLevel, SourceSelector.Id(2), TestActor);
        Assert.IsType<SubscriptionFailure.NotSupportedByPlatform>(failed.Reason);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Empty(p.Firmware.Commands);

        // The other event of the protocol, and other sources, are unaffected.
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), TestActor);
        SubscribeActive(p, Perf, ScmiEvents.Perf.LimitsChanged, SourceSelector.Id(2), TestActor);
        Assert.Equal([(1u, true)], PerfLevelNotifies(p));
    }

    [Fact]
    public async Task All_sources_subscription_skips_sources_that_cannot_notify_without_traffic()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Perf, d => d.CannotNotifyFor(PerfLevel, 2));
        var p = await StartPlatformAsync(description: description);
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);

        Assert.Equal([0u, 1u, 3u], PerfLevelNotifies(p).Where(n => n.Enable).Select(n => n.Source).Order().ToArray());
        UnsubscribeExpect(p, id);
        Assert.Equal([0u, 1u, 3u], PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray());
    }

    [Fact]
    public async Task All_sources_subscription_where_no_source_can_notify_fails_with_NotSupportedByPlatform()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Perf, d => d.CannotNotifyFor(PerfLevel, 0, 1, 2, 3));
        var p = await StartPlatformAsync(description: description);

        var failed = SubscribeExpect<SubscriptionFailed>(p, Perf, PerfLevel, SourceSelector.All, TestActor);
        Assert.IsType<SubscriptionFailure.NotSupportedByPlatform>(failed.Reason);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Empty(p.Firmware.Commands);
        Assert.Equal(0, Stats(p).ActiveSubscriptions);
    }

    // ---- reference counts ---------------------------------------------------------------------

    [Fact]
    public async Task Two_subscribers_on_one_source_enable_once_and_disable_on_the_last_unsubscribe()
    {
        var p = await StartPlatformAsync();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var idA = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), a);
        var idB = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), b);
        Assert.Equal([(1u, true)], PerfLevelNotifies(p));

        PostPerfLevel(p, 1, 10);
        a.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 10);
        b.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 10);

        UnsubscribeExpect(p, idA);
        Assert.Equal([(1u, true)], PerfLevelNotifies(p));
        PostPerfLevel(p, 1, 11);
        b.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 11);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        UnsubscribeExpect(p, idB);
        Assert.Equal([(1u, true), (1u, false)], PerfLevelNotifies(p));
        var stats = AwaitStats(p, s => Assert.Equal(3, s.For(Perf)!.Delivered));
        Assert.Equal(0, stats.ActiveSubscriptions);
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Duplicate_subscription_gets_its_own_id_one_enable_and_one_delivery_per_report()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var first = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        var second = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        Assert.NotEqual(first, second);
        Assert.Equal([(0u, true)], PerfLevelNotifies(p));
        Assert.Equal(2, Stats(p).ActiveSubscriptions);

        PostPerfLevel(p, 0, 1);
        PostPerfLevel(p, 0, 2);
        Assert.Equal(1u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        Assert.Equal(2u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        UnsubscribeExpect(p, first);
        Assert.Equal([(0u, true)], PerfLevelNotifies(p));
        PostPerfLevel(p, 0, 3);
        Assert.Equal(3u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel); // still subscribed by the second id

        UnsubscribeExpect(p, second);
        Assert.Equal([(0u, true), (0u, false)], PerfLevelNotifies(p));
        PostPerfLevel(p, 0, 4);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var stats = AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.Unmatched));
        Assert.Equal(3, stats.For(Perf)!.Delivered);
        Assert.Equal(0, stats.ActiveSubscriptions);
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Unsubscribe_of_an_unknown_id_fails_and_leaves_the_counts_alone()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);

        p.Handle.Tell(new Unsubscribe(p.Id, new SubscriptionId(id.Value + 1000)), TestActor);
        var failed = ExpectMsg<UnsubscribeFailed>();
        Assert.Equal(id.Value + 1000, failed.Id.Value);
        Assert.Equal(1, Stats(p).ActiveSubscriptions);
        Assert.Equal([(2u, true)], PerfLevelNotifies(p));

        // A second unsubscribe of an id that is already gone fails too.
        UnsubscribeExpect(p, id);
        p.Handle.Tell(new Unsubscribe(p.Id, id), TestActor);
        ExpectMsg<UnsubscribeFailed>(f => f.Id == id);
        Assert.Equal([(2u, true), (2u, false)], PerfLevelNotifies(p));

        // The count is neither negative nor stuck: the next subscriber enables once, and its leave disables once.
        var again = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);
        Assert.Equal([(2u, true), (2u, false), (2u, true)], PerfLevelNotifies(p));
        UnsubscribeExpect(p, again);
        Assert.Equal([(2u, true), (2u, false), (2u, true), (2u, false)], PerfLevelNotifies(p));
    }
}
