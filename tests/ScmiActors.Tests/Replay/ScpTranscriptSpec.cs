using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Emulator.Replay;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Tests.Transports;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Replay;

/// <summary>
/// Arm SCP-firmware's recorded scenario A (peers/scp-2.14) served by the replay platform over the real
/// SMT link to a real handle: discovery learns the platform from the recorded answers, the subscriptions
/// of the transcript get the recorded notifications, decoded as the firmware meant them (README quirks
/// Q1–Q7), and the surplus (fan-out to domain 1, the trip point event after the disable) is counted as
/// delivered to nobody.
/// </summary>
// A command timeout for a loaded machine: the test kit's 500 ms is meant for in-memory links.
public sealed class ScpTranscriptSpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 5s"))
{
    private const string Id = "scp";
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    [Fact]
    public async Task The_SCP_transcript_drives_discovery_and_delivers_every_recorded_notification_decoded()
    {
        var script = ReplayScript.Build(ReplayRecording.Load(Peers.ScpScenarioA));
        // Every anchor here is a subscription this test makes, so the replay never needs to give one up.
        await using var link = new ReplayLink(script, new ReplayOptions { StallTimeout = TimeSpan.FromMinutes(1) });
        var configured = new PlatformDescription(Id, "shmem", ImmutableSortedDictionary<byte, PlatformProtocol>.Empty);
        var handle = await Scmi.StartPlatformAsync(Id, link.Agent, configured, new PlatformOptions(Discover: true)).WaitAsync(Bound);

        // Lines 1-66 are exactly discovery's commands: all answered from the recording.
        Assert.Equal((66L / 2, 0L), (link.Host.Stats.CommandsAnswered, link.Host.Stats.CommandsUnmatched));

        var level = CreateTestProbe();
        var limits = CreateTestProbe();
        var trip = CreateTestProbe();
        var power = CreateTestProbe();
        // No hold needed: the replay plays right behind the enable's answer (the firmware sent these 50 ms
        // later, after a LEVEL_SET), and the handle installs a route before it sends the enable.
        Subscribe(handle, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, level);
        Subscribe(handle, ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, 0, limits);

        // Lines 73 and 78: LEVEL_CHANGED carries the requesting agent; LIMITS_CHANGED agent 0, max then min.
        var changed = level.ExpectMsg<PerfLevelChanged>(Bound);
        Assert.Equal((1u, 0u, 998000u), (changed.AgentId, changed.DomainId, changed.PerformanceLevel));
        var limited = limits.ExpectMsg<PerfLimitsChanged>(Bound);
        Assert.Equal((0u, 0u, 1463000u, 665000u), (limited.AgentId, limited.DomainId, limited.RangeMax, limited.RangeMin));

        await Eventually.TrueAsync(() => link.Host.Stats.NotificationsSent == 4, "the four perf notifications are played");
        var tripId = Subscribe(handle, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0, trip);
        // Lines 88 and 91: rising then falling, trip point 0, agent 0.
        var rising = trip.ExpectMsg<SensorTripPoint>(Bound);
        Assert.Equal((0u, 0u, (byte)0, true), (rising.AgentId, rising.SensorId, rising.TripPointId, rising.Ascending));
        var falling = trip.ExpectMsg<SensorTripPoint>(Bound);
        Assert.Equal((0u, false), (falling.SensorId, falling.Ascending));

        Subscribe(handle, ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 9, power); // device domain: SUCCESS, never a notification (Q8)

        // The unsubscription sends TRIP_POINT_NOTIFY disable (line 109); the firmware still sends an event (112).
        handle.Tell(new Unsubscribe(Id, tripId), TestActor);
        ExpectMsg<Unsubscribed>(Bound);
        await link.Host.Finished.WaitAsync(Bound);
        Assert.Equal((7L, 0L, 0L), (link.Host.Stats.NotificationsSent, link.Host.Stats.NotificationsLost, link.Host.Stats.NotificationsLeft));

        AwaitAssert(() =>
        {
            var stats = StatsOf(handle);
            // Perf: d0's two delivered; the fan-out of d1 (lines 76, 81) decoded and counted for nobody.
            Assert.Equal((4L, 2L, 2L), (stats.For(ScmiProtocolId.Perf)!.Decoded, stats.For(ScmiProtocolId.Perf)!.Delivered, stats.For(ScmiProtocolId.Perf)!.Unmatched));
            // Sensor: two delivered, the one after the disable to nobody.
            Assert.Equal((3L, 2L, 1L), (stats.For(ScmiProtocolId.Sensor)!.Decoded, stats.For(ScmiProtocolId.Sensor)!.Delivered, stats.For(ScmiProtocolId.Sensor)!.Unmatched));
        }, Bound, TimeSpan.FromMilliseconds(20));
        // Everything has been routed: whatever a probe did not get by now, it never gets.
        level.ExpectNoMsg(TimeSpan.Zero);
        limits.ExpectNoMsg(TimeSpan.Zero);
        trip.ExpectNoMsg(TimeSpan.Zero);
        power.ExpectNoMsg(TimeSpan.Zero);

        var complete = await Scmi.StopPlatformAsync(Id).WaitAsync(Bound);
        Assert.True(complete.FinalStats.AddsUp);
        // Every command our agent sent (discovery, 5 enables, the stop's disables) had a recorded answer.
        Assert.Equal(0L, link.Host.Stats.CommandsUnmatched);
    }

    private SubscriptionId Subscribe(IActorRef handle, byte protocol, byte evt, uint source, Akka.TestKit.TestProbe subscriber)
    {
        handle.Tell(new Subscribe(Id, protocol, evt, SourceSelector.Id(source), subscriber.Ref), TestActor);
        return ExpectMsg<SubscriptionActive>(Bound).Id;
    }

    private PlatformStats StatsOf(IActorRef handle)
    {
        handle.Tell(new GetStats(Id), TestActor);
        return ExpectMsg<PlatformStats>(Bound);
    }
}
