using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>The platform link: timeouts, stray responses, a broken command path, receive-only transports.</summary>
public sealed class LinkSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task An_enable_the_platform_never_answers_fails_with_PlatformUnavailable_after_the_command_timeout()
    {
        var p = await StartPlatformAsync();
        p.Firmware.Answer = _ => null;

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), TestActor), TestActor);
        // command-timeout is 500 ms: not before it, and not much after it.
        var failed = Within(TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(3), () => ExpectMsg<SubscriptionFailed>());
        Assert.StartsWith("TimedOut", Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason).Detail);
        Assert.Equal(0, Stats(p).ActiveSubscriptions);
        Assert.Equal(0, LinkStatsOf(p).PendingCommands);

        // The answer arrives late: it matches nothing any more and is counted, not acted on.
        var enable = Assert.Single(p.Firmware.NotifyCommands(Perf, PerfLevelNotify));
        Assert.Equal(IngestResult.NotANotification, p.Platform.Respond(enable.Header.Encode(), ScmiStatus.Success));
        AwaitAssert(() => Assert.Equal(1, LinkStatsOf(p).UnmatchedResponses), TimeSpan.FromSeconds(3));
        Assert.Equal(0, Stats(p).ActiveSubscriptions);

        // The source was not counted as enabled: the next subscriber enables it again, and it works.
        p.Firmware.Answer = _ => ScmiStatus.Success;
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        Assert.Equal([(1u, true), (1u, true)], PerfLevelNotifies(p));
        PostPerfLevel(p, 1, 3);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 3);
    }

    [Fact]
    public async Task A_response_with_a_wrong_token_or_message_is_counted_and_ignored()
    {
        var p = await StartPlatformAsync();
        // Before the real answer (SUCCESS), the firmware sends two stray ones that would fail the
        // command if they were taken for its answer: a wrong token, and the right token for another message.
        p.Firmware.Answer = c =>
        {
            var wrongToken = c.Header with { Token = (ushort)((c.Header.Token + 7) & ScmiHeader.MaxToken) };
            p.Platform.Respond(wrongToken.Encode(), ScmiStatus.Denied);
            var wrongMessage = c.Header with { MessageId = (byte)(c.Header.MessageId + 1) };
            p.Platform.Respond(wrongMessage.Encode(), ScmiStatus.Denied);
            return ScmiStatus.Success;
        };
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), subscriber);

        var link = LinkStatsOf(p);
        Assert.Equal((0, 2L), (link.PendingCommands, link.UnmatchedResponses));
        var stats = Stats(p);
        Assert.Equal(3, stats.NotANotification);
        Assert.Equal(1, stats.ActiveSubscriptions);
        PostPerfLevel(p, 2, 8);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 8);
    }

    [Fact]
    public async Task A_transport_that_refuses_the_command_fails_the_subscription_at_once()
    {
        var p = await StartPlatformAsync();
        p.Platform.OnCommand(null); // SendCommand now throws: nobody listens on the platform side

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), TestActor), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>();
        // Refused by the transport, not timed out.
        Assert.StartsWith("Unavailable", Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason).Detail);
        Assert.Equal(0, LinkStatsOf(p).PendingCommands);
        Assert.Equal(PlatformState.Ready, Stats(p).State);
    }

    [Fact]
    public async Task A_receive_only_transport_subscribes_without_commands_and_delivers()
    {
        var p = await StartPlatformAsync(hasCommandPath: false);
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);
        Assert.Empty(p.Firmware.Commands);

        PostPerfLevel(p, 3, 30);
        Assert.Equal(30u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        UnsubscribeExpect(p, id);
        Assert.Empty(p.Firmware.Commands);
        AssertAddsUp(Stats(p));
    }
}
