using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;
using static ScmiActors.Tests.Vendor.ImxRtc;

namespace ScmiActors.Tests.Vendor;

/// <summary>
/// The BBM_RTC_NOTIFY requests on the wire, seen by a fake firmware that can hold them: one request per
/// RTC at a time, the last one carrying the final union. A held request is one the firmware has not
/// answered yet, so it must stay under the link's command timeout for as long as the test takes to look
/// at the wire and send its next changes; the kit's 500 ms is shorter than a loaded machine can take
/// for that (the test thread polls on the thread pool), and a held request that times out fails its
/// change instead of completing it. Hence a command timeout no step of this test comes near;
/// <see cref="ImxRtcTimeoutSpec"/> keeps the short one for the request that is never answered.
/// </summary>
public sealed class ImxRtcWireSpec(ITestOutputHelper output)
    : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 10s"))
{
    [Fact]
    public async Task Changes_made_while_a_request_is_held_wait_and_the_last_request_carries_the_final_union()
    {
        var p = await StartPlatformAsync("imx-held", WithBbm("imx-held"));
        p.Handle.Tell(Rtc(p, Alarm, TestActor), TestActor);
        var alarm = ExpectMsg<SubscriptionActive>().Id;
        Assert.Equal([(0u, 1u)], RtcRequests(p));

        var first = true;
        p.Firmware.Hold(c => IsRtcNotify(c) && first && !(first = false)); // hold only the next request
        p.Handle.Tell(Rtc(p, Updated, TestActor), TestActor);
        AwaitAssert(() => Assert.Equal(1, p.Firmware.HeldCount), TimeSpan.FromSeconds(3));
        Assert.Equal((0u, 5u), RtcRequests(p)[^1]); // alarm | updated: the alarm stays on

        p.Handle.Tell(Rtc(p, Rollover, TestActor), TestActor);
        p.Handle.Tell(new Unsubscribe(p.Id, alarm), TestActor);
        // Whatever has reached the link by now waits behind the held request: nothing else of RTC 0 is on the wire.
        Assert.Equal(2, RtcRequests(p).Count);
        p.Firmware.ReleaseHeld();

        var answers = new[] { ExpectMsg<object>(), ExpectMsg<object>(), ExpectMsg<object>() };
        // A failure here says why (a held request that timed out fails its change): counting alone would not.
        Assert.DoesNotContain(answers, a => a is SubscriptionFailed);
        Assert.Equal(2, answers.OfType<SubscriptionActive>().Count());
        Assert.Single(answers.OfType<Unsubscribed>());
        var requests = RtcRequests(p);
        Assert.All(requests, r => Assert.Equal(0u, r.Rtc));
        Assert.Equal(6u, requests[^1].Flags); // rollover | updated, alarm off
        Assert.InRange(requests.Count, 3, 4);  // the two later changes went out together or one after the other
    }
}

/// <summary>
/// A BBM_RTC_NOTIFY request the platform never answers: it fails its change at the kit's short command
/// timeout, and no later request claims what it was enabling.
/// </summary>
public sealed class ImxRtcTimeoutSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    [Fact]
    public async Task A_request_the_platform_never_answers_fails_its_change_and_is_not_claimed_again()
    {
        var p = await StartPlatformAsync("imx-timeout", WithBbm("imx-timeout"));
        p.Handle.Tell(Rtc(p, Alarm, TestActor), TestActor);
        ExpectMsg<SubscriptionActive>();

        p.Firmware.Answer = c => IsRtcNotify(c) && (c.Word(1) & 2) != 0 ? null : ScmiStatus.Success; // rollover: no answer
        p.Handle.Tell(Rtc(p, Rollover, TestActor), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>(TimeSpan.FromSeconds(5));
        Assert.StartsWith("TimedOut", Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason).Detail);

        p.Handle.Tell(Rtc(p, Updated, TestActor), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        Assert.Equal([(0u, 1u), (0u, 3u), (0u, 5u)], RtcRequests(p)); // the third has no rollover

        // RTC 1 is a group of its own: its request does not carry RTC 0's kinds.
        p.Handle.Tell(Rtc(p, ImxBbm.RtcSource(1, ImxBbm.RtcKind.Updated), TestActor), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        Assert.Equal((1u, 4u), RtcRequests(p)[^1]);
    }
}

/// <summary>The i.MX platform with a BBM protocol, and how its RTC NOTIFY requests and subscriptions look.</summary>
internal static class ImxRtc
{
    public static readonly uint Alarm = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Alarm);
    public static readonly uint Rollover = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Rollover);
    public static readonly uint Updated = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Updated);

    public static PlatformDescription WithBbm(string id) => TestPlatforms.Soc0(id) with
    {
        Protocols = TestPlatforms.Soc0(id).Protocols.Add(ImxBbm.ProtocolId, PlatformProtocol.Create(ImxBbm.ProtocolId, new ProtocolVersion(1, 0), 2)),
    };

    public static bool IsRtcNotify(RecordedCommand c) => c.Header.ProtocolId == ImxBbm.ProtocolId && c.Header.MessageId == ImxBbm.Commands.RtcNotify;

    public static IReadOnlyList<(uint Rtc, uint Flags)> RtcRequests(TestPlatform p) =>
        p.Firmware.NotifyCommands(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify).Select(c => (c.Word(0), c.Word(1))).ToList();

    public static Subscribe Rtc(TestPlatform p, uint source, IActorRef subscriber) =>
        new(p.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(source), subscriber);
}
