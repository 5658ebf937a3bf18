using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Wire.Tests.Decoding;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>Every <see cref="DecodeError"/> reason, reached through <see cref="PlatformDecoder.Decode"/>.</summary>
public class DecodeErrorTests
{
    private static readonly PlatformDecoder Decoder = TestPlatforms.Decoder;
    private static readonly byte[] PerfLevel = WireModel.PerfLevel(1, 2, 3);

    [Fact]
    public void Payload_too_short()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), PerfLevel[..11], Timestamp),
            DecodeError.PayloadTooShort, "payload_too_short", "PERFORMANCE_LEVEL_CHANGED", "12", "11");
    }

    [Fact]
    public void Payload_too_long()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), WireModel.Resize(PerfLevel, 13), Timestamp),
            DecodeError.PayloadTooLong, "payload_too_long", "PERFORMANCE_LEVEL_CHANGED", "12", "13");
    }

    [Theory]
    [InlineData((byte)0x20)]
    [InlineData((byte)0x00)]
    [InlineData((byte)0x19)] // pinctrl: in the catalog but not on this platform
    [InlineData((byte)0x80)] // a vendor id with no descriptor
    [InlineData((byte)0xFF)]
    public void Unknown_protocol(byte protocol)
    {
        Rejected(Decoder.Decode(WireModel.Header(protocol, 0), PerfLevel, Timestamp),
            DecodeError.UnknownProtocol, "unknown_protocol", $"0x{protocol:X2}");
    }

    [Fact]
    public void A_standard_protocol_the_platform_does_not_list_is_unknown()
    {
        var minimal = new PlatformDecoder(TestPlatforms.Minimal, ProtocolCatalogs.Default);
        Rejected(minimal.Decode(WireModel.Header(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged), WireModel.ClockRate(0, 0, 1), Timestamp),
            DecodeError.UnknownProtocol, "unknown_protocol", "0x14");
        Assert.True(minimal.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), PerfLevel, Timestamp).IsSuccess);
    }

    [Theory]
    [InlineData(ScmiProtocolId.Perf, (byte)2)]
    [InlineData(ScmiProtocolId.Base, (byte)1)]
    [InlineData(ScmiProtocolId.Power, (byte)1)] // POWER_STATE_CHANGE_REQUESTED (SCMI v2.0 only) is not decoded, like Linux
    [InlineData(ScmiProtocolId.Sensor, (byte)0xFF)]
    [InlineData(ScmiProtocolId.Voltage, (byte)0)] // voltage has no notifications at all
    [InlineData(ImxBbm.ProtocolId, (byte)2)]
    public void Unknown_event(byte protocol, byte eventId)
    {
        Rejected(Decoder.Decode(WireModel.Header(protocol, eventId), PerfLevel, Timestamp),
            DecodeError.UnknownEvent, "unknown_event", $"0x{protocol:X2}", $"id {eventId}");
    }

    [Fact]
    public void Source_out_of_range()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), WireModel.PerfLevel(1, 4, 3), Timestamp),
            DecodeError.SourceOutOfRange, "source_out_of_range", "PERFORMANCE_LEVEL_CHANGED", "source 4", "4 sources");
    }

    [Fact]
    public void Type_0_is_not_a_notification()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, type: 0), PerfLevel, Timestamp),
            DecodeError.NotANotification, "not_a_notification", "type 0", "command response");
    }

    [Fact]
    public void Type_2_is_not_a_notification()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, type: 2), PerfLevel, Timestamp),
            DecodeError.NotANotification, "not_a_notification", "type 2", "delayed response");
    }

    [Fact]
    public void Type_1_is_reserved()
    {
        Rejected(Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, type: 1), PerfLevel, Timestamp),
            DecodeError.ReservedMessageType, "reserved_message_type", "type 1");
    }

    [Theory]
    [InlineData(0u, DecodeError.NotANotification)]
    [InlineData(1u, DecodeError.ReservedMessageType)]
    [InlineData(2u, DecodeError.NotANotification)]
    public void The_message_type_is_checked_before_the_protocol(uint type, DecodeError expected)
    {
        // Protocol 0x20 is unknown, but a non-notification never reaches the protocol lookup.
        var result = Decoder.Decode(WireModel.Header(0x20, 0, type: type), [], Timestamp);
        Assert.Equal(expected, result.Error);
    }

    [Fact]
    public void Every_error_has_a_distinct_stable_code()
    {
        var codes = Enum.GetValues<DecodeError>().ToDictionary(e => e, e => e.ToCode());
        Assert.Equal("none", codes[DecodeError.None]);
        Assert.Equal("payload_too_short", codes[DecodeError.PayloadTooShort]);
        Assert.Equal("payload_too_long", codes[DecodeError.PayloadTooLong]);
        Assert.Equal("unknown_protocol", codes[DecodeError.UnknownProtocol]);
        Assert.Equal("unknown_event", codes[DecodeError.UnknownEvent]);
        Assert.Equal("source_out_of_range", codes[DecodeError.SourceOutOfRange]);
        Assert.Equal("not_a_notification", codes[DecodeError.NotANotification]);
        Assert.Equal("reserved_message_type", codes[DecodeError.ReservedMessageType]);
        Assert.Equal(codes.Count, codes.Values.Distinct().Count());
    }

    [Fact]
    public void A_successful_result_says_ok()
    {
        var result = Decoder.Decode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), PerfLevel, Timestamp);
        Assert.True(result.IsSuccess);
        Assert.Equal("none", result.Code);
        Assert.Equal("ok", result.Detail);
        Assert.Equal(result.Report!.ToString(), result.ToString());
    }
}
