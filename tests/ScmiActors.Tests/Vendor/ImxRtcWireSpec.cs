using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Vendor;

/// <summary>
/// The BBM_RTC_NOTIFY requests on the wire, seen by a fake firmware that can hold or ignore them:
/// one request per RTC at a time, the last one carrying the final union, and a request that failed
/// never claimed again.
/// </summary>
public sealed class ImxRtcWireSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    private static readonly uint Alarm = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Alarm);
    private static readonly uint Rollover = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Rollover);
    private static readonly uint Updated = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Updated);

    private static PlatformDescription WithBbm(string id) => TestPlatforms.Soc0(id) with
    {
        Protocols = TestPlatforms.Soc0(id).Protocols.Add(ImxBbm.ProtocolId, PlatformProtocol.Create(ImxBbm.ProtocolId, new ProtocolVersion(1, 0), 2)),
    };

    private static bool IsRtcNotify(RecordedCommand c) => c.Header.ProtocolId == ImxBbm.ProtocolId && c.Header.MessageId == ImxBbm.Commands.RtcNotify;

    private static IReadOnlyList<(uint Rtc, uint Flags)> RtcRequests(TestPlatform p) =>
        p.Firmware.NotifyCommands(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify).Select(c => (c.Word(0), c.Word(1))).ToList();

    private Subscribe Rtc(TestPlatform p, uint source) =>
        new(p.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(source), TestActor);

    [Fact]
    public async Task Changes_made_while_a_request_is_held_wait_and_the_last_request_carries_the_final_union()
    {
        var p = await StartPlatformAsync("imx-held", WithBbm("imx-held"));
        p.Handle.Tell(Rtc(p, Alarm), TestActor);
        var alarm = ExpectMsg<SubscriptionActive>().Id;
        Assert.Equal([(0u, 1u)], RtcRequests(p));

        var first = true;
        p.Firmware.Hold(c => IsRtcNotify(c) && first && !(first = false)); // hold only the next request
        p.Handle.Tell(Rtc(p, Updated), TestActor);
        AwaitAssert(() => Assert.Equal(1, p.Firmware.HeldCount), TimeSpan.FromSeconds(3));
        Assert.Equal((0u, 5u), RtcRequests(p)[^1]); // alarm | updated: the alarm stays on

        p.Handle.Tell(Rtc(p, Rollover), TestActor);
        p.Handle.Tell(new Unsubscribe(p.Id, alarm), TestActor);
        // Whatever has reached the link by now waits behind the held request: nothing else of RTC 0 is on the wire.
        Assert.Equal(2, RtcRequests(p).Count);
        p.Firmware.ReleaseHeld();

        var answers = new[] { ExpectMsg<object>(), ExpectMsg<object>(), ExpectMsg<object>() };
        Assert.Equal(2, answers.OfType<SubscriptionActive>().Count());
        Assert.Single(answers.OfType<Unsubscribed>());
        var requests = RtcRequests(p);
        Assert.All(requests, r => Assert.Equal(0u, r.Rtc));
        Assert.Equal(6u, requests[^1].Flags); // rollover | updated, alarm off
        Assert.InRange(requests.Count, 3, 4);  // the two later changes went out together or one after the other
    }

    [Fact]
    public async Task A_request_the_platform_never_answers_fails_its_change_and_is_not_claimed_again()
    {
        var p = await StartPlatformAsync("imx-timeout", WithBbm("imx-timeout"));
        p.Handle.Tell(Rtc(p, Alarm), TestActor);
        ExpectMsg<SubscriptionActive>();

        p.Firmware.Answer = c => IsRtcNotify(c) && (c.Word(1) & 2) != 0 ? null : ScmiStatus.Success; // rollover: no answer
        p.Handle.Tell(Rtc(p, Rollover), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>(TimeSpan.FromSeconds(5));
        Assert.StartsWith("TimedOut", Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason).Detail);

        p.Handle.Tell(Rtc(p, Updated), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        Assert.Equal([(0u, 1u), (0u, 3u), (0u, 5u)], RtcRequests(p)); // the third has no rollover

        // RTC 1 is a group of its own: its request does not carry RTC 0's kinds.
        p.Handle.Tell(Rtc(p, ImxBbm.RtcSource(1, ImxBbm.RtcKind.Updated)), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        Assert.Equal((1u, 4u), RtcRequests(p)[^1]);
    }
}
