using System.Text.Json;
using ScmiActors.Wire.Protocols;
using static ScmiActors.Wire.Protocols.Payload;

namespace ScmiActors.Wire.Vendor;

/// <summary>
/// NXP i.MX System Manager BBM (battery-backed module), vendor protocol 0x81, plugged in through
/// the same descriptor interface as the standard protocols. Both events carry one <c>flags</c>
/// word and no agent id. RTC: rtc id in bits 31:24, event mask in bits 2:0 (alarm, rollover,
/// updated) and the mask is the source, as in Linux. Button: source 0.
/// </summary>
public static class ImxBbm
{
    public const byte ProtocolId = 0x81;

    /// <summary>The i.MX BBM command message ids this library sends or emulates.</summary>
    public static class Commands
    {
        /// <summary>BBM_RTC_NOTIFY: rtc_id, flags (bit0 alarm, bit1 rollover, bit2 updated); enables <see cref="Events.Rtc"/>.</summary>
        public const byte RtcNotify = 0xA;
        /// <summary>BBM_BUTTON_NOTIFY: flags (bit0); enables <see cref="Events.Button"/>.</summary>
        public const byte ButtonNotify = 0xB;
    }

    /// <summary>The i.MX BBM notification (event) ids.</summary>
    public static class Events
    {
        /// <summary>The RTC event (<see cref="RtcEvent"/>).</summary>
        public const byte Rtc = 0;
        /// <summary>The button event (<see cref="ButtonEvent"/>).</summary>
        public const byte Button = 1;
    }

    public const string RtcEvent = "BBM_RTC_EVENT";
    public const string ButtonEvent = "BBM_BUTTON_EVENT";

    /// <summary>The event mask is three bits wide, so RTC sources are 0..7.</summary>
    public const uint RtcSourceCount = 8;

    public static ProtocolDescriptor Descriptor { get; } = new(ProtocolId, "imx-bbm",
    [
        new EventDescriptor(ProtocolId, Events.Rtc, RtcEvent, 4, Commands.RtcNotify, DecodeRtc, NotifyRtc, fixedSourceCount: RtcSourceCount),
        new EventDescriptor(ProtocolId, Events.Button, ButtonEvent, 4, Commands.ButtonNotify, DecodeButton, NotifyGlobal, fixedSourceCount: 1),
    ]);

    private static DecodeResult DecodeRtc(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 4, RtcEvent, out var bad)) return bad;
        return DecodeResult.Ok(new ImxBbmRtcEvent(c.PlatformId, c.TimestampNs, U32(p, 0)));
    }

    private static DecodeResult DecodeButton(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 4, ButtonEvent, out var bad)) return bad;
        return DecodeResult.Ok(new ImxBbmButtonEvent(c.PlatformId, c.TimestampNs, U32(p, 0)));
    }

    /// <summary><c>rtc_id, flags</c>: RTC 0, the source's event bits when enabling, none when disabling.</summary>
    private static int NotifyRtc(uint source, bool enable, PlatformProtocol _, Span<byte> destination)
    {
        WriteU32(destination, 0, 0);
        WriteU32(destination, 4, enable ? source & 0x7 : 0);
        return 8;
    }
}

/// <summary>An i.MX BBM RTC event; <see cref="ScmiReport.Source"/> is the event mask.</summary>
public sealed record ImxBbmRtcEvent(string PlatformId, long TimestampNs, uint Flags)
    : ScmiReport(PlatformId, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Flags & 0x7, TimestampNs, 0)
{
    public byte RtcId => (byte)(Flags >> 24);
    public uint EventMask => Flags & 0x7;
    public bool Alarm => (Flags & 1) != 0;
    public bool Rollover => (Flags & 2) != 0;
    public bool Updated => (Flags & 4) != 0;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteNumber("flags", Flags);
        writer.WriteNumber("rtc_id", RtcId);
        writer.WriteNumber("event_mask", EventMask);
    }
}

/// <summary>An i.MX BBM button event.</summary>
public sealed record ImxBbmButtonEvent(string PlatformId, long TimestampNs, uint Flags)
    : ScmiReport(PlatformId, ImxBbm.ProtocolId, ImxBbm.Events.Button, 0, TimestampNs, 0)
{
    public override void WriteFields(Utf8JsonWriter writer) => writer.WriteNumber("flags", Flags);
}
