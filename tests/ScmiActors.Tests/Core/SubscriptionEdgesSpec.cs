using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// Subscriptions that end, or whose protocol goes away, while the platform has not answered their
/// NOTIFY enable yet; caller-chosen ids; subscribers that die mid-way. The firmware holds the
/// commands the test names and answers them when the test says, so every interleaving is exact.
/// Long command timeouts: a step that waits for a timeout instead of an answer shows as seconds.
/// </summary>
public sealed class SubscriptionEdgesSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    scmi.command-timeout = 3s
    scmi.shutdown.disable-deadline = 10s
    """))
{
    private static readonly PlatformOptions Unregistered = new(RegisterDescribedProtocols: false);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_notification_the_platform_sends_before_it_answers_the_enable_reaches_the_subscriber(bool allSources)
    {
        // i.MX System Manager (and SCP for LIMITS_SET) sends what a command caused before its answer; Linux
        // registers the notifier before it enables. Here too the route is there before the enable goes out.
        var p = await StartPlatformAsync();
        AwaitReady(p);
        p.Firmware.Hold(c => c.Notify.Enable);
        var subscriber = CreateTestProbe();
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, allSources ? SourceSelector.All : SourceSelector.Id(1), subscriber), TestActor);
        AwaitHeld(p, allSources ? (int)p.Description.Find(Perf)!.SourceCount : 1);

        p.Firmware.ReleaseHeld(ScmiStatus.Success, beforeAnswer: c =>
        {
            if (c.Notify.Source == 1) Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 7));
        });
        ExpectMsg<SubscriptionActive>();
        Assert.Equal(7u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        AwaitStats(p, s => Assert.Equal(0L, s.For(Perf)!.Unmatched));
    }

    [Fact]
    public async Task A_refused_enable_takes_the_route_away_again()
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        p.Firmware.Answer = c => c.Notify.Enable ? ScmiStatus.Denied : ScmiStatus.Success;
        var subscriber = CreateTestProbe();
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), subscriber), TestActor);
        ExpectMsg<SubscriptionFailed>();

        PostPerfLevel(p, 1, 9);
        AwaitStats(p, s => Assert.Equal(1L, s.For(Perf)!.Unmatched));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(ScmiStatus.Success)]
    [InlineData(ScmiStatus.Denied)]
    public async Task An_unsubscribe_while_the_enable_is_in_flight_is_honoured_and_nothing_follows_Unsubscribed(ScmiStatus enableAnswer)
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        p.Firmware.Hold(c => c.Notify.Enable);
        var subscriber = CreateTestProbe();
        var id = SubscriptionId.NewRandom();

        // The caller chose the id, so it can cancel before any answer arrived.
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), subscriber, id), TestActor);
        AwaitHeld(p, 1);
        p.Handle.Tell(new Unsubscribe(p.Id, id), TestActor);

        // The Subscribe is settled at once: it never became active and never will.
        var cancelled = ExpectMsg<SubscriptionFailed>();
        Assert.Equal(id, cancelled.Id);
        Assert.IsType<SubscriptionFailure.Cancelled>(cancelled.Reason);

        p.Firmware.ReleaseHeld(enableAnswer);
        ExpectMsg<Unsubscribed>(u => u.Id == id);
        // An accepted enable is followed by its disable; a refused one needs none.
        Assert.Equal(enableAnswer == ScmiStatus.Success ? [(1u, true), (1u, false)] : [(1u, true)], PerfLevelNotifies(p));
        PostPerfLevel(p, 1, 5);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The count is right: the next subscriber enables once more and its leave disables.
        var before = PerfLevelNotifies(p);
        var again = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        UnsubscribeExpect(p, again);
        Assert.Equal([.. before, (1u, true), (1u, false)], PerfLevelNotifies(p));
        var stats = Stats(p);
        Assert.Equal((0, 0), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
    }

    [Fact]
    public async Task A_pending_subscription_unsubscribed_while_its_enable_is_in_flight_is_never_told_active()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        p.Firmware.Hold(c => c.Notify.Enable);
        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);
        RegisterPerf(p);
        AwaitHeld(p, 1);

        p.Handle.Tell(new Unsubscribe(p.Id, pending.Id), TestActor);
        // After SubscriptionPending the subscriber is owed the outcome: it is Cancelled, now.
        var cancelled = subscriber.ExpectMsg<SubscriptionFailed>();
        Assert.Equal(pending.Id, cancelled.Id);
        Assert.IsType<SubscriptionFailure.Cancelled>(cancelled.Reason);

        p.Firmware.ReleaseHeld();
        ExpectMsg<Unsubscribed>(u => u.Id == pending.Id);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // no SubscriptionActive after the accepted unsubscribe
        Assert.Equal([(2u, true), (2u, false)], PerfLevelNotifies(p));
    }

    [Fact]
    public async Task A_subscriber_that_dies_while_its_enable_is_in_flight_is_sent_nothing_and_its_enable_is_released()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        p.Firmware.Hold(c => c.Notify.Enable);
        var deadLetters = DeadLetters();
        var subscriber = CreateTestProbe();
        var requester = CreateTestProbe();
        // One subscription was pending (its outcome is owed to the subscriber), one was asked for by another actor.
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        RegisterPerf(p);
        var requested = new SubscriptionId(77);
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(2), subscriber, requested), requester);
        AwaitHeld(p, 2);

        Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        ExpectTerminated(subscriber.Ref);
        // The requester is owed an answer and gets it; the dead subscriber gets nothing.
        var cancelled = requester.ExpectMsg<SubscriptionFailed>();
        Assert.Equal(requested, cancelled.Id);
        Assert.IsType<SubscriptionFailure.Cancelled>(cancelled.Reason);

        p.Firmware.ReleaseHeld();
        AwaitAssert(() =>
        {
            var notifies = PerfLevelNotifies(p);
            Assert.Equal(1, Count(notifies, 1, false));
            Assert.Equal(1, Count(notifies, 2, false));
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        requester.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AssertNoDeadLetterTo(deadLetters, subscriber.Ref);
        var stats = Stats(p);
        Assert.Equal((0, 0), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
        Assert.NotEqual(pending.Id, requested);
    }

    [Fact]
    public async Task A_subscriber_that_dies_during_the_ordered_shutdown_is_sent_nothing()
    {
        var p = await StartPlatformAsync();
        var deadLetters = DeadLetters();
        var dying = CreateTestProbe();
        var survivor = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), dying);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), survivor);
        p.Firmware.Hold(c => !c.Notify.Enable || c.Notify.Source == 2);
        // A Subscribe the dying subscriber sent itself, still binding when the shutdown begins.
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(2), dying), dying);
        AwaitHeld(p, 1);

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        AwaitHeld(p, 3); // the disables of sources 0 and 1: the shutdown is under way
        Watch(dying.Ref);
        Sys.Stop(dying.Ref);
        ExpectTerminated(dying.Ref);
        AwaitStats(p, s => Assert.Equal(1, s.ActiveSubscriptions));

        // Answer everything, including the disable that follows the held enable.
        p.Firmware.ReleaseHeld();
        Assert.Equal(PlatformState.Stopped, ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5)).FinalStats.State);
        survivor.ExpectMsg<PlatformStopped>();
        AssertNoDeadLetterTo(deadLetters, dying.Ref);
        Assert.Equal(1, Count(PerfLevelNotifies(p), 2, false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_protocol_registered_again_after_a_deregister_during_an_enable_binds_within_a_round_trip(bool allSources)
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        p.Firmware.Hold(c => c.Notify.Enable);
        var subscriber = CreateTestProbe();
        var selector = allSources ? SourceSelector.All : SourceSelector.Id(3);
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, selector, subscriber), TestActor);
        AwaitHeld(p, allSources ? 4 : 1);

        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        var pending = ExpectMsg<SubscriptionPending>(); // the answer the Subscribe was owed
        Assert.True(ExpectMsg<ProtocolDeregistered>().WasRegistered);
        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(StandardProtocols.Perf, p.Description.Protocols[Perf])), TestActor);

        // The first registration's enables are answered now; what it still has to do takes one round trip.
        var clock = Stopwatch.StartNew();
        p.Firmware.ReleaseHeld();
        ExpectMsg<ProtocolRegistered>(TimeSpan.FromSeconds(10));
        Assert.Equal(pending.Id, subscriber.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(10)).Id);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5),
            $"the pending subscription bound {clock.Elapsed.TotalMilliseconds:F0} ms after the platform answered (a step timeout is 4 s)");

        // Every source the subscription covers ends enabled at the platform.
        var notifies = PerfLevelNotifies(p);
        foreach (var source in allSources ? new uint[] { 0, 1, 2, 3 } : [3u])
            Assert.Equal((source, true), notifies.Last(n => n.Source == source));
        PostPerfLevel(p, 3, 9);
        Assert.Equal(9u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
    }

    /// <summary>
    /// A deregistered generation's event source releases in the background. A stop that does not wait
    /// for it ends the handle (and its children) while the enable is still outstanding: the platform
    /// accepts it afterwards and keeps notifying with nobody left to disable it.
    /// </summary>
    [Fact]
    public async Task A_stop_waits_for_an_enable_still_in_flight_in_a_deregistered_generation_and_disables_it()
    {
        var p = await StartPlatformAsync(options: Unregistered);
        RegisterPerf(p); // the only protocol: after its deregistration the stop has nothing else to wait for
        p.Firmware.Hold(c => c.Notify.Enable);
        var subscriber = CreateTestProbe();
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), subscriber), TestActor);
        AwaitHeld(p, 1);
        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        ExpectMsg<SubscriptionPending>();
        Assert.True(ExpectMsg<ProtocolDeregistered>().WasRegistered);

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // not complete while the enable is outstanding
        p.Firmware.ReleaseHeld();

        Assert.Equal(PlatformState.Stopped, ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5)).FinalStats.State);
        Assert.Equal([(1u, true), (1u, false)], PerfLevelNotifies(p));
        subscriber.ExpectMsg<PlatformStopped>();
    }

    [Fact]
    public async Task A_subscriber_whose_unsubscribe_was_in_flight_when_the_shutdown_began_gets_Unsubscribed_and_no_PlatformStopped()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        p.Firmware.Hold(c => !c.Notify.Enable);
        p.Handle.Tell(new Unsubscribe(p.Id, id), subscriber);
        AwaitHeld(p, 1);

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        Assert.Equal(PlatformState.ShuttingDown, Stats(p).State);
        p.Firmware.ReleaseHeld();

        ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5));
        // Everything the handle sent is in the subscriber's mailbox now; after Unsubscribed there is nothing.
        subscriber.ExpectMsg<Unsubscribed>(u => u.Id == id);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal([(0u, true), (0u, false)], PerfLevelNotifies(p));
    }

    [Fact]
    public async Task A_caller_chosen_id_in_use_is_refused_with_DuplicateId_and_the_handle_never_hands_it_out()
    {
        var p = await StartPlatformAsync();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var id = new SubscriptionId(1); // what the handle would number its first subscription
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), a, id), TestActor);
        Assert.Equal(id, ExpectMsg<SubscriptionActive>().Id);

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), b, id), TestActor);
        var refused = ExpectMsg<SubscriptionFailed>();
        Assert.Equal(id, refused.Id);
        Assert.IsType<SubscriptionFailure.DuplicateId>(refused.Reason);
        Assert.Equal([(0u, true)], PerfLevelNotifies(p)); // the refused one sent nothing

        var numbered = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), b);
        Assert.NotEqual(id, numbered);
        Assert.Equal(2, Stats(p).ActiveSubscriptions);

        // The existing subscription is untouched by the refusal.
        PostPerfLevel(p, 0, 3);
        Assert.Equal(3u, a.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        UnsubscribeExpect(p, id);
        Assert.Equal(1, Count(PerfLevelNotifies(p), 0, false));
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private void AwaitHeld(TestPlatform p, int count) =>
        AwaitCondition(() => p.Firmware.HeldCount >= count, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));

    private TestProbe DeadLetters()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(DeadLetter));
        return probe;
    }

    private static void AssertNoDeadLetterTo(TestProbe deadLetters, IActorRef recipient)
    {
        var letters = deadLetters.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as DeadLetter)
            .Where(d => d!.Recipient.Equals(recipient)).Select(d => d!.Message.GetType().Name).ToList();
        Assert.True(letters.Count == 0, $"sent to the terminated subscriber: {string.Join(", ", letters)}");
    }
}
