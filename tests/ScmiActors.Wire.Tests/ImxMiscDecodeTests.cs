using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Wire.Tests.Decoding;

namespace ScmiActors.Wire.Tests;

/// <summary>The NXP i.MX MISC vendor protocol (0x84): control events with dense sources.</summary>
public class ImxMiscDecodeTests
{
    // Lines 6 and 7 of /work/shared/peers/imx-sm/notifications-a.txt (imx-sm simu, agent AP-NS):
    // MISC_CONTROL_EVENT ctrl 0x0000 flags 1, then ctrl 0x8001 flags 1. The tests do not read the
    // shared folder, so the two lines are copied here.
    private const string FirmwareLine6 = "00161300 0000000001000000";
    private const string FirmwareLine7 = "001a1300 0180000001000000";

    private static DecodeResult DecodeLine(string line)
    {
        var parts = line.Split(' ');
        return TestPlatforms.Decoder.Decode(Convert.ToUInt32(parts[0], 16), Convert.FromHexString(parts[1]), Timestamp);
    }

    [Fact]
    public void The_two_misc_events_the_firmware_sent_decode()
    {
        var device = Ok<ImxMiscControlEvent>(DecodeLine(FirmwareLine6));
        Assert.Equal((ImxMisc.ProtocolId, ImxMisc.Events.Control, 0u, 0u, 1u, false, 0u),
            (device.Protocol, device.Event, device.ControlId, device.Source, device.Flags, device.IsBoardControl, device.AgentId));

        // Board control 1 comes after the platform's 2 device controls.
        var board = Ok<ImxMiscControlEvent>(DecodeLine(FirmwareLine7));
        Assert.Equal((0x8001u, 3u, 1u, true), (board.ControlId, board.Source, board.Flags, board.IsBoardControl));
    }

    [Theory]
    [InlineData(1u, 1u)]
    [InlineData(0x8000u, 2u)]
    [InlineData(0x8003u, 5u)]
    public void Device_controls_come_first_then_board_controls(uint controlId, uint source)
    {
        var report = Ok<ImxMiscControlEvent>(Decode(ImxMisc.ProtocolId, ImxMisc.Events.Control, Payload(controlId, 7)));
        Assert.Equal(source, report.Source);
        Assert.Equal(7u, report.Flags);
        Assert.Equal(controlId, ImxMisc.ControlIdOf(source, TestPlatforms.Protocol(ImxMisc.ProtocolId)));
    }

    [Theory]
    [InlineData(2u)]       // device controls are 0..1
    [InlineData(0x7FFFu)]
    [InlineData(0x8004u)]  // board controls are 0x8000..0x8003
    [InlineData(0xFFFF_FFFFu)]
    public void A_control_the_platform_lacks_is_out_of_range(uint controlId)
    {
        Rejected(Decode(ImxMisc.ProtocolId, ImxMisc.Events.Control, Payload(controlId, 1)), DecodeError.SourceOutOfRange,
            "source_out_of_range", ImxMisc.ControlEvent, "6 sources");
    }

    [Fact]
    public void The_event_is_exactly_8_bytes()
    {
        Rejected(Decode(ImxMisc.ProtocolId, ImxMisc.Events.Control, new byte[7]), DecodeError.PayloadTooShort, "payload_too_short", ImxMisc.ControlEvent, "8");
        Rejected(Decode(ImxMisc.ProtocolId, ImxMisc.Events.Control, new byte[9]), DecodeError.PayloadTooLong, "payload_too_long", ImxMisc.ControlEvent, "8");
    }

    [Fact]
    public void Sources_and_attributes_follow_the_firmware_layout()
    {
        var evt = ImxMisc.Descriptor.FindEvent(ImxMisc.Events.Control)!;
        var protocol = TestPlatforms.Protocol(ImxMisc.ProtocolId);
        Assert.Equal(6u, evt.SourceCount(protocol));
        Assert.Equal("imx-misc", ImxMisc.Descriptor.Name);
        Assert.Equal(ImxMisc.DeviceControlsKey, ImxMisc.Descriptor.SourceCountKey);
        // imx-sm answered 0x04060002: 4 board controls (31:24), 6 reset reasons (23:16), 2 device controls (15:0).
        Assert.Equal(2u, ImxMisc.Descriptor.SourceCountFromAttributes(0x0406_0002));
        var board = Assert.Single(ImxMisc.Descriptor.ExtraCounts);
        Assert.Equal((ImxMisc.BoardControlsKey, 0u, 4u), (board.Key, board.Default, board.FromAttributes(0x0406_0002)));
    }

    [Fact]
    public void Notify_names_the_raw_control_id()
    {
        var evt = ImxMisc.Descriptor.FindEvent(ImxMisc.Events.Control)!;
        var protocol = TestPlatforms.Protocol(ImxMisc.ProtocolId);
        var on = evt.EncodeNotify(3, true, protocol);
        Assert.Equal((ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify), (on.ProtocolId, on.MessageId));
        Assert.Equal(Convert.FromHexString("0180000001000000"), on.Payload); // as the lab agent sent it (scenario-a line 100)
        Assert.Equal(Convert.FromHexString("0000000000000000"), evt.EncodeNotify(0, false, protocol).Payload);
        Assert.Throws<ArgumentOutOfRangeException>(() => evt.EncodeNotify(6, true, protocol));
        Assert.Null(evt.Group);
    }

    private static byte[] Payload(uint controlId, uint flags) =>
        [.. BitConverter.GetBytes(controlId), .. BitConverter.GetBytes(flags)];
}
