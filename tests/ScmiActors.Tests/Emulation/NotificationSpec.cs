using ScmiActors.Emulator;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>What the emulated platform sends: only what is enabled, on the wire exactly as DESIGN.md's table says, deterministically.</summary>
public sealed class NotificationSpec
{
    [Fact]
    public void Nothing_is_sent_before_anything_is_enabled()
    {
        var p = new RawPlatform(EmulatorScenario.Default with { ShutdownAfter = TimeSpan.FromSeconds(1) });
        Assert.Equal(0, p.Emulator.Step(1_000));
        Assert.Empty(p.Sent);
        Assert.True(p.Emulator.ShutdownRequested); // the world moved on all the same
        Assert.Equal(0, p.Emulator.GetStats().Sent);
    }

    [Fact]
    public void Only_enabled_sources_send_at_the_scenario_rate()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { PerfLevelPerSecond = 20, PerfLimitsPerSecond = 0 }); // limits would add clamped levels
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 2, true));

        var posted = p.Emulator.Step(500); // 5 simulated seconds
        var sent = p.Notifications;
        Assert.Equal(posted, sent.Count);
        Assert.InRange(sent.Count, 99, 101);
        Assert.All(sent, m => Assert.Equal((ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 2u), (m.Protocol, m.Event, m.Source)));
        Assert.Equal(sent.Count, p.Emulator.GetStats().For(ScmiProtocolId.Perf).Queued);

        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 2, false));
        Assert.Equal(0, p.Emulator.Step(500));
    }

    [Fact]
    public void Every_notification_follows_the_wire_table_and_decodes()
    {
        var p = new RawPlatform(EmulatorScenario.Default with
        {
            ShutdownAfter = TimeSpan.FromSeconds(2),
            ResetPerSecond = 2, BaseErrorPerSecond = 2, PowercapCapPerSecond = 2, ClockRatePerSecond = 3, PerfLimitsPerSecond = 2,
        });
        p.EnableEverything();
        p.Emulator.Step(1_000);
        var sent = p.Notifications;

        var seen = sent.Select(m => (m.Protocol, m.Event)).ToHashSet();
        foreach (var protocol in p.Description.Protocols.Keys)
        {
            if (protocol == ImxBbm.ProtocolId) continue;
            foreach (var evt in ProtocolCatalogs.Default.Find(protocol)!.Events)
                Assert.Contains((protocol, evt.EventId), seen);
        }

        var perfRange = (EmulatorScenario.Default.PerfMinLevel, EmulatorScenario.Default.PerfMaxLevel);
        foreach (var m in sent)
        {
            Assert.Equal(0, m.Header.Token);
            var description = p.Description.Find(m.Protocol)!;
            var descriptor = ProtocolCatalogs.Default.Find(m.Protocol)!.FindEvent(m.Event)!;
            var decoded = descriptor.Decode(m.Payload, new DecodeContext("emu", 0, description));
            Assert.True(decoded.IsSuccess, $"{m}: {decoded.Code}");
            Assert.InRange(m.Word(0), 0u, 2u); // agent_id: the platform or one of two agents

            switch ((m.Protocol, m.Event))
            {
                case (ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent):
                    var count = (int)(m.Word(1) & 0x3FF);
                    Assert.Equal(8 + 8 * count, m.Payload.Length);
                    Assert.InRange(count, 1, 3);
                    Assert.Equal(0u, m.Word(1) & 0x7FFF_FC00); // reserved bits 30:10
                    break;
                case (ScmiProtocolId.Power, ScmiEvents.Power.StateChanged):
                    Assert.Equal(12, m.Payload.Length);
                    Assert.Contains(m.Word(2), new[] { 0u, 0x4000_0000u });
                    break;
                case (ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier):
                    Assert.Equal(RawPlatform.Words(0, 1, 0, 10_000), m.Payload); // graceful shutdown, 10 s
                    break;
                case (ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged):
                    Assert.Equal(16, m.Payload.Length);
                    Assert.True(m.Word(3) <= m.Word(2), "range_max then range_min");
                    Assert.InRange(m.Word(3), perfRange.PerfMinLevel, perfRange.PerfMaxLevel);
                    break;
                case (ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged):
                    Assert.Equal(12, m.Payload.Length);
                    Assert.InRange(m.Word(2), perfRange.PerfMinLevel, perfRange.PerfMaxLevel);
                    Assert.Equal(0u, m.Word(2) % 100);
                    break;
                case (ScmiProtocolId.Clock, _):
                    Assert.Equal(16, m.Payload.Length);
                    Assert.InRange(m.Word64(2), EmulatorScenario.Default.ClockMinHz, EmulatorScenario.Default.ClockMaxHz);
                    break;
                case (ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent):
                    Assert.Equal(12, m.Payload.Length);
                    Assert.Equal(0u, m.Word(2) & ~0x1_00FFu); // trip id 7:0, direction bit16
                    Assert.InRange(m.Word(2) & 0xFF, 0u, 2u);
                    break;
                case (ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update):
                    var axes = description.AxesOf(m.Source);
                    Assert.Equal(8 + 16 * axes, m.Payload.Length);
                    for (var a = 0; a < axes; a++) Assert.Equal(0UL, m.Word64(4 + 4 * a) % 10_000_000); // tick timestamps
                    break;
                case (ScmiProtocolId.Reset, ScmiEvents.Reset.Issued):
                    Assert.Equal(12, m.Payload.Length);
                    break;
                case (ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged):
                    Assert.Equal(16, m.Payload.Length);
                    Assert.Contains(m.Word(3), new[] { 1_000u, 10_000u, 100_000u });
                    break;
                case (ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged):
                    Assert.Equal(12, m.Payload.Length);
                    break;
                default:
                    Assert.Fail($"unexpected {m}");
                    break;
            }
        }

        // Clock rates above 4 GHz need the high word.
        Assert.Contains(sent, m => m.Protocol == ScmiProtocolId.Clock && m.Word(3) != 0);
        // Temperatures are signed: some readings are below zero.
        Assert.Contains(sent, m => m.Protocol == ScmiProtocolId.Sensor && m.Event == 1 && (long)m.Word64(2) < 0);
        // A clock change is requested before it happens.
        var clock1 = sent.Where(m => m.Protocol == ScmiProtocolId.Clock && m.Source == 1).ToList();
        for (var i = 0; i + 1 < clock1.Count; i += 2)
        {
            Assert.Equal((1, 0), (clock1[i].Event, clock1[i + 1].Event));
            Assert.Equal(clock1[i].Word64(2), clock1[i + 1].Word64(2));
        }
    }

    [Fact]
    public void Temperatures_cross_trip_points_up_and_down_alternately()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { SensorUpdatePerSecond = 100 });
        for (uint s = 0; s < 8; s++)
        {
            Assert.Equal(s == 6 ? ScmiStatus.NotSupported : ScmiStatus.Success, p.Notify(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, s, true));
            if (s != 7) Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, s, true));
        }
        p.Emulator.Step(3_000); // 30 s: several periods of 6..10 s
        var trips = p.Notifications.Where(m => m.Event == 0).ToList();

        foreach (var group in trips.GroupBy(m => (Sensor: m.Source, Trip: m.Word(2) & 0xFF)))
        {
            var directions = group.Select(m => (m.Word(2) & 1u << 16) != 0).ToList();
            for (var i = 1; i < directions.Count; i++) Assert.NotEqual(directions[i - 1], directions[i]);
            Assert.Contains(true, directions);
            Assert.Contains(false, directions);
        }
        Assert.Equal(7 * 3, trips.Select(m => (m.Source, m.Word(2) & 0xFF)).Distinct().Count()); // 7 sensors x 3 trip points
        Assert.DoesNotContain(trips, m => m.Source == 6);

        // Each crossing agrees with the reading of the same tick (updates every tick here, sent after the trip events).
        var all = p.Notifications;
        var checkedCrossings = 0;
        foreach (var (trip, index) in all.Select((m, i) => (m, i)).Where(x => x.m.Event == 0 && x.m.Source != 7))
        {
            var threshold = EmulatorScenario.Default.TripPoints[(int)(trip.Word(2) & 0xFF)];
            var up = (trip.Word(2) & 1u << 16) != 0;
            var reading = (long)all.Skip(index + 1).First(m => m.Event == 1 && m.Source == trip.Source).Word64(2);
            if (up) Assert.True(reading >= threshold, $"{reading} after crossing {threshold} upwards");
            else Assert.True(reading < threshold, $"{reading} after crossing {threshold} downwards");
            checkedCrossings++;
        }
        Assert.True(checkedCrossings > 20);
    }

    [Fact]
    public void Trip_point_config_sets_value_and_direction()
    {
        var p = new RawPlatform();
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0, true));
        // Trip point 1 only on upward crossings, at 0 °C; trip point 0 off; 2 stays.
        Assert.Equal(ScmiStatus.Success, p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 1u << 4 | 1, 0, 0).Status);
        Assert.Equal(ScmiStatus.Success, p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 0u << 4 | 0, 0, 0).Status);
        Assert.Equal(ScmiStatus.InvalidParameters, p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 3u << 4 | 3, 0, 0).Status);
        Assert.Equal(ScmiStatus.InvalidParameters, p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig, 0, 1u << 12 | 3, 0, 0).Status);
        Assert.Equal(ScmiStatus.NotFound, p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig, 8, 3, 0, 0).Status);
        p.Emulator.Step(3_000);
        var trips = p.Notifications.Select(m => m.Word(2)).ToList();
        Assert.DoesNotContain(trips, d => (d & 0xFF) == 0);
        Assert.Contains(trips, d => d == (1u | 1u << 16));
        Assert.DoesNotContain(trips, d => d == 1u);
        Assert.Contains(trips, d => (d & 0xFF) == 2);
    }

    [Fact]
    public void Power_domains_switch_on_and_off()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { PowerStatePerSecond = 4 });
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 3, true));
        p.Emulator.Step(500);
        var states = p.Notifications.Select(m => m.Word(2)).ToList();
        Assert.InRange(states.Count, 19, 21);
        for (var i = 0; i < states.Count; i++) Assert.Equal(i % 2 == 0 ? 0x4000_0000u : 0u, states[i]); // starts ON
    }

    [Fact]
    public void Perf_levels_stay_within_the_latest_limits()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { PerfLimitsPerSecond = 5, PerfLevelPerSecond = 50 });
        for (uint d = 0; d < 3; d++)
        {
            Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, d, true));
            Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, d, true));
        }
        p.Emulator.Step(1_000);
        var limits = new Dictionary<uint, (uint Max, uint Min)>();
        var clamped = 0;
        foreach (var m in p.Notifications)
        {
            if (m.Event == 0)
            {
                limits[m.Source] = (m.Word(2), m.Word(3));
            }
            else if (limits.TryGetValue(m.Source, out var range))
            {
                Assert.InRange(m.Word(2), range.Min, range.Max);
                clamped++;
            }
        }
        Assert.True(clamped > 100);
    }

    [Fact]
    public void Powercap_measurements_are_sent_on_threshold_crossings_only()
    {
        var p = new RawPlatform();
        // Domain 0 with the described thresholds; domain 1 with thresholds nothing can cross.
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, 0, true));
        Assert.Equal(ScmiStatus.Success, p.Command(ScmiProtocolId.Powercap, ScmiCommands.Powercap.MeasurementsNotify, 1, 1, 0, 0xFFFF_FFFF).Status);
        p.Emulator.Step(3_000);
        var sent = p.Notifications;
        Assert.DoesNotContain(sent, m => m.Source == 1);
        var regions = sent.Select(m => (m.Word(2) >= 1_000 ? 1 : 0) + (m.Word(2) >= 5_000 ? 1 : 0)).ToList();
        Assert.True(regions.Count >= 6, $"{regions.Count} crossings");
        for (var i = 1; i < regions.Count; i++) Assert.NotEqual(regions[i - 1], regions[i]);
    }

    [Fact]
    public void Shutdown_is_requested_once_after_the_configured_delay()
    {
        var p = new RawPlatform(EmulatorScenario.Default with { ShutdownAfter = TimeSpan.FromSeconds(1), ShutdownTimeout = TimeSpan.FromSeconds(7) });
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 0, true));
        Assert.Equal(0, p.Emulator.Step(99));
        Assert.False(p.Emulator.ShutdownRequested);
        Assert.Equal(1, p.Emulator.Step());
        var request = Assert.Single(p.Notifications);
        Assert.Equal(ScmiHeader.Notification(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier), request.Raw);
        Assert.Equal(RawPlatform.Words(0, 1, 0, 7_000), request.Payload);
        Assert.Equal(0, p.Emulator.Step(1_000));
    }

    [Fact]
    public void Shutdown_request_of_system_power_v1_has_no_timeout_word()
    {
        var description = EmulatorPlatforms.Emu("""scmi.platforms.emu { protocols { system { version = "1.0" } } }""");
        var p = new RawPlatform(EmulatorScenario.Default with { ShutdownAfter = TimeSpan.Zero }, description);
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 0, true));
        p.Emulator.Step();
        Assert.Equal(RawPlatform.Words(0, 1, 0), Assert.Single(p.Notifications).Payload);
    }

    [Fact]
    public void Imx_bbm_sends_rtc_events_for_the_enabled_bits_and_button_presses()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { BbmRtcPerSecond = 2, BbmButtonPerSecond = 1 });
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 0, 0x5).Status); // alarm and updated
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.ButtonNotify, 1).Status);
        p.Emulator.Step(1_000);
        var rtc = p.Notifications.Where(m => m.Event == 0).Select(m => m.Word(0)).ToList();
        Assert.All(p.Notifications, m => Assert.Equal(4, m.Payload.Length));
        Assert.Contains(1u, rtc);
        Assert.Contains(4u, rtc);
        Assert.DoesNotContain(2u, rtc);
        Assert.InRange(p.Notifications.Count(m => m.Event == 1), 9, 11);
    }

    [Fact]
    public void Emit_once_sends_one_change_if_enabled()
    {
        var p = new RawPlatform();
        Assert.Null(p.Emulator.EmitOnce(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 4));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 4, true));
        Assert.Equal(IngestResult.Queued, p.Emulator.EmitOnce(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 4));
        var m = Assert.Single(p.Notifications);
        Assert.Equal((ScmiProtocolId.Reset, 4u, 12), (m.Protocol, m.Source, m.Payload.Length));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Emulator.EmitOnce(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 8));
        Assert.Throws<ArgumentException>(() => p.Emulator.EmitOnce(ScmiProtocolId.Reset, 1, 0));
    }

    [Fact]
    public void Same_seed_same_sequence_different_seed_different_sequence()
    {
        static IReadOnlyList<SentMessage> Run(int seed, EmulatorFault faults)
        {
            var p = new RawPlatform(EmulatorScenario.Default with { Seed = seed, Faults = faults, ShutdownAfter = TimeSpan.FromSeconds(3) });
            p.EnableEverything();
            p.Emulator.Step(600);
            return p.Notifications;
        }

        const EmulatorFault faults = EmulatorFault.Malformed | EmulatorFault.Oversized | EmulatorFault.OutOfRangeSources
            | EmulatorFault.UnknownProtocolsAndEvents;
        var a = Run(42, EmulatorFault.None);
        var b = Run(42, EmulatorFault.None);
        Assert.True(a.Count > 500, $"{a.Count} notifications");
        Assert.Equal(a, b, SentMessageComparer.Instance);
        Assert.Equal(Run(42, faults), Run(42, faults), SentMessageComparer.Instance);
        Assert.NotEqual(a, Run(43, EmulatorFault.None), SentMessageComparer.Instance);
    }

    [Fact]
    public void What_is_sent_is_the_same_world_filtered_by_the_enable_state()
    {
        var all = new RawPlatform(EmulatorScenario.Default with { Seed = 9 });
        all.EnableEverything();
        all.Emulator.Step(400);

        var one = new RawPlatform(EmulatorScenario.Default with { Seed = 9 });
        Assert.Equal(ScmiStatus.Success, one.Notify(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, 5, true));
        one.Emulator.Step(400);

        var expected = all.Notifications.Where(m => m.Protocol == ScmiProtocolId.Sensor && m.Event == 1 && m.Source == 5).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, one.Notifications, SentMessageComparer.Instance);
    }

    [Fact]
    public async Task Background_loop_runs_in_real_time_and_stops()
    {
        await using var p = new RawPlatform(EmulatorPlatforms.Quiet with { PerfLevelPerSecond = 200 });
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, true));
        p.Emulator.Start();
        Assert.True(p.Emulator.IsRunning);
        await WaitUntil(() => p.Emulator.GetStats().For(ScmiProtocolId.Perf).Queued >= 20);
        await p.Emulator.StopAsync();
        Assert.False(p.Emulator.IsRunning);
        Assert.Null(p.Emulator.LoopFault);
        var ticks = p.Emulator.Tick;
        Assert.True(ticks >= 10);
        var count = p.Notifications.Count;
        Assert.Equal(0, p.Emulator.Step(0));
        Assert.Equal(ticks, p.Emulator.Tick);
        Assert.Equal(count, p.Notifications.Count);
        Assert.Equal(ticks * 10, (long)p.Emulator.SimulatedTime.TotalMilliseconds);
    }

    /// <summary>Awaits a condition that a background task makes true, checking on a short timer.</summary>
    internal static async Task WaitUntil(Func<bool> condition, int timeoutMs = 5_000)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "condition not met in time");
            await timer.WaitForNextTickAsync();
        }
    }
}

public sealed class SentMessageComparer : IEqualityComparer<SentMessage>
{
    public static readonly SentMessageComparer Instance = new();
    public bool Equals(SentMessage? x, SentMessage? y) => x!.Raw == y!.Raw && x.Payload.AsSpan().SequenceEqual(y.Payload);
    public int GetHashCode(SentMessage obj) => (int)obj.Raw;
}
