using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Wire.Tests.Decoding;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>The NXP i.MX BBM vendor protocol (0x81), plugged in through the descriptor interface.</summary>
public class ImxBbmDecodeTests
{
    // Source = rtc_id * 3 + kind (0 alarm, 1 rollover, 2 updated); the test platform has 2 RTCs.
    [Theory]
    [InlineData(0x0000_0001u, (byte)0, 0u, true, false, false)]
    [InlineData(0x0000_0002u, (byte)0, 1u, false, true, false)]
    [InlineData(0x0000_0004u, (byte)0, 2u, false, false, true)]
    [InlineData(0x0100_0001u, (byte)1, 3u, true, false, false)]
    [InlineData(0x0100_0002u, (byte)1, 4u, false, true, false)]
    [InlineData(0x0100_0004u, (byte)1, 5u, false, false, true)]
    [InlineData(0x0100_0006u, (byte)1, 4u, false, true, true)]  // several bits: routed by the lowest, all kept
    [InlineData(0x0000_FFF9u, (byte)0, 0u, true, false, false)] // bits 23:3 are not event bits
    public void Rtc_source_is_rtc_id_times_three_plus_the_kind(uint flags, byte rtcId, uint source, bool alarm, bool rollover, bool updated)
    {
        var report = Ok<ImxBbmRtcEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(flags)));
        Assert.Equal(ImxBbm.ProtocolId, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(0u, report.AgentId);
        Assert.Equal(flags, report.Flags);
        Assert.Equal(rtcId, report.RtcId);
        Assert.Equal(source, report.Source);
        Assert.Equal(flags & 7, report.EventMask);
        Assert.Equal(alarm, report.Alarm);
        Assert.Equal(rollover, report.Rollover);
        Assert.Equal(updated, report.Updated);
    }

    [Fact]
    public void Rtc_1_updated_from_the_firmware_is_an_rtc_1_source()
    {
        // imx-sm sends one event bit per message with the rtc id in bits 31:24 (peers/imx-sm quirk 6).
        var report = Ok<ImxBbmRtcEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(0x0100_0004)));
        Assert.Equal(ImxBbm.RtcSource(1, ImxBbm.RtcKind.Updated), report.Source);
        Assert.Equal(ImxBbm.RtcKind.Updated, report.Kind);
        Assert.NotEqual(Ok<ImxBbmRtcEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(0x0000_0004))).Source, report.Source);
    }

    [Theory]
    [InlineData(0x0200_0001u, "source 6")] // RTC 2 does not exist on a platform with 2 RTCs
    [InlineData(0xFF00_0004u, "source 767")]
    [InlineData(0x0000_0000u, "out of range")] // no event bit: no kind anybody can subscribe to
    [InlineData(0x0100_0000u, "out of range")]
    public void Rtc_events_of_an_rtc_the_platform_lacks_or_without_an_event_bit_are_out_of_range(uint flags, string detail)
    {
        Rejected(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(flags)), DecodeError.SourceOutOfRange, "source_out_of_range",
            ImxBbm.RtcEvent, detail, "6 sources");
    }

    [Fact]
    public void Button_has_source_0_and_the_raw_flags()
    {
        var report = Ok<ImxBbmButtonEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Button, WireModel.Bbm(0x8000_0001)));
        Assert.Equal(ImxBbm.ProtocolId, report.Protocol);
        Assert.Equal(1, report.Event);
        Assert.Equal(0u, report.Source);
        Assert.Equal(0u, report.AgentId);
        Assert.Equal(0x8000_0001u, report.Flags);
    }

    [Theory]
    [InlineData((byte)0, ImxBbm.RtcEvent)]
    [InlineData((byte)1, ImxBbm.ButtonEvent)]
    public void Both_events_are_exactly_4_bytes(byte eventId, string name)
    {
        Rejected(Decode(ImxBbm.ProtocolId, eventId, new byte[3]), DecodeError.PayloadTooShort, "payload_too_short", name, "4", "3");
        Rejected(Decode(ImxBbm.ProtocolId, eventId, new byte[5]), DecodeError.PayloadTooLong, "payload_too_long", name, "4", "5");
    }

    [Fact]
    public void Rtc_has_three_sources_per_rtc_and_button_one()
    {
        var rtc = ImxBbm.Descriptor.FindEvent(0)!;
        var button = ImxBbm.Descriptor.FindEvent(1)!;
        var description = TestPlatforms.Protocol(ImxBbm.ProtocolId);
        Assert.Equal(6u, rtc.SourceCount(description));
        Assert.Equal(3u, rtc.SourceCount(description with { SourceCount = 1 }));
        Assert.Equal(1u, button.SourceCount(description));
        Assert.Equal(ImxBbm.RtcEvent, rtc.Name);
        Assert.Equal(ImxBbm.ButtonEvent, button.Name);
        Assert.Equal("imx-bbm", ImxBbm.Descriptor.Name);
        Assert.Equal("rtcs", ImxBbm.Descriptor.SourceCountKey);
        Assert.Equal(1u, ImxBbm.Descriptor.SourceCountDefault);
    }

    [Fact]
    public void Protocol_attributes_give_the_rtcs_in_bits_23_to_16()
    {
        // imx-sm answered 0x00020004: 2 RTCs, 4 GPR words (peers/imx-sm scenario-a line 56).
        Assert.Equal(2u, ImxBbm.Descriptor.SourceCountFromAttributes(0x0002_0004));
    }

    [Fact]
    public void Rtc_notify_carries_the_union_of_the_group_and_the_group_is_the_rtc()
    {
        var rtc = ImxBbm.Descriptor.FindEvent(ImxBbm.Events.Rtc)!;
        var description = TestPlatforms.Protocol(ImxBbm.ProtocolId);
        Assert.NotNull(rtc.Group);
        Assert.Equal(0u, rtc.Group!.GroupOf(2));
        Assert.Equal(1u, rtc.Group.GroupOf(3));
        Assert.Equal(1u, rtc.Group.GroupOf(5));

        var both = rtc.EncodeGroupNotify(1, [3, 5], description); // RTC 1 alarm and updated
        Assert.Equal((ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify), (both.ProtocolId, both.MessageId));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 5, 0, 0, 0 }, both.Payload);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, rtc.EncodeGroupNotify(0, [], description).Payload);
        Assert.Throws<ArgumentException>(() => rtc.EncodeGroupNotify(0, [3], description)); // RTC 1's source in RTC 0's group
        Assert.Null(ImxBbm.Descriptor.FindEvent(ImxBbm.Events.Button)!.Group);
    }

    [Fact]
    public void Without_the_vendor_plug_in_the_platform_cannot_be_built()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PlatformDecoder(TestPlatforms.Full, ProtocolCatalogs.Standard));
        Assert.Contains("0x81", ex.Message, StringComparison.Ordinal);
    }
}
