using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Wire.Tests.Decoding;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>The NXP i.MX BBM vendor protocol (0x81), plugged in through the descriptor interface.</summary>
public class ImxBbmDecodeTests
{
    [Theory]
    [InlineData(0x0300_0005u, (byte)3, 5u, true, false, true)]
    [InlineData(0xFF00_0007u, (byte)255, 7u, true, true, true)]
    [InlineData(0x0000_0002u, (byte)0, 2u, false, true, false)]
    [InlineData(0x01FF_FFF8u, (byte)1, 0u, false, false, false)] // bits 23:3 are not part of the mask
    [InlineData(0x0000_0000u, (byte)0, 0u, false, false, false)]
    public void Rtc_source_is_the_event_mask_and_rtc_id_is_bits_31_to_24(uint flags, byte rtcId, uint source, bool alarm, bool rollover, bool updated)
    {
        var report = Ok<ImxBbmRtcEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(flags)));
        Assert.Equal(ImxBbm.ProtocolId, report.Protocol);
        Assert.Equal(0, report.Event);
        Assert.Equal(0u, report.AgentId);
        Assert.Equal(flags, report.Flags);
        Assert.Equal(rtcId, report.RtcId);
        Assert.Equal(source, report.Source);
        Assert.Equal(source, report.EventMask);
        Assert.Equal(alarm, report.Alarm);
        Assert.Equal(rollover, report.Rollover);
        Assert.Equal(updated, report.Updated);
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
    public void Rtc_has_eight_sources_and_button_one()
    {
        var rtc = ImxBbm.Descriptor.FindEvent(0)!;
        var button = ImxBbm.Descriptor.FindEvent(1)!;
        var description = TestPlatforms.Protocol(ImxBbm.ProtocolId);
        Assert.Equal(8u, rtc.SourceCount(description));
        Assert.Equal(1u, button.SourceCount(description));
        Assert.Equal(ImxBbm.RtcEvent, rtc.Name);
        Assert.Equal(ImxBbm.ButtonEvent, button.Name);
        Assert.Equal("imx-bbm", ImxBbm.Descriptor.Name);
    }

    [Fact]
    public void Without_the_vendor_plug_in_the_platform_cannot_be_built()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PlatformDecoder(TestPlatforms.Full, ProtocolCatalogs.Standard));
        Assert.Contains("0x81", ex.Message, StringComparison.Ordinal);
    }
}
