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
/// per-domain queries the transcript never made, so the handle does not discover). The notifications want
/// a completion doorbell (flags 1), which the agent transport rings. What today's code decodes arrives
/// decoded: the BBM button, RTC 0's events, the sensor trip points. Anchors our agent never sends (the
/// RTC enable with all three kinds at once, MISC_CONTROL_NOTIFY) are given up after the stall timeout.
/// </summary>
// A command timeout for a loaded machine: the test kit's 500 ms is meant for in-memory links.
public sealed class ImxTranscriptSpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 5s"))
{
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    // ---- BBM source numbering and MISC: update here when the BBM RTC sources become rtc_id*3+kind and MISC
    // (0x84) is plugged in. Today an RTC source is the event mask (1 alarm, 2 rollover, 4 updated) and its
    // enable carries (rtc 0, mask): the transcript recorded (0, 1) and (0, 4) alone (lines 120, 122).
    private static readonly uint[] RtcSourcesSubscribed = [1, 4];
    // The rollover event (line 95) is for a source nobody subscribed to: decoded, delivered to nobody.
    private const long RtcEventsForNobody = 1;
    // MISC_CONTROL_EVENT (lines 102-103): no MISC protocol on this platform, refused at the gate.
    private const long UnknownProtocolMessages = 2;
    // ---- end of the BBM/MISC-dependent expectations.

    [Fact]
    public async Task The_imx_transcript_delivers_the_button_the_RTC_0_events_and_the_trip_points_decoded()
    {
        var description = PlatformDescriptionLoader.Parse(File.ReadAllText(Peers.ImxPlatformConf));
        var script = ReplayScript.Build(ReplayRecording.Load(Peers.ImxScenarioA));
        Assert.Equal(1u, script.Recording.NotificationFlags);
        await using var link = new ReplayLink(script, new ReplayOptions { StallTimeout = TimeSpan.FromMilliseconds(300) });
        var id = description.PlatformId;
        var handle = await Scmi.StartPlatformAsync(id, link.Agent, description).WaitAsync(Bound);

        var button = CreateTestProbe();
        var rtc = CreateTestProbe();
        var trip = CreateTestProbe();
        // Held while subscribing: a route exists only once its enable was answered (see ScpTranscriptSpec).
        link.Host.Hold();
        Subscribe(handle, id, ImxBbm.ProtocolId, ImxBbm.Events.Button, 0, button);
        foreach (var source in RtcSourcesSubscribed) Subscribe(handle, id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, source, rtc);
        Subscribe(handle, id, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 3, trip);
        Assert.Equal(0L, link.Host.Stats.CommandsUnmatched);
        link.Host.Resume();

        Assert.Equal(1u, button.ExpectMsg<ImxBbmButtonEvent>(Bound).Flags); // line 79: detected
        // RTC 0 in recorded order: updated (85), alarm (91), updated (93), then after the trip points updated (129).
        var events = Enumerable.Range(0, 4).Select(_ => rtc.ExpectMsg<ImxBbmRtcEvent>(Bound)).Select(e => (e.RtcId, e.EventMask)).ToList();
        Assert.Equal([((byte)0, 4u), ((byte)0, 1u), ((byte)0, 4u), ((byte)0, 4u)], events);
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
            Assert.Equal(UnknownProtocolMessages, stats.UnknownProtocol);
            Assert.Equal(2L, stats.For(ScmiProtocolId.Sensor)!.Delivered);
        }, Bound, TimeSpan.FromMilliseconds(20));
        // Every completion doorbell came: the firmware would otherwise have stalled after the first message.
        await Eventually.TrueAsync(() => link.Host.Link.Stats.CompletionDoorbells == 10, "a completion doorbell for each of the 10");

        // Everything has been routed: nothing more for anyone.
        button.ExpectNoMsg(TimeSpan.Zero);
        rtc.ExpectNoMsg(TimeSpan.Zero);
        trip.ExpectNoMsg(TimeSpan.Zero);

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
