using Akka.Configuration;
using ScmiActors.Messages;
using ScmiActors.Platform;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// A platform that goes away (the transport reports it lost) and comes back on the same channel: the
/// handle's subscriptions go pending, it reconnects with back-off, and they become active again without
/// the subscribers subscribing again.
/// </summary>
public sealed class PlatformLossSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    scmi.reconnect.min-backoff = 20ms
    scmi.reconnect.max-backoff = 100ms
    scmi.connect-timeout = 300ms
    """))
{
    [Fact]
    public async Task A_lost_platform_makes_subscriptions_pending_and_its_return_makes_them_active_again()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(3), subscriber.Ref);
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 3, 700));
        Assert.Equal(700u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);

        p.Platform.Disconnect("firmware reset");
        subscriber.ExpectMsg<SubscriptionPending>(m => m.Id == id);
        AwaitStats(p, s =>
        {
            Assert.Equal(PlatformState.Reconnecting, s.State);
            Assert.Equal(1, s.PendingSubscriptions);
            Assert.Equal(0, s.ActiveSubscriptions);
        });
        // Nothing is attached while the platform is gone.
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 3, 701));

        p.Platform.ComeBack();
        subscriber.ExpectMsg<SubscriptionActive>(m => m.Id == id);
        AwaitReady(p);
        // The source was enabled again at the platform (the disable of the lost generation could not be sent).
        Assert.Equal([(3u, true), (3u, true)], PerfLevelNotifies(p));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 3, 702));
        Assert.Equal(702u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        AssertAddsUp(AwaitStats(p, s => Assert.Equal(1, s.ActiveSubscriptions)));
    }

    [Fact]
    public async Task A_protocol_registered_at_run_time_is_registered_again_when_the_platform_is_back()
    {
        var p = await StartPlatformAsync(options: new PlatformOptions(RegisterDescribedProtocols: false));
        RegisterPerf(p);
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber.Ref);

        p.Platform.Disconnect();
        subscriber.ExpectMsg<SubscriptionPending>(m => m.Id == id);
        p.Platform.ComeBack();
        subscriber.ExpectMsg<SubscriptionActive>(m => m.Id == id, TimeSpan.FromSeconds(5));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 42));
        Assert.Equal(42u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
    }

    [Fact]
    public async Task Subscribing_while_the_platform_is_gone_is_pending_and_becomes_active_when_it_is_back()
    {
        var p = await StartPlatformAsync();
        p.Platform.Disconnect();
        AwaitStats(p, s => Assert.Equal(PlatformState.Reconnecting, s.State));

        var subscriber = CreateTestProbe();
        var pending = SubscribeExpect<SubscriptionPending>(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber.Ref);
        // Waits for the platform, not answered yet.
        p.Handle.Tell(new AwaitPlatformReady(p.Id), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        p.Platform.ComeBack();
        ExpectMsg<PlatformReady>();
        subscriber.ExpectMsg<SubscriptionActive>(m => m.Id == pending.Id);
        Assert.Equal([(2u, true)], PerfLevelNotifies(p));
    }

    [Fact]
    public async Task A_command_while_the_platform_is_gone_is_answered_unavailable()
    {
        var p = await StartPlatformAsync();
        p.Platform.Disconnect();
        AwaitStats(p, s => Assert.Equal(PlatformState.Reconnecting, s.State));

        var command = new PlatformCommand(Perf, ScmiCommands.Perf.LevelGet, [0, 0, 0, 0], Correlation: "q");
        p.Handle.Tell(new SendPlatformCommand(p.Id, command), TestActor);
        var result = ExpectMsg<CommandResult>();
        Assert.Equal(CommandOutcome.Unavailable, result.Outcome);
        Assert.Equal("q", result.Correlation);
    }

    [Fact]
    public async Task Stopping_a_platform_that_is_gone_completes_and_tells_its_subscribers()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber.Ref);
        p.Platform.Disconnect();
        subscriber.ExpectMsg<SubscriptionPending>(m => m.Id == id);

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        var complete = ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5));
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
        AssertAddsUp(complete.FinalStats);
        subscriber.ExpectMsg<PlatformStopped>();
        // The platform coming back afterwards finds nobody to reconnect.
        p.Platform.ComeBack();
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task The_handle_keeps_trying_until_the_platform_is_back()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber.Ref);
        p.Platform.Disconnect();
        subscriber.ExpectMsg<SubscriptionPending>(m => m.Id == id);
        // Several connection attempts time out (connect-timeout 300 ms) before the platform returns.
        EventFilter.Info(contains: "not back yet").Expect(2, TimeSpan.FromSeconds(5), () => { });
        p.Platform.ComeBack();
        subscriber.ExpectMsg<SubscriptionActive>(m => m.Id == id, TimeSpan.FromSeconds(5));
    }
}

/// <summary>The reconnection delays, without an ActorSystem.</summary>
public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_double_from_the_minimum_up_to_the_maximum()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));
        var delays = Enumerable.Range(0, 5).Select(_ => backoff.Next().TotalMilliseconds).ToArray();
        Assert.Equal([100, 200, 400, 500, 500], delays);
        Assert.Equal(5, backoff.Attempts);
    }

    [Fact]
    public void Reset_starts_again_from_the_minimum()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        backoff.Next();
        backoff.Next();
        backoff.Reset();
        Assert.Equal(0, backoff.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(10), backoff.Next());
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(200, 100)]
    public void A_zero_minimum_or_a_maximum_below_it_is_refused(int minMs, int maxMs) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromMilliseconds(minMs), TimeSpan.FromMilliseconds(maxMs)));
}
