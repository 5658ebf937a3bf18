using ScmiActors.Emulator.Profiles;
using ScmiActors.Tests.Emulation;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Profiles;

/// <summary>
/// The profile layer around the real emulator, without a link or processes: what the agent would see
/// for each command and change, in order (TRANSPORTS.md §1.6, peers/*/README.md).
/// </summary>
public sealed class ProfileLayerTests
{
    private const byte Perf = ScmiProtocolId.Perf;
    private const byte Sensor = ScmiProtocolId.Sensor;
    private const byte Level = ScmiEvents.Perf.LevelChanged;
    private const byte Limits = ScmiEvents.Perf.LimitsChanged;
    private const byte Trip = ScmiEvents.Sensor.TripPointEvent;

    [Fact]
    public void Scp_level_set_replies_first_then_sends_level_changed_also_for_a_domain_nobody_subscribed()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 0, true));

        var seen = p.Command(Perf, ProfileLayer.PerfLevelSet, 1, 1500);

        Assert.Equal(2, seen.Count);
        Assert.False(seen[0].IsNotification);                       // the reply (Q4: 72 -> 73)
        Assert.Equal(ScmiStatus.Success, p.StatusOf(seen));
        Assert.Equal((Perf, Level), (seen[1].Protocol, seen[1].Event));
        Assert.Equal((1u, 1u, 1500u), (seen[1].Word(0), seen[1].Word(1), seen[1].Word(2))); // agent 1 caused it, domain 1 (Q1: 76)
        Assert.Equal(0, seen[1].Header.Token);
    }

    [Fact]
    public void Imx_level_set_sends_level_changed_before_the_reply_and_only_for_a_subscribed_domain()
    {
        var p = new ProfiledEmulator(FirmwareProfile.ImxSm);
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 0, true));

        var subscribed = p.Command(Perf, ProfileLayer.PerfLevelSet, 0, 700);
        Assert.Equal([true, false], subscribed.Select(m => m.IsNotification));
        Assert.Equal((0u, 700u), (subscribed[0].Source, subscribed[0].Word(2)));

        var other = p.Command(Perf, ProfileLayer.PerfLevelSet, 1, 700);
        Assert.Equal([false], other.Select(m => m.IsNotification));
        Assert.False(p.Emulator.IsEnabled(Perf, Level, 1));
    }

    [Fact]
    public void Level_set_checks_its_domain_and_its_length_and_message_attributes_say_it_exists()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        Assert.Equal(ScmiStatus.NotFound, p.StatusOf(p.Command(Perf, ProfileLayer.PerfLevelSet, 9, 700)));
        Assert.Equal(ScmiStatus.ProtocolError, p.StatusOf(p.Command(Perf, ProfileLayer.PerfLevelSet, 1)));
        Assert.Equal(ScmiStatus.Success, p.StatusOf(p.Command(Perf, ScmiCommands.Common.ProtocolMessageAttributes, ProfileLayer.PerfLevelSet)));
        // Without a profile the emulator does not know it.
        var none = new RawPlatform();
        Assert.Equal(ScmiStatus.NotFound, none.Command(Perf, ProfileLayer.PerfLevelSet, 1, 700).Status);
    }

    [Fact]
    public void Scp_limits_set_sends_limits_changed_with_agent_0_and_max_then_min_before_the_reply()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLimits, 0, true));

        var seen = p.Command(Perf, ScmiCommands.Perf.LimitsSet, 1, 1500, 500);

        Assert.False(seen[^1].IsNotification); // the reply last (Q4: 78 -> 79)
        var changed = Assert.Single(seen, m => m.IsNotification);
        Assert.Equal(Limits, changed.Event);
        Assert.Equal((0u, 1u, 1500u, 500u), (changed.Word(0), changed.Word(1), changed.Word(2), changed.Word(3))); // Q2, Q3
        Assert.True(p.Layer.Stats.AgentIdsZeroed >= 1);
    }

    [Fact]
    public void Imx_limits_set_keeps_the_causing_agent_and_also_answers_after_the_notification()
    {
        var p = new ProfiledEmulator(FirmwareProfile.ImxSm);
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLimits, 1, true));
        var seen = p.Command(Perf, ScmiCommands.Perf.LimitsSet, 1, 1500, 500);
        Assert.Equal([true, false], seen.Select(m => m.IsNotification));
        Assert.Equal(1u, seen[0].Word(0));
        Assert.Equal(0, p.Layer.Stats.AgentIdsZeroed);
    }

    [Fact]
    public void Scp_limits_changed_from_the_platform_always_carries_agent_0()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp with { PerfFanOut = false });
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLimits, 2, true));
        for (var i = 0; i < 40; i++) p.Emulator.EmitOnce(Perf, Limits, 2); // the emulator attributes some of them to agents 1..2
        Assert.Equal(40, p.Notifications.Count);
        Assert.All(p.Notifications, m => Assert.Equal(0u, m.Word(0)));
        Assert.True(p.Layer.Stats.AgentIdsZeroed > 0, "the scenario made no agent-caused change: the test proves nothing");
    }

    [Fact]
    public void Scp_fan_out_widens_an_enable_to_every_domain_copies_per_subscribed_domain_and_narrows_on_the_last_disable()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 0, true));
        Assert.All(Enumerable.Range(0, 4), d => Assert.True(p.Emulator.IsEnabled(Perf, Level, (uint)d)));

        p.Emulator.EmitOnce(Perf, Level, 3);
        Assert.Equal(3u, Assert.Single(p.Notifications).Source); // a domain the agent never subscribed

        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 2, true));
        p.Clear();
        p.Emulator.EmitOnce(Perf, Level, 1);
        Assert.Equal(2, p.Notifications.Count);                                        // one per subscribed element
        Assert.Equal(p.Notifications[0].Payload, p.Notifications[1].Payload);          // byte-identical
        Assert.Equal(p.Notifications[0].Raw, p.Notifications[1].Raw);
        Assert.Equal(1, p.Layer.Stats.CopiesAdded);

        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 0, false));
        Assert.All(Enumerable.Range(0, 4), d => Assert.True(p.Emulator.IsEnabled(Perf, Level, (uint)d))); // domain 2 still keeps them all
        Assert.Equal(ScmiStatus.Success, p.Notify(Perf, ScmiCommands.Perf.NotifyLevel, 2, false));
        Assert.All(Enumerable.Range(0, 4), d => Assert.False(p.Emulator.IsEnabled(Perf, Level, (uint)d)));
    }

    [Fact]
    public void The_layers_own_notify_commands_never_reach_the_agent()
    {
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        var seen = p.Command(Perf, ScmiCommands.Perf.NotifyLimits, 0, 1);
        Assert.Single(seen); // one reply, although the layer enabled domains 1 and 2 too (3 cannot notify limits)
        Assert.Equal(2, p.Layer.Stats.EnablesWidened);
        Assert.False(p.Emulator.IsEnabled(Perf, Limits, 3));
    }

    [Fact]
    public void Scp_keeps_sending_trip_point_events_after_a_disable_answered_success_and_imx_does_not()
    {
        foreach (var (profile, after) in new[] { (FirmwareProfile.Scp, true), (FirmwareProfile.ImxSm, false) })
        {
            var p = new ProfiledEmulator(profile);
            Assert.Equal(ScmiStatus.Success, p.Notify(Sensor, ScmiCommands.Sensor.TripPointNotify, 0, true));
            Assert.Equal(ScmiStatus.Success, p.Notify(Sensor, ScmiCommands.Sensor.TripPointNotify, 0, false));
            Assert.Equal(after, p.Emulator.IsEnabled(Sensor, Trip, 0));
            p.Emulator.EmitOnce(Sensor, Trip, 0);
            Assert.Equal(after ? 1 : 0, p.Notifications.Count);
            Assert.Equal(after ? 1 : 0, p.Layer.Stats.DisablesKept);
        }
    }

    [Fact]
    public void Scp_evaluates_trip_point_0_on_each_reading_and_sends_its_event_before_the_reply()
    {
        const long tripValue = 37_500;
        var p = new ProfiledEmulator(FirmwareProfile.Scp);
        Assert.Equal(ScmiStatus.Success, p.Notify(Sensor, ScmiCommands.Sensor.TripPointNotify, 0, true));
        Assert.Equal(ScmiStatus.Success, p.StatusOf(p.Command(Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 3, (uint)tripValue, 0)));

        long? previous = null;
        var (ups, downs) = (0, 0);
        for (var i = 0; i < 120; i++)
        {
            p.Emulator.Step(10);
            var seen = p.Command(Sensor, ScmiCommands.Sensor.ReadingGet, 0, 0);
            var reading = (long)RawPlatform.ToAnswer(seen[^1]).Word(0) | (long)RawPlatform.ToAnswer(seen[^1]).Word(1) << 32;
            Assert.False(seen[^1].IsNotification);
            var up = previous < tripValue && reading >= tripValue;
            var down = previous >= tripValue && reading < tripValue;
            if (up || down)
            {
                var evt = Assert.Single(seen, m => m.IsNotification);
                Assert.Equal(seen[0], evt);                                        // before the reply (Q4: 88 -> 89)
                Assert.Equal((0u, 0u, up ? 1u << 16 : 0), (evt.Word(0), evt.Word(1), evt.Word(2)));
                if (up) ups++;
                else downs++;
            }
            else Assert.Single(seen);
            previous = reading;
        }
        Assert.True(ups > 0 && downs > 0, $"the temperature crossed {tripValue} up {ups} and down {downs} times: the test proves nothing");
    }

    [Fact]
    public void Imx_does_not_raise_trip_points_on_a_reading()
    {
        var p = new ProfiledEmulator(FirmwareProfile.ImxSm);
        Assert.Equal(ScmiStatus.Success, p.Notify(Sensor, ScmiCommands.Sensor.TripPointNotify, 0, true));
        Assert.Equal(ScmiStatus.Success, p.StatusOf(p.Command(Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 3, 37_500, 0)));
        for (var i = 0; i < 60; i++)
        {
            p.Emulator.Step(10);
            Assert.Single(p.Command(Sensor, ScmiCommands.Sensor.ReadingGet, 0, 0));
        }
    }
}
