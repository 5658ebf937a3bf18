using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>
/// The emulator's i.MX protocols against what the imx-sm firmware did in the lab
/// (peers/imx-sm/README.md, scenario A): BBM_RTC_NOTIFY replaces, two RTCs, RTC events carry the
/// rtc id and one event bit, MISC controls with board ids at 0x8000.
/// </summary>
public sealed class ImxFirmwareSpec
{
    private static readonly string Hocon = EmulatorPlatforms.EmuHocon.Replace(
        """imx-bbm  { version = "1.0" }""",
        """
        imx-bbm  { version = "1.0", rtcs = 2 }
            imx-misc { version = "1.1", device-controls = 2, board-controls = 4 }
        """, StringComparison.Ordinal);

    private static RawPlatform Platform(Emulator.EmulatorScenario? scenario = null) =>
        new(scenario ?? EmulatorPlatforms.Quiet with { BbmRtcPerSecond = 0, BbmButtonPerSecond = 0, MiscControlPerSecond = 0 },
            EmulatorPlatforms.Emu(Hocon));

    private static bool Rtc(RawPlatform p, uint rtc, ImxBbm.RtcKind kind) =>
        p.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, ImxBbm.RtcSource(rtc, kind));

    [Fact]
    public void Bbm_rtc_notify_sets_the_three_enables_of_its_rtc_and_leaves_the_other_rtc_alone()
    {
        var p = Platform();
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 0, 1).Status); // alarm
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 1, 7).Status); // RTC 1: all three
        // The firmware's scenario A lines 120-130: a second call with only "updated" turns the alarm off.
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 0, 4).Status);
        Assert.False(Rtc(p, 0, ImxBbm.RtcKind.Alarm));
        Assert.True(Rtc(p, 0, ImxBbm.RtcKind.Updated));
        Assert.True(Rtc(p, 1, ImxBbm.RtcKind.Alarm));
        Assert.True(Rtc(p, 1, ImxBbm.RtcKind.Rollover));

        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 1, 0).Status); // disable all of RTC 1
        Assert.False(Rtc(p, 1, ImxBbm.RtcKind.Alarm));
        Assert.True(Rtc(p, 0, ImxBbm.RtcKind.Updated));
        Assert.Equal(ScmiStatus.NotFound, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 2, 1).Status);
    }

    [Fact]
    public void Bbm_protocol_attributes_offer_the_described_rtcs_in_bits_23_16()
    {
        var p = Platform();
        Assert.Equal(RawPlatform.Words(0x0002_0000), p.Command(ImxBbm.ProtocolId, ScmiCommands.Common.ProtocolAttributes).Values);
    }

    [Fact]
    public void Rtc_events_carry_the_rtc_id_in_bits_31_24_and_one_event_bit()
    {
        var p = Platform(EmulatorPlatforms.Quiet with { BbmRtcPerSecond = 2, BbmButtonPerSecond = 0, MiscControlPerSecond = 0 });
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 0, 7).Status);
        Assert.Equal(ScmiStatus.Success, p.Command(ImxBbm.ProtocolId, ImxBbm.Commands.RtcNotify, 1, 7).Status);
        p.Emulator.Step(1_000);
        var flags = p.Notifications.Where(m => m.Protocol == ImxBbm.ProtocolId).Select(m => m.Word(0)).ToHashSet();
        Assert.Equal(new uint[] { 0x0000_0001, 0x0000_0002, 0x0000_0004, 0x0100_0001, 0x0100_0002, 0x0100_0004 }, flags.Order());
    }

    [Fact]
    public void Misc_control_notify_per_control_with_board_ids_at_0x8000()
    {
        var p = Platform();
        // imx-sm answers 0x04060002; the emulator models no reset reasons, so bits 23:16 are 0.
        Assert.Equal(RawPlatform.Words(0x0400_0002), p.Command(ImxMisc.ProtocolId, ScmiCommands.Common.ProtocolAttributes).Values);
        Assert.Equal(ScmiStatus.Success, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0x8001, 1).Status);
        Assert.True(p.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 3));
        Assert.False(p.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 0));
        Assert.Equal(ScmiStatus.NotFound, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 2, 1).Status);
        Assert.Equal(ScmiStatus.NotFound, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0x8004, 1).Status);
        Assert.Equal(ScmiStatus.ProtocolError, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0x8001).Status);
        Assert.Equal(ScmiStatus.Success, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0x8001, 0).Status);
        Assert.False(p.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 3));
    }

    [Fact]
    public void Misc_control_events_come_at_the_scenario_rate_for_enabled_controls_only()
    {
        var p = Platform(EmulatorPlatforms.Quiet with { BbmRtcPerSecond = 0, BbmButtonPerSecond = 0, MiscControlPerSecond = 1 });
        Assert.Equal(ScmiStatus.Success, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0, 1).Status);
        Assert.Equal(ScmiStatus.Success, p.Command(ImxMisc.ProtocolId, ImxMisc.Commands.ControlNotify, 0x8001, 1).Status);
        p.Emulator.Step(1_000); // 10 s of 10 ms ticks
        var misc = p.Notifications.Where(m => m.Protocol == ImxMisc.ProtocolId).ToList();
        Assert.All(misc, m => Assert.Equal(8, m.Payload.Length));
        Assert.All(misc, m => Assert.Equal(1u, m.Word(1)));
        Assert.Equal(new uint[] { 0, 0x8001 }, misc.Select(m => m.Word(0)).ToHashSet().Order());
        Assert.InRange(misc.Count(m => m.Word(0) == 0), 9, 11);
    }
}
