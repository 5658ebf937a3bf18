using ScmiActors.Emulator;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using ScmiActors.Wire.Protocols;
using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Tests.Emulation.RawPlatform;

namespace ScmiActors.Tests.Emulation;

/// <summary>The emulator's answers to agent commands, byte for byte.</summary>
public sealed class CommandSpec : IAsyncLifetime
{
    private readonly RawPlatform _p = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _p.DisposeAsync();

    [Fact]
    public void Response_echoes_the_command_header_with_type_0_and_the_token()
    {
        var header = ScmiHeader.Command(ScmiProtocolId.Perf, ScmiCommands.Common.ProtocolVersion, 0x2A5);
        _p.Emulator.HandleCommand(header | 0xF000_0000, []); // reserved bits 31:28 set by a sloppy agent
        var response = Assert.Single(_p.Responses);
        Assert.Equal(header, response.Raw);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00 }, response.Payload); // SUCCESS, version 4.0
    }

    [Fact]
    public void Base_protocol_version_and_attributes()
    {
        var version = _p.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion);
        Assert.Equal(ScmiStatus.Success, version.Status);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x02, 0x00 }, version.Values);

        // num_protocols (bits 7:0) = 8 besides base; num_agents (bits 15:8) = 2.
        var attributes = _p.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolAttributes);
        Assert.Equal(new byte[] { 0x08, 0x02, 0x00, 0x00 }, attributes.Values);
    }

    [Fact]
    public void Base_answers_even_when_the_description_omits_it()
    {
        var description = EmulatorPlatforms.Emu("""scmi.platforms.emu { protocols { perf { domains = 2 } } }""");
        var p = new RawPlatform(description: description);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x02, 0x00 }, p.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion).Values);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x00, 0x00 }, p.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolAttributes).Values);
    }

    [Fact]
    public void Discover_list_protocols_pages_four_ids_packed_per_word()
    {
        var first = _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, 0);
        Assert.Equal(ScmiStatus.Success, first.Status);
        Assert.Equal(new byte[] { 4, 0, 0, 0, 0x11, 0x12, 0x13, 0x14 }, first.Values);

        var second = _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, 4);
        Assert.Equal(new byte[] { 4, 0, 0, 0, 0x15, 0x16, 0x18, 0x81 }, second.Values);

        var end = _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, 8);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, end.Values);

        Assert.Equal(ScmiStatus.InvalidParameters, _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, 9).Status);
        Assert.Equal(ScmiStatus.ProtocolError, _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols).Status);
    }

    [Fact]
    public void Discover_list_protocols_pads_the_last_word()
    {
        var p = new RawPlatform(EmulatorPlatforms.Quiet with { ItemsPerResponse = 3 });
        var last = p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, 6);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0x18, 0x81, 0, 0 }, last.Values);
    }

    [Fact]
    public void Base_discovery_of_vendor_implementation_and_agent()
    {
        var vendor = _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverVendor);
        Assert.Equal(16, vendor.Values.Length);
        Assert.Equal("ScmiActors", vendor.Name(0));
        Assert.Equal("emulator", _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverSubVendor).Name(0));
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverImplementationVersion).Values);

        var self = _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverAgent, 0xFFFF_FFFF);
        Assert.Equal(20, self.Values.Length);
        Assert.Equal((1u, "agent1"), (self.Word(0), self.Name(4)));
        Assert.Equal("platform", _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverAgent, 0).Name(4));
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverAgent, 3).Status);
    }

    [Theory]
    [InlineData(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, true)]
    [InlineData(ScmiProtocolId.Base, ScmiCommands.Base.NotifyErrors, true)]
    [InlineData(ScmiProtocolId.Base, 0x9, false)]   // BASE_SET_DEVICE_PERMISSIONS: not implemented
    [InlineData(ScmiProtocolId.Power, ScmiCommands.Power.StateNotify, true)]
    [InlineData(ScmiProtocolId.Power, 0x4, false)]  // POWER_STATE_SET
    [InlineData(ScmiProtocolId.System, ScmiCommands.System.PowerStateNotify, true)]
    [InlineData(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLimits, true)]
    [InlineData(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, true)]
    [InlineData(ScmiProtocolId.Perf, 0x4, false)]   // PERFORMANCE_DESCRIBE_LEVELS
    [InlineData(ScmiProtocolId.Clock, ScmiCommands.Clock.RateNotify, true)]
    [InlineData(ScmiProtocolId.Clock, ScmiCommands.Clock.RateChangeRequestedNotify, true)]
    [InlineData(ScmiProtocolId.Clock, 0x5, false)]  // CLOCK_RATE_SET
    [InlineData(ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointNotify, true)]
    [InlineData(ScmiProtocolId.Sensor, ScmiCommands.Sensor.ContinuousUpdateNotify, true)]
    [InlineData(ScmiProtocolId.Sensor, 0x8, false)] // SENSOR_LIST_UPDATE_INTERVALS
    [InlineData(ScmiProtocolId.Reset, ScmiCommands.Reset.Notify, true)]
    [InlineData(ScmiProtocolId.Powercap, ScmiCommands.Powercap.CapNotify, true)]
    [InlineData(ScmiProtocolId.Powercap, ScmiCommands.Powercap.MeasurementsNotify, true)]
    [InlineData(ScmiProtocolId.Powercap, 0xC, false)]
    [InlineData(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, true)]
    [InlineData(ScmiProtocolId.Perf, 0x100, false)] // not even a message id
    public void Protocol_message_attributes_says_which_messages_exist(byte protocol, uint messageId, bool exists)
    {
        var answer = _p.Command(protocol, 0x2, messageId);
        if (exists)
        {
            Assert.Equal(ScmiStatus.Success, answer.Status);
            Assert.Equal(new byte[4], answer.Values);
        }
        else
        {
            Assert.Equal(ScmiStatus.NotFound, answer.Status);
            Assert.Empty(answer.Values);
        }
    }

    [Fact]
    public void Unimplemented_messages_are_not_found_and_unimplemented_protocols_not_supported()
    {
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Perf, 0x7, 0, 100).Status); // PERFORMANCE_LEVEL_SET
        Assert.Equal(ScmiStatus.NotSupported, _p.Command(ScmiProtocolId.Voltage, ScmiCommands.Common.ProtocolVersion).Status); // not described
        Assert.Equal(ScmiStatus.NotSupported, _p.Command(0x90, 0x0).Status);
    }

    [Theory]
    [InlineData(ScmiProtocolId.Power, 0x0003_0000u)]
    [InlineData(ScmiProtocolId.System, 0x0002_0000u)]
    [InlineData(ScmiProtocolId.Perf, 0x0004_0000u)]
    [InlineData(ScmiProtocolId.Clock, 0x0003_0000u)]
    [InlineData(ScmiProtocolId.Sensor, 0x0003_0000u)]
    [InlineData(ScmiProtocolId.Reset, 0x0003_0000u)]
    [InlineData(ScmiProtocolId.Powercap, 0x0002_0000u)]
    [InlineData(ImxBbm.ProtocolId, 0x0001_0000u)]
    public void Every_protocol_reports_its_described_version(byte protocol, uint version)
    {
        var answer = _p.Command(protocol, 0x0);
        Assert.Equal(ScmiStatus.Success, answer.Status);
        Assert.Equal(Words(version), answer.Values);
    }

    [Fact]
    public void Protocol_attributes_carry_the_number_of_sources_in_bits_15_0()
    {
        Assert.Equal(Words(8, 0, 0, 0), _p.Command(ScmiProtocolId.Power, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(Words(0x0001_0004, 0, 0, 0), _p.Command(ScmiProtocolId.Perf, ScmiCommands.Common.ProtocolAttributes).Values); // flags 31:16: power in mW
        Assert.Equal(Words(8), _p.Command(ScmiProtocolId.Clock, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(Words(8, 0, 0, 0), _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(Words(8), _p.Command(ScmiProtocolId.Reset, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(Words(4), _p.Command(ScmiProtocolId.Powercap, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(Words(0xC000_0000), _p.Command(ScmiProtocolId.System, ScmiCommands.Common.ProtocolAttributes).Values);
    }

    [Fact]
    public void Power_domain_attributes_bit31_says_it_can_notify()
    {
        var d0 = _p.Command(ScmiProtocolId.Power, ScmiCommands.Power.DomainAttributes, 0);
        Assert.Equal(20, d0.Values.Length);
        Assert.Equal(0xA000_0000u, d0.Word(0));
        Assert.Equal("pd0", d0.Name(4));
        Assert.Equal(0x2000_0000u, _p.Command(ScmiProtocolId.Power, ScmiCommands.Power.DomainAttributes, 7).Word(0)); // no-notify
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Power, ScmiCommands.Power.DomainAttributes, 8).Status);
        Assert.Equal(ScmiStatus.ProtocolError, _p.Command(ScmiProtocolId.Power, ScmiCommands.Power.DomainAttributes).Status);
    }

    [Fact]
    public void Perf_domain_attributes_bit29_limits_bit28_level()
    {
        var d0 = _p.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.DomainAttributes, 0);
        Assert.Equal(32, d0.Values.Length);
        Assert.Equal(0x3000_0000u, d0.Word(0));
        Assert.Equal(1000u, d0.Word(1)); // rate_limit_us
        Assert.Equal(d0.Word(3) * 1000, d0.Word(2)); // sustained kHz from the sustained level
        Assert.Equal("perf0", d0.Name(16));
        Assert.Equal(0x1000_0000u, _p.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.DomainAttributes, 3).Word(0)); // limits cannot notify
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.DomainAttributes, 4).Status);
    }

    [Fact]
    public void Clock_attributes_bit31_rate_changed_bit30_change_requested()
    {
        var c1 = _p.Command(ScmiProtocolId.Clock, ScmiCommands.Clock.Attributes, 1);
        Assert.Equal(24, c1.Values.Length); // attributes, name, enable latency (clock v2+)
        Assert.Equal(0xC000_0001u, c1.Word(0));
        Assert.Equal("clk1", c1.Name(4));
        Assert.Equal(0x8000_0001u, _p.Command(ScmiProtocolId.Clock, ScmiCommands.Clock.Attributes, 0).Word(0)); // change-requested cannot notify
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Clock, ScmiCommands.Clock.Attributes, 8).Status);
    }

    [Fact]
    public void Reset_and_powercap_domain_attributes()
    {
        var r0 = _p.Command(ScmiProtocolId.Reset, ScmiCommands.Reset.DomainAttributes, 0);
        Assert.Equal(24, r0.Values.Length);
        Assert.Equal((0x4000_0000u, 0u, "rst0"), (r0.Word(0), r0.Word(1), r0.Name(8)));
        Assert.Equal(0u, _p.Command(ScmiProtocolId.Reset, ScmiCommands.Reset.DomainAttributes, 1).Word(0));

        var c0 = _p.Command(ScmiProtocolId.Powercap, ScmiCommands.Powercap.DomainAttributes, 0);
        Assert.Equal(56, c0.Values.Length);
        Assert.Equal(0xC000_0000u, c0.Word(0) & 0xC000_0000); // cap and measurement notifications
        Assert.Equal(2u, c0.Word(0) >> 23 & 0x3);             // mW
        Assert.Equal("pcap0", c0.Name(4));
        Assert.Equal(0xFFFF_FFFFu, c0.Word(13));              // parent: root
        Assert.Equal(0x4000_0000u, _p.Command(ScmiProtocolId.Powercap, ScmiCommands.Powercap.DomainAttributes, 2).Word(0) & 0xC000_0000); // cap cannot notify
    }

    [Fact]
    public void Sensor_descriptions_page_with_trip_points_continuous_update_and_axes()
    {
        var first = _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.DescriptionGet, 0);
        Assert.Equal(4 + 4 * 28, first.Values.Length);
        Assert.Equal(4u | 4u << 16, first.Word(0)); // 4 returned, 4 remaining
        const uint timestamps = 1u << 9 | 23u << 10;  // timestamped, exponent -9
        const uint temperature = 29u << 11 | 2;       // scale -3, degrees C
        Assert.Equal(0u, first.Word(1));                         // id
        Assert.Equal(1u << 30 | timestamps | 3, first.Word(2));  // continuous update, 3 trip points
        Assert.Equal(temperature, first.Word(3));
        Assert.Equal("temp0", first.Name(16));

        var second = _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.DescriptionGet, 4);
        Assert.Equal(4u, second.Word(0));
        uint Low(int i) => second.Word(1 + 7 * i + 1);
        uint High(int i) => second.Word(1 + 7 * i + 2);
        Assert.Equal(temperature | 1u << 8 | 3u << 16, High(1)); // sensor 5: three axes
        Assert.Equal(1u << 30 | timestamps, Low(2));             // sensor 6: no trip points
        Assert.Equal(timestamps | 3, Low(3));                    // sensor 7: no continuous update

        Assert.Equal(ScmiStatus.InvalidParameters, _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.DescriptionGet, 9).Status);
    }

    [Fact]
    public void Sensor_axis_descriptions()
    {
        var axes = _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.AxisDescriptionGet, 5, 0);
        Assert.Equal(4 + 3 * 28, axes.Values.Length);
        Assert.Equal(3u, axes.Word(0));
        Assert.Equal((2u, "temp5.2"), (axes.Word(1 + 14), axes.Name(4 + 2 * 28 + 12)));
        Assert.Equal(ScmiStatus.NotSupported, _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.AxisDescriptionGet, 0, 0).Status);
    }

    [Theory]
    [MemberData(nameof(NotifyCommands))]
    public void Notify_commands_answer_with_the_right_status(byte protocol, byte eventId, byte notifyId, uint sources, uint? cannotNotify)
    {
        var descriptor = ProtocolCatalogs.Default.Find(protocol)!.FindEvent(eventId)!;
        var description = _p.Description.Find(protocol)!;
        Assert.Equal(notifyId, descriptor.NotifyMessageId);
        var global = descriptor.FixedSourceCount == 1;
        var good = cannotNotify == 0 ? 1u : 0u;

        // SUCCESS, and the enable state follows.
        Assert.Equal(ScmiStatus.Success, _p.Command(descriptor.EncodeNotify(good, true, description)).Status);
        Assert.True(_p.Emulator.IsEnabled(protocol, eventId, good));
        Assert.Equal(ScmiStatus.Success, _p.Command(descriptor.EncodeNotify(good, false, description)).Status);
        Assert.False(_p.Emulator.IsEnabled(protocol, eventId, good));

        // INVALID_PARAMETERS for reserved bits 31:1 of notify_enable; nothing changes.
        var bad = descriptor.EncodeNotify(good, true, description).Payload;
        bad[global ? 0 : 4] |= 0x2;
        var invalid = _p.TryCommand(protocol, notifyId, bad)!;
        Assert.Equal(ScmiStatus.InvalidParameters, invalid.Status);
        Assert.Empty(invalid.Values);
        Assert.False(_p.Emulator.IsEnabled(protocol, eventId, good));

        // PROTOCOL_ERROR for a payload that is too short.
        Assert.Equal(ScmiStatus.ProtocolError, _p.TryCommand(protocol, notifyId, [])!.Status);

        if (!global)
        {
            // NOT_FOUND for an id at or above the number of sources.
            Assert.Equal(ScmiStatus.NotFound, _p.Command(descriptor.EncodeNotify(sources, true, description)).Status);
            Assert.Equal(ScmiStatus.NotFound, _p.Command(descriptor.EncodeNotify(0xFFFF_FFFF, true, description)).Status);
        }
        if (cannotNotify is { } never)
        {
            // NOT_SUPPORTED for a source the platform says cannot notify.
            Assert.Equal(ScmiStatus.NotSupported, _p.Command(descriptor.EncodeNotify(never, true, description)).Status);
            Assert.False(_p.Emulator.IsEnabled(protocol, eventId, never));
        }
    }

    public static TheoryData<byte, byte, byte, uint, uint?> NotifyCommands => new()
    {
        { ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, ScmiCommands.Base.NotifyErrors, 1, null },
        { ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, ScmiCommands.Power.StateNotify, 8, 7 },
        { ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, ScmiCommands.System.PowerStateNotify, 1, null },
        { ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, ScmiCommands.Perf.NotifyLimits, 4, 3 },
        { ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, ScmiCommands.Perf.NotifyLevel, 4, null },
        { ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, ScmiCommands.Clock.RateNotify, 8, null },
        { ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, ScmiCommands.Clock.RateChangeRequestedNotify, 8, 0 },
        { ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, ScmiCommands.Sensor.TripPointNotify, 8, 6 },
        { ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, ScmiCommands.Sensor.ContinuousUpdateNotify, 8, 7 },
        { ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, ScmiCommands.Reset.Notify, 8, 1 },
        { ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, ScmiCommands.Powercap.CapNotify, 4, 2 },
        { ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, ScmiCommands.Powercap.MeasurementsNotify, 4, null },
    };

    [Fact]
    public void Powercap_measurements_notify_rejects_low_above_high()
    {
        Assert.Equal(ScmiStatus.InvalidParameters, _p.Command(ScmiProtocolId.Powercap, ScmiCommands.Powercap.MeasurementsNotify, 0, 1, 5000, 1000).Status);
        Assert.False(_p.Emulator.IsEnabled(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, 0));
        Assert.Equal(ScmiStatus.ProtocolError, _p.Command(ScmiProtocolId.Powercap, ScmiCommands.Powercap.MeasurementsNotify, 0, 1).Status);
    }

    [Fact]
    public void Imx_bbm_notify_commands()
    {
        var description = _p.Description.Find(ImxBbm.ProtocolId)!;
        var rtc = ImxBbm.Descriptor.Events[0];
        Assert.Equal(ScmiStatus.Success, _p.Command(rtc.EncodeGroupNotify(0, [ImxBbm.RtcSource(0, ImxBbm.RtcKind.Rollover)], description)).Status);
        Assert.True(_p.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, 1));
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 1, 1).Status);          // one RTC described: rtc 1 does not exist
        Assert.Equal(ScmiStatus.InvalidParameters, _p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 0, 8).Status); // reserved flag bit
        Assert.Equal(ScmiStatus.Success, _p.Command(ImxBbm.Descriptor.Events[1].EncodeNotify(0, true, description)).Status);
        Assert.True(_p.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0));
    }

    [Fact]
    public void Get_commands_report_the_simulated_state_the_notifications_carried()
    {
        Assert.Equal(ScmiStatus.Success, _p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 2, true));
        Assert.Equal(ScmiStatus.Success, _p.Notify(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, 3, true));
        Assert.Equal(ScmiStatus.Success, _p.Notify(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 1, true));
        _p.Emulator.Step(300);
        var notifications = _p.Notifications;

        var level = notifications.Last(m => m.Protocol == ScmiProtocolId.Perf && m.Event == 1);
        Assert.Equal(Words(level.Word(2)), _p.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.LevelGet, 2).Values);
        var rate = notifications.Last(m => m.Protocol == ScmiProtocolId.Clock && m.Event == 0);
        Assert.Equal(Words(rate.Word(2), rate.Word(3)), _p.Command(ScmiProtocolId.Clock, ScmiCommands.Clock.RateGet, 3).Values);
        var power = notifications.Last(m => m.Protocol == ScmiProtocolId.Power);
        Assert.Equal(Words(power.Word(2)), _p.Command(ScmiProtocolId.Power, ScmiCommands.Power.StateGet, 1).Values);

        var limits = _p.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.LimitsGet, 2);
        Assert.InRange(level.Word(2), limits.Word(1), limits.Word(0));

        // Sensor v3: one (value, timestamp) pair per axis; timestamps are simulated nanoseconds.
        var reading = _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.ReadingGet, 5, 0);
        Assert.Equal(3 * 16, reading.Values.Length);
        Assert.Equal(300UL * 10_000_000, reading.Word(2) | (ulong)reading.Word(3) << 32);
        Assert.Equal(ScmiStatus.NotSupported, _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.ReadingGet, 5, 1).Status); // async
        Assert.Equal(ScmiStatus.NotFound, _p.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.ReadingGet, 8, 0).Status);
    }

    [Fact]
    public void Commands_never_throw_on_garbage()
    {
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var payload = new byte[random.Next(0, 24)];
            random.NextBytes(payload);
            var protocol = (byte)(random.Next(2) == 0 ? random.Next(0x10, 0x1A) : random.Next(256));
            _p.Emulator.HandleCommand(ScmiHeader.Command(protocol, (byte)random.Next(0, 16), 1), payload);
        }
        Assert.Equal(2_000, _p.Responses.Count);
        Assert.All(_p.Responses, r => Assert.True(r.Payload.Length >= 4));
    }
}
