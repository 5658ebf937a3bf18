using Xunit;
using static ScmiActors.Wire.Tests.Decoding;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>Each standard notification decoded from a hand-built payload, every field checked.</summary>
public class StandardEventDecodeTests
{
    // ---- Base -----------------------------------------------------------------------------------

    [Fact]
    public void BaseError_decodes_agent_status_and_reports_low_word_first()
    {
        var payload = WireModel.Words(7, 0x8000_0002, 0x5566_7788, 0x1122_3344, 0xFFFF_FFFF, 0x8000_0000);
        var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload));

        Assert.Equal(ScmiProtocolId.Base, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(0u, report.Source);
        Assert.Equal(7u, report.AgentId);
        Assert.Equal(0x8000_0002u, report.ErrorStatus);
        Assert.True(report.Fatal);
        Assert.Equal(2, report.CmdCount);
        Assert.Equal([0x1122_3344_5566_7788UL, 0x8000_0000_FFFF_FFFFUL], report.Reports.ToArray());
    }

    [Fact]
    public void BaseError_count_is_bits_9_to_0_and_fatal_is_bit_31_only()
    {
        // Reserved bits 30:10 set, count 1, not fatal.
        var payload = WireModel.BaseError(1, 0x7FFF_FC01, [42UL]);
        var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload));
        Assert.False(report.Fatal);
        Assert.Equal(1, report.CmdCount);
        Assert.Equal(0x7FFF_FC01u, report.ErrorStatus);
        Assert.Equal([42UL], report.Reports.ToArray());
    }

    [Fact]
    public void BaseError_with_no_reports_is_8_bytes()
    {
        var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, WireModel.BaseError(0, 0x8000_0000, [])));
        Assert.True(report.Fatal);
        Assert.Equal(0, report.CmdCount);
        Assert.True(report.Reports.IsEmpty);
    }

    [Fact]
    public void BaseError_ignores_bytes_after_the_reports()
    {
        var payload = WireModel.BaseError(2, 2, [1UL, 2UL], extraBytes: 13);
        Assert.Equal(8 + 16 + 13, payload.Length);
        var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload));
        Assert.Equal([1UL, 2UL], report.Reports.ToArray());
    }

    [Fact]
    public void BaseError_with_1023_reports_at_the_largest_size_decodes()
    {
        var reports = Enumerable.Range(0, 1023).Select(i => (ulong)i * 0x1_0000_0001UL).ToArray();
        var payload = WireModel.BaseError(9, 1023, reports, extraBytes: 8); // 8 + 8*1023 + 8 = 8 + 8*1024
        Assert.Equal(8 + 8 * 1024, payload.Length);
        var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload));
        Assert.Equal(1023, report.CmdCount);
        Assert.Equal(reports, report.Reports.ToArray());
    }

    [Fact]
    public void BaseError_shorter_than_8_bytes_is_too_short()
    {
        Rejected(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, new byte[7]), DecodeError.PayloadTooShort, "payload_too_short",
            "BASE_ERROR_EVENT", "8", "7");
    }

    [Fact]
    public void BaseError_one_byte_short_of_its_reports_is_too_short()
    {
        var payload = WireModel.BaseError(0, 3, [1UL, 2UL, 3UL]); // 32 bytes needed
        Rejected(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload[..^1]), DecodeError.PayloadTooShort, "payload_too_short",
            "BASE_ERROR_EVENT", "32", "31");
    }

    [Fact]
    public void BaseError_longer_than_8_plus_8x1024_is_too_long()
    {
        var payload = WireModel.Resize(WireModel.BaseError(0, 0, []), 8 + 8 * 1024 + 1);
        Rejected(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, payload), DecodeError.PayloadTooLong, "payload_too_long",
            "BASE_ERROR_EVENT", "8200", "8201");
    }

    // ---- Power ----------------------------------------------------------------------------------

    [Fact]
    public void PowerStateChanged_decodes_domain_and_state()
    {
        var report = Ok<PowerStateChanged>(Decode(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, WireModel.PowerState(4, 3, 0x4000_0000)));
        Assert.Equal(ScmiProtocolId.Power, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(4u, report.AgentId);
        Assert.Equal(3u, report.DomainId);
        Assert.Equal(3u, report.Source);
        Assert.Equal(0x4000_0000u, report.PowerState);
    }

    [Fact]
    public void PowerStateChanged_matches_the_SCMI_notes_shared_memory_example()
    {
        // SCMI-NOTES §1.2: header 0x00004700, payload 02 00 00 00 03 00 00 00 00 00 00 40.
        byte[] payload = [0x02, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0x40];
        var report = Ok<PowerStateChanged>(TestPlatforms.Decoder.Decode(0x0000_4700, payload, Timestamp));
        Assert.Equal(2u, report.AgentId);
        Assert.Equal(3u, report.DomainId);
        Assert.Equal(0x4000_0000u, report.PowerState);
    }

    // ---- System power -----------------------------------------------------------------------------

    [Fact]
    public void SystemPower_v2_graceful_shutdown_reports_the_timeout()
    {
        var report = Ok<SystemPowerStateNotifier>(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(6, 1, 0, 30_000)));
        Assert.Equal(ScmiProtocolId.System, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(0u, report.Source);
        Assert.Equal(6u, report.AgentId);
        Assert.Equal(1u, report.Flags);
        Assert.True(report.Graceful);
        Assert.Equal((uint)SystemState.Shutdown, report.SystemState);
        Assert.Equal(30_000u, report.Timeout);
    }

    [Theory]
    [InlineData(0u, 0u, 0u)]            // forceful shutdown
    [InlineData(2u, 0u, 0u)]            // bit0 clear, other bits set: still forceful
    [InlineData(1u, 1u, 0u)]            // graceful cold reset
    [InlineData(1u, 2u, 0u)]            // graceful warm reset
    [InlineData(1u, 3u, 0u)]            // graceful power up
    [InlineData(1u, 4u, 0u)]            // graceful suspend
    [InlineData(0xFFFF_FFFFu, 0u, 1234u)] // graceful (bit0) with reserved flag bits, shutdown
    [InlineData(3u, 0u, 1234u)]
    public void SystemPower_v2_timeout_only_for_graceful_shutdown(uint flags, uint state, uint expectedTimeout)
    {
        var report = Ok<SystemPowerStateNotifier>(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(1, flags, state, 1234)));
        Assert.Equal(flags, report.Flags);
        Assert.Equal(state, report.SystemState);
        Assert.Equal((flags & 1) != 0, report.Graceful);
        Assert.Equal(expectedTimeout, report.Timeout);
    }

    [Fact]
    public void SystemPower_v1_is_exactly_12_bytes_and_has_no_timeout()
    {
        var report = Ok<SystemPowerStateNotifier>(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(5, 1, 0, null),
            TestPlatforms.DecoderV1), "soc-v1");
        Assert.Equal(5u, report.AgentId);
        Assert.Equal(1u, report.Flags);
        Assert.True(report.Graceful);
        Assert.Equal(0u, report.SystemState);
        Assert.Equal(0u, report.Timeout);
        Assert.Equal(0u, report.Source);
    }

    [Fact]
    public void SystemPower_v1_rejects_the_16_byte_v2_layout()
    {
        Rejected(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(5, 1, 0, 99), TestPlatforms.DecoderV1),
            DecodeError.PayloadTooLong, "payload_too_long", "SYSTEM_POWER_STATE_NOTIFIER", "12", "16");
        Rejected(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, new byte[11], TestPlatforms.DecoderV1),
            DecodeError.PayloadTooShort, "payload_too_short", "12", "11");
        Rejected(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, new byte[13], TestPlatforms.DecoderV1),
            DecodeError.PayloadTooLong, "payload_too_long", "12", "13");
    }

    [Fact]
    public void SystemPower_v2_rejects_the_12_byte_v1_layout()
    {
        Rejected(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(5, 1, 0, null)),
            DecodeError.PayloadTooShort, "payload_too_short", "SYSTEM_POWER_STATE_NOTIFIER", "16", "12");
    }

    [Fact]
    public void SystemPower_version_3_uses_the_v2_layout()
    {
        var v3 = TestPlatforms.Full with
        {
            Protocols = TestPlatforms.Full.Protocols.SetItem(ScmiProtocolId.System,
                TestPlatforms.Protocol(ScmiProtocolId.System) with { Version = new ProtocolVersion(3, 1) }),
        };
        var report = Ok<SystemPowerStateNotifier>(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(0, 1, 0, 77), new PlatformDecoder(v3, ProtocolCatalogs.Default)));
        Assert.Equal(77u, report.Timeout);
    }

    // ---- Performance ------------------------------------------------------------------------------

    [Fact]
    public void PerfLimitsChanged_decodes_range_max_then_range_min()
    {
        var report = Ok<PerfLimitsChanged>(Decode(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, WireModel.PerfLimits(2, 1, 2_000, 300)));
        Assert.Equal(ScmiProtocolId.Perf, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(2u, report.AgentId);
        Assert.Equal(1u, report.DomainId);
        Assert.Equal(1u, report.Source);
        Assert.Equal(2_000u, report.RangeMax);
        Assert.Equal(300u, report.RangeMin);
    }

    [Fact]
    public void PerfLevelChanged_decodes_domain_and_level()
    {
        var report = Ok<PerfLevelChanged>(Decode(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, WireModel.PerfLevel(0xAABB_CCDD, 3, 0xFFFF_FFFE)));
        Assert.Equal(ScmiProtocolId.Perf, report.Protocol);
        Assert.Equal(1, report.Event);
        Assert.Equal(0xAABB_CCDDu, report.AgentId);
        Assert.Equal(3u, report.DomainId);
        Assert.Equal(3u, report.Source);
        Assert.Equal(0xFFFF_FFFEu, report.PerformanceLevel);
    }

    // ---- Clock ------------------------------------------------------------------------------------

    [Fact]
    public void ClockRateChanged_decodes_a_64_bit_rate_low_word_first()
    {
        var payload = WireModel.Words(1, 6, 0x89AB_CDEF, 0x0123_4567);
        var report = Ok<ClockRateChanged>(Decode(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, payload));
        Assert.Equal(ScmiProtocolId.Clock, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.False(report.IsRequest);
        Assert.Equal(1u, report.AgentId);
        Assert.Equal(6u, report.ClockId);
        Assert.Equal(6u, report.Source);
        Assert.Equal(0x0123_4567_89AB_CDEFUL, report.Rate);
    }

    [Fact]
    public void ClockRateChangeRequested_is_event_1_with_the_same_layout()
    {
        var report = Ok<ClockRateChanged>(Decode(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, WireModel.ClockRate(2, 7, ulong.MaxValue)));
        Assert.Equal(1, report.Event);
        Assert.True(report.IsRequest);
        Assert.Equal(2u, report.AgentId);
        Assert.Equal(7u, report.ClockId);
        Assert.Equal(7u, report.Source);
        Assert.Equal(ulong.MaxValue, report.Rate);
    }

    [Fact]
    public void Clock_rate_above_4GHz_needs_the_high_word()
    {
        var report = Ok<ClockRateChanged>(Decode(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, WireModel.ClockRate(0, 0, 5_000_000_000UL)));
        Assert.Equal(5_000_000_000UL, report.Rate);
    }

    // ---- Sensor -----------------------------------------------------------------------------------

    [Theory]
    [InlineData(0x0001_0007u, (byte)7, true)]
    [InlineData(0x0000_00FFu, (byte)255, false)]
    [InlineData(0xFFFE_FF03u, (byte)3, false)] // every reserved bit set, bit16 clear
    [InlineData(0x0001_0000u, (byte)0, true)]
    public void SensorTripPoint_decodes_trip_point_id_and_direction(uint desc, byte tripPointId, bool ascending)
    {
        var report = Ok<SensorTripPoint>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, WireModel.SensorTripPoint(8, 4, desc)));
        Assert.Equal(ScmiProtocolId.Sensor, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(8u, report.AgentId);
        Assert.Equal(4u, report.SensorId);
        Assert.Equal(4u, report.Source);
        Assert.Equal(desc, report.TripPointDesc);
        Assert.Equal(tripPointId, report.TripPointId);
        Assert.Equal(ascending, report.Ascending);
    }

    [Fact]
    public void SensorUpdate_scalar_sensor_has_one_signed_reading()
    {
        var payload = WireModel.Words(3, 2, 0xFFFF_FFD8, 0xFFFF_FFFF, 0x0000_0010, 0x0000_0001); // -40, ts 0x1_00000010
        var report = Ok<SensorUpdate>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload));
        Assert.Equal(ScmiProtocolId.Sensor, report.Protocol);
        Assert.Equal(1, report.Event);
        Assert.Equal(3u, report.AgentId);
        Assert.Equal(2u, report.SensorId);
        Assert.Equal(2u, report.Source);
        Assert.Equal(1, report.ReadingsCount);
        Assert.Equal(new SensorReading(-40, 0x1_0000_0010UL), report.Readings[0]);
    }

    [Fact]
    public void SensorUpdate_multi_axis_sensor_reads_one_value_per_axis()
    {
        (long, ulong)[] readings = [(long.MinValue, 1UL), (-1, ulong.MaxValue), (0x7FFF_FFFF_0000_0001, 0x8000_0000_0000_0000UL)];
        var payload = WireModel.SensorUpdate(1, TestPlatforms.ThreeAxisSensor, readings);
        Assert.Equal(8 + 16 * 3, payload.Length);
        var report = Ok<SensorUpdate>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload));
        Assert.Equal(TestPlatforms.ThreeAxisSensor, report.SensorId);
        Assert.Equal(TestPlatforms.ThreeAxisSensor, report.Source);
        Assert.Equal(3, report.ReadingsCount);
        Assert.Equal(readings.Select(r => new SensorReading(r.Item1, r.Item2)), report.Readings);
    }

    [Fact]
    public void SensorUpdate_negative_value_is_low_word_then_high_word()
    {
        // -123456789012 = 0xFFFF_FFE3_4166_E5EC: low word first on the wire.
        Assert.Equal(0xFFFF_FFE3_4166_E5ECUL, unchecked((ulong)-123_456_789_012L));
        var payload = WireModel.Words(0, 0, 0x4166_E5EC, 0xFFFF_FFE3, 5, 0);
        var report = Ok<SensorUpdate>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload));
        Assert.Equal(-123_456_789_012L, report.Readings[0].Value);
        Assert.Equal(5UL, report.Readings[0].Timestamp);
    }

    [Fact]
    public void SensorUpdate_ignores_bytes_after_the_axes()
    {
        var payload = WireModel.SensorUpdate(0, 1, [(12, 34UL)], extraBytes: 16 * 2 + 3);
        var report = Ok<SensorUpdate>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload));
        Assert.Equal(1, report.ReadingsCount);
        Assert.Equal(new SensorReading(12, 34), report.Readings[0]);
    }

    [Fact]
    public void SensorUpdate_63_axis_sensor_at_the_largest_size()
    {
        var readings = Enumerable.Range(0, 63).Select(i => ((long)-i * 1_000_000_007L, (ulong)i << 40)).ToArray();
        var payload = WireModel.SensorUpdate(2, TestPlatforms.MaxAxisSensor, readings);
        Assert.Equal(8 + 16 * 63, payload.Length);
        var report = Ok<SensorUpdate>(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload));
        Assert.Equal(63, report.ReadingsCount);
        Assert.Equal(readings.Select(r => new SensorReading(r.Item1, r.Item2)), report.Readings);
    }

    [Fact]
    public void SensorUpdate_one_byte_short_of_the_axes_is_too_short()
    {
        var payload = WireModel.SensorUpdate(0, TestPlatforms.ThreeAxisSensor, [(1, 1UL), (2, 2UL), (3, 3UL)]);
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload[..^1]), DecodeError.PayloadTooShort, "payload_too_short",
            "SENSOR_UPDATE", "56", "55");
        var scalar = WireModel.SensorUpdate(0, 0, [(1, 1UL)]);
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, scalar[..^1]), DecodeError.PayloadTooShort, "payload_too_short",
            "SENSOR_UPDATE", "24", "23");
    }

    [Fact]
    public void SensorUpdate_without_a_sensor_id_is_too_short()
    {
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, new byte[7]), DecodeError.PayloadTooShort, "payload_too_short", "SENSOR_UPDATE", "7");
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, []), DecodeError.PayloadTooShort, "payload_too_short", "SENSOR_UPDATE", "0");
    }

    [Fact]
    public void SensorUpdate_longer_than_8_plus_16x63_is_too_long()
    {
        var payload = WireModel.Resize(WireModel.SensorUpdate(0, TestPlatforms.MaxAxisSensor, []), 8 + 16 * 63 + 1);
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload), DecodeError.PayloadTooLong, "payload_too_long",
            "SENSOR_UPDATE", "1016", "1017");
        // Also for a scalar sensor: the bound is the protocol's, not the sensor's.
        var scalar = WireModel.Resize(WireModel.SensorUpdate(0, 0, [(1, 1UL)]), 8 + 16 * 63 + 1);
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, scalar), DecodeError.PayloadTooLong, "payload_too_long", "1016", "1017");
    }

    // ---- Reset ------------------------------------------------------------------------------------

    [Fact]
    public void ResetIssued_decodes_domain_and_raw_reset_state()
    {
        var report = Ok<ResetIssued>(Decode(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, WireModel.ResetIssued(9, 5, 0x8000_0123)));
        Assert.Equal(ScmiProtocolId.Reset, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(9u, report.AgentId);
        Assert.Equal(5u, report.DomainId);
        Assert.Equal(5u, report.Source);
        Assert.Equal(0x8000_0123u, report.ResetState);
    }

    // ---- Powercap ---------------------------------------------------------------------------------

    [Fact]
    public void PowercapCapChanged_decodes_cap_and_pai()
    {
        var report = Ok<PowercapCapChanged>(Decode(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, WireModel.PowercapCap(1, 2, 45_000, 250)));
        Assert.Equal(ScmiProtocolId.Powercap, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(1u, report.AgentId);
        Assert.Equal(2u, report.DomainId);
        Assert.Equal(2u, report.Source);
        Assert.Equal(45_000u, report.PowerCap);
        Assert.Equal(250u, report.Pai);
    }

    [Fact]
    public void PowercapMeasurementsChanged_decodes_power()
    {
        var report = Ok<PowercapMeasurementsChanged>(Decode(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, WireModel.PowercapMeasurements(4, 3, 0xDEAD_BEEF)));
        Assert.Equal(ScmiProtocolId.Powercap, report.Protocol);
        Assert.Equal(1, report.Event);
        Assert.Equal(4u, report.AgentId);
        Assert.Equal(3u, report.DomainId);
        Assert.Equal(3u, report.Source);
        Assert.Equal(0xDEAD_BEEFu, report.Power);
    }

    [Fact]
    public void The_header_token_and_reserved_bits_do_not_matter_for_a_notification()
    {
        var header = WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, token: 0x3FF, reserved: 0xF);
        var report = Ok<PerfLevelChanged>(TestPlatforms.Decoder.Decode(header, WireModel.PerfLevel(1, 2, 3), Timestamp));
        Assert.Equal(2u, report.DomainId);
        Assert.Equal(3u, report.PerformanceLevel);
    }
}
