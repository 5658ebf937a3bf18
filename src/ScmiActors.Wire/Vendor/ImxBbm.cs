using System.Numerics;
using System.Text.Json;
using ScmiActors.Wire.Protocols;
using static ScmiActors.Wire.Protocols.Payload;

namespace ScmiActors.Wire.Vendor;

/// <summary>
/// NXP i.MX System Manager BBM (battery-backed module), vendor protocol 0x81, plugged in through
/// the same descriptor interface as the standard protocols. Both events carry one <c>flags</c>
/// word and no agent id. Button: source 0.
/// <para>RTC: the flags carry the rtc id in bits 31:24 and the event bits in 2:0 (alarm, rollover,
/// updated); the firmware sends one event bit per message. The source is <c>rtc_id * 3 + kind</c>
/// (<see cref="RtcKind"/>), so RTC 1 ("pmic" on imx-sm) has sources 3..5 of its own, and the
/// protocol's source count is the number of RTCs (PROTOCOL_ATTRIBUTES bits 23:16, description key
/// <c>rtcs</c>, default 1), the event's 3 per RTC. Until issue 12 the source was the Linux-style
/// event mask (0..7) of RTC 0 only.</para>
/// <para>BBM_RTC_NOTIFY <em>sets</em> all three enables of one RTC from each call (imx-sm, recorded),
/// so the RTC event has a <see cref="NotifyGroup"/>: one group per RTC, and each request carries the
/// union of the kinds still subscribed on that RTC.</para>
/// </summary>
public static class ImxBbm
{
    public const byte ProtocolId = 0x81;

    /// <summary>The i.MX BBM command message ids this library sends or emulates.</summary>
    public static class Commands
    {
        /// <summary>BBM_RTC_NOTIFY: rtc_id, flags (bit0 alarm, bit1 rollover, bit2 updated), replacing the RTC's three enables; enables <see cref="Events.Rtc"/>.</summary>
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

    /// <summary>The three RTC event kinds; the kind is also the flag's bit number.</summary>
    public enum RtcKind : uint
    {
        Alarm = 0,
        Rollover = 1,
        Updated = 2,
    }

    public const string RtcEvent = "BBM_RTC_EVENT";
    public const string ButtonEvent = "BBM_BUTTON_EVENT";

    /// <summary>The description key of the number of RTCs.</summary>
    public const string RtcsKey = "rtcs";

    /// <summary>RTC event kinds per RTC: sources per RTC.</summary>
    public const uint KindsPerRtc = 3;

    /// <summary>The source of (rtc, kind).</summary>
    public static uint RtcSource(uint rtcId, RtcKind kind) => rtcId * KindsPerRtc + (uint)kind;

    /// <summary>The number of RTCs in a BBM PROTOCOL_ATTRIBUTES answer (bits 23:16; 15:0 are GPR words).</summary>
    public static uint RtcsFromAttributes(uint attributes) => (attributes >> 16) & 0xFF;

    public static ProtocolDescriptor Descriptor { get; } = new(ProtocolId, "imx-bbm",
    [
        new EventDescriptor(ProtocolId, Events.Rtc, RtcEvent, 4, Commands.RtcNotify, DecodeRtc, NotifyRtcKind,
            sourceCount: p => p.SourceCount * KindsPerRtc,
            notifyGroup: new NotifyGroup(source => source / KindsPerRtc, NotifyRtc)),
        new EventDescriptor(ProtocolId, Events.Button, ButtonEvent, 4, Commands.ButtonNotify, DecodeButton, NotifyGlobal, fixedSourceCount: 1),
    ], sourceCountKey: RtcsKey, sourceCountDefault: 1, sourceCountFromAttributes: RtcsFromAttributes);

    private static DecodeResult DecodeRtc(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 4, RtcEvent, out var bad)) return bad;
        var flags = U32(p, 0);
        var count = c.Protocol.SourceCount * KindsPerRtc;
        // No event bit names no kind: nobody can have subscribed to it (the firmware never sends one).
        var source = (flags & 0x7) == 0 ? uint.MaxValue : ImxBbmRtcEvent.SourceOf(flags);
        if (!InRange(source, count, RtcEvent, out bad)) return bad;
        return DecodeResult.Ok(new ImxBbmRtcEvent(c.PlatformId, c.TimestampNs, flags));
    }

    private static DecodeResult DecodeButton(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 4, ButtonEvent, out var bad)) return bad;
        return DecodeResult.Ok(new ImxBbmButtonEvent(c.PlatformId, c.TimestampNs, U32(p, 0)));
    }

    /// <summary><c>rtc_id, flags</c> with every kind of the group that should stay on: the firmware replaces all three.</summary>
    private static int NotifyRtc(uint rtcId, IReadOnlyCollection<uint> sourcesOn, PlatformProtocol _, Span<byte> destination)
    {
        uint flags = 0;
        foreach (var source in sourcesOn)
        {
            if (source / KindsPerRtc != rtcId) throw new ArgumentException($"source {source} is not an RTC {rtcId} source");
            flags |= 1u << (int)(source % KindsPerRtc);
        }
        WriteU32(destination, 0, rtcId);
        WriteU32(destination, 4, flags);
        return 8;
    }

    /// <summary>One kind alone (what a per-source NOTIFY would send); the dispatcher sends the group's union instead.</summary>
    private static int NotifyRtcKind(uint source, bool enable, PlatformProtocol protocol, Span<byte> destination) =>
        NotifyRtc(source / KindsPerRtc, enable ? [source] : [], protocol, destination);
}

/// <summary>
/// An i.MX BBM RTC event. <see cref="ScmiReport.Source"/> is <c>rtc_id * 3 + kind</c> (see
/// <see cref="ImxBbm"/>): 0 alarm, 1 rollover, 2 updated of RTC 0, 3..5 those of RTC 1, and so on.
/// A report whose flags carry several event bits is routed by the lowest one and keeps all flags.
/// (Before issue 12 the source was the event mask of RTC 0.)
/// </summary>
public sealed record ImxBbmRtcEvent(string PlatformId, long TimestampNs, uint Flags)
    : ScmiReport(PlatformId, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceOf(Flags), TimestampNs, 0)
{
    public byte RtcId => (byte)(Flags >> 24);
    public uint EventMask => Flags & 0x7;
    public bool Alarm => (Flags & 1) != 0;
    public bool Rollover => (Flags & 2) != 0;
    public bool Updated => (Flags & 4) != 0;

    /// <summary>The kind the report is routed by: the lowest event bit (alarm when none is set).</summary>
    public ImxBbm.RtcKind Kind => (ImxBbm.RtcKind)((Flags & 0x7) == 0 ? 0 : BitOperations.TrailingZeroCount(Flags & 0x7));

    /// <summary><c>rtc_id * 3 + kind</c> of the lowest event bit.</summary>
    public static uint SourceOf(uint flags) =>
        ImxBbm.RtcSource(flags >> 24, (flags & 0x7) == 0 ? 0 : (ImxBbm.RtcKind)BitOperations.TrailingZeroCount(flags & 0x7));

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
