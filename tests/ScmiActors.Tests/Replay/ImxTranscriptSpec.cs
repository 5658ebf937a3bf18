using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Emulator.Replay;
using ScmiActors.Messages;
using ScmiActors.Platform;
using ScmiActors.Tests.Support;
using ScmiActors.Tests.Transports;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Replay;

/// <summary>
/// NXP i.MX System Manager's recorded scenario A (peers/imx-sm) served over the real SMT link to a handle
/// described by the transcript's platform.conf (its discovery lists vendor protocols the catalog lacks and
/// per-domain queries the transcript never made, so the handle does not discover), plus what that file
/// cannot say and the firmware answered: 2 RTCs, and MISC with 2 device and 4 board controls. The
/// notifications want a completion doorbell (flags 1), which the agent transport rings. Everything the
/// firmware sent arrives decoded: the BBM button, RTC 0's "updated" events (the kind subscribed; the
/// others counted for nobody), both MISC control events (which the README found undecoded), the sensor
/// trip points. Anchors our agent never sends (the RTC enables with all kinds, or alarm alone) are given
/// up after the stall timeout.
/// </summary>
// A command timeout for a loaded machine: the test kit's 500 ms is meant for in-memory links.
public sealed class ImxTranscriptSpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 5s"))
{
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    // RTC sources are rtc_id * 3 + kind (0 alarm, 1 rollover, 2 updated), and one BBM_RTC_NOTIFY carries the
    // union of the kinds of its RTC. The replay answers only what the firmware was asked: "updated" alone is
    // (rtc 0, flags 4), recorded at line 122; alarm plus updated would be (0, 5), which it never was.
    private const uint RtcUpdated = 2;
    // The alarm (line 91) and the rollover (line 95) are for kinds nobody subscribed to: decoded, delivered to nobody.
    private const long RtcEventsForNobody = 2;
    // MISC_CONTROL_NOTIFY for device control 0 and board control 0x8001 (lines 98-100); board control i is
    // source device-controls + i, so 0x8001 is source 3.
    private static readonly (uint Source, uint ControlId)[] MiscControls = [(0, 0x0000), (3, 0x8001)];

    /// <summary>The transcript's platform.conf plus what it cannot express (its comments say so).</summary>
    private static PlatformDescription Description() => PlatformDescriptionLoader.Parse(File.ReadAllText(Peers.ImxPlatformConf) + """

        scmi.platforms.imx-sm-simu.protocols.imx-bbm.rtcs = 2
        scmi.platforms.imx-sm-simu.protocols.imx-misc { version = "1.1", device-controls = 2, board-controls = 4 }
        """);

    [Fact]
    public async Task The_imx_transcript_delivers_the_button_the_RTC_and_MISC_events_and_the_trip_points_decoded()
    {
        var description = Description();
        var script = ReplayScript.Build(ReplayRecording.Load(Peers.ImxScenarioA));
        Assert.Equal(1u, script.Recording.NotificationFlags);
        await using var link = new ReplayLink(script, new ReplayOptions { StallTimeout = TimeSpan.FromMilliseconds(300) });
        var id = description.PlatformId;
        var handle = await Scmi.StartPlatformAsync(id, link.Agent, description).WaitAsync(Bound);

        var button = CreateTestProbe();
        var rtc = CreateTestProbe();
        var trip = CreateTestProbe();
        var misc = CreateTestProbe();
        // Held while subscribing: notifications whose anchor our agent never sends (the RTC enables of lines 82
        // and 120) play after 300 ms without commands, which a slow step could let pass before the later subscriptions.
        link.Host.Hold();
        Subscribe(handle, id, ImxBbm.ProtocolId, ImxBbm.Events.Button, 0, button);
        Subscribe(handle, id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, RtcUpdated, rtc);
        foreach (var (source, _) in MiscControls) Subscribe(handle, id, ImxMisc.ProtocolId, ImxMisc.Events.Control, source, misc);
        Subscribe(handle, id, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 3, trip);
        Assert.Equal(0L, link.Host.Stats.CommandsUnmatched);
        link.Host.Resume();

        Assert.Equal(1u, button.ExpectMsg<ImxBbmButtonEvent>(Bound).Flags); // line 79: detected
        // RTC 0's updated events in recorded order: 85, 93, then after the trip points 129.
        var events = Enumerable.Range(0, 3).Select(_ => rtc.ExpectMsg<ImxBbmRtcEvent>(Bound)).Select(e => (e.RtcId, e.EventMask, e.Source)).ToList();
        Assert.Equal([((byte)0, 4u, RtcUpdated), ((byte)0, 4u, RtcUpdated), ((byte)0, 4u, RtcUpdated)], events);
        // Lines 102-103: device control 0, then board control 0x8001, each flags 1.
        foreach (var (source, control) in MiscControls)
        {
            var e = misc.ExpectMsg<ImxMiscControlEvent>(Bound);
            Assert.Equal((source, control, 1u), (e.Source, e.ControlId, e.Flags));
        }
        var rising = trip.ExpectMsg<SensorTripPoint>(Bound);
        Assert.Equal((0u, 3u, (byte)0, true), (rising.AgentId, rising.SensorId, rising.TripPointId, rising.Ascending));
        Assert.False(trip.ExpectMsg<SensorTripPoint>(Bound).Ascending);

        await link.Host.Finished.WaitAsync(Bound);
        Assert.Equal((10L, 0L), (link.Host.Stats.NotificationsSent, link.Host.Stats.NotificationsLost));
        Assert.True(link.Host.Stats.AnchorsGivenUp >= 1, "the all-kinds RTC enable of line 82 is never sent by our agent");
        AwaitAssert(() =>
        {
            var stats = StatsOf(handle, id);
            Assert.Equal(RtcEventsForNobody, stats.For(ImxBbm.ProtocolId)!.Unmatched);
            Assert.Equal(0L, stats.UnknownProtocol);
            Assert.Equal(2L, stats.For(ImxMisc.ProtocolId)!.Delivered);
            Assert.Equal(2L, stats.For(ScmiProtocolId.Sensor)!.Delivered);
        }, Bound, TimeSpan.FromMilliseconds(20));
        // Every completion doorbell came: the firmware would otherwise have stalled after the first message.
        await Eventually.TrueAsync(() => link.Host.Link.Stats.CompletionDoorbells == 10, "a completion doorbell for each of the 10");

        // Everything has been routed: nothing more for anyone.
        button.ExpectNoMsg(TimeSpan.Zero);
        rtc.ExpectNoMsg(TimeSpan.Zero);
        trip.ExpectNoMsg(TimeSpan.Zero);
        misc.ExpectNoMsg(TimeSpan.Zero);

        var complete = await Scmi.StopPlatformAsync(id).WaitAsync(Bound);
        Assert.True(complete.FinalStats.AddsUp);
    }

    private void Subscribe(IActorRef handle, string id, byte protocol, byte evt, uint source, Akka.TestKit.TestProbe subscriber)
    {
        handle.Tell(new Subscribe(id, protocol, evt, SourceSelector.Id(source), subscriber.Ref), TestActor);
        ExpectMsg<SubscriptionActive>(Bound);
    }

    private PlatformStats StatsOf(IActorRef handle, string id)
    {
        handle.Tell(new GetStats(id), TestActor);
        return ExpectMsg<PlatformStats>(Bound);
    }
}
