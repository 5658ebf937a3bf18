using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

namespace ScmiActors.Wire.Vendor;

/// <summary>
/// NXP i.MX System Manager MISC, vendor protocol 0x84: MISC_CONTROL_EVENT for the device and board
/// controls an agent enabled with MISC_CONTROL_NOTIFY. The event payload is <c>ctrl_id, flags</c>
/// (8 bytes, no agent id, as Linux's imx-sm-misc reads it and imx-sm sends it).
/// <para>Control ids: device controls are <c>0..D-1</c>, board controls <c>0x8000 | i</c> for
/// <c>i</c> in <c>0..B-1</c>. PROTOCOL_ATTRIBUTES: B in bits 31:24, reset reasons in 23:16, D in
/// 15:0 (imx-sm answers 0x04060002). Sources are dense: device control <c>i</c> is source <c>i</c>,
/// board control <c>0x8000 | i</c> is source <c>D + i</c>, D + B sources in all. Linux uses the raw
/// id over a 0..0xFFFF space instead; here an all-sources subscription enables exactly the controls
/// that exist, and a source out of range is rejected like any other. The protocol's source count is
/// D (description key <c>device-controls</c>); B is the extra count <c>board-controls</c> (default 0).</para>
/// <para>MISC_CONTROL_NOTIFY (0x8): <c>ctrl_id, flags</c>; enable sends flags 1 (the one
/// notification the imx-sm controls raise), disable 0.</para>
/// </summary>
public static class ImxMisc
{
    public const byte ProtocolId = 0x84;

    /// <summary>The i.MX MISC command message ids this library sends or emulates.</summary>
    public static class Commands
    {
        /// <summary>MISC_CONTROL_NOTIFY: ctrl_id, flags; enables <see cref="Events.Control"/> for one control.</summary>
        public const byte ControlNotify = 0x8;
    }

    /// <summary>The i.MX MISC notification (event) ids.</summary>
    public static class Events
    {
        /// <summary>The control event (<see cref="ControlEvent"/>).</summary>
        public const byte Control = 0;
    }

    public const string ControlEvent = "MISC_CONTROL_EVENT";

    /// <summary>Description key of the number of device controls (the protocol's source count).</summary>
    public const string DeviceControlsKey = "device-controls";

    /// <summary>Description key of the number of board controls.</summary>
    public const string BoardControlsKey = "board-controls";

    /// <summary>Board control ids start here (bit 15).</summary>
    public const uint BoardControlBase = 0x8000;

    public static uint DeviceControls(PlatformProtocol p) => p.SourceCount;

    public static uint BoardControls(PlatformProtocol p) => p.CountOf(BoardControlsKey);

    /// <summary>The dense source of a control id, or null when the platform has no such control.</summary>
    public static uint? SourceOf(uint controlId, PlatformProtocol p)
    {
        if (controlId < BoardControlBase) return controlId < DeviceControls(p) ? controlId : null;
        var index = controlId - BoardControlBase;
        return index < BoardControls(p) ? DeviceControls(p) + index : null;
    }

    /// <summary>The control id of a dense source (the source must be in range).</summary>
    public static uint ControlIdOf(uint source, PlatformProtocol p)
    {
        var device = DeviceControls(p);
        if (source < device) return source;
        if (source - device >= BoardControls(p))
            throw new ArgumentOutOfRangeException(nameof(source), $"source {source} is not a control (the platform has {device} device and {BoardControls(p)} board controls)");
        return BoardControlBase | (source - device);
    }

    public static ProtocolDescriptor Descriptor { get; } = new(ProtocolId, "imx-misc",
    [
        new EventDescriptor(ProtocolId, Events.Control, ControlEvent, 8, Commands.ControlNotify, DecodeControl, NotifyControl,
            sourceCount: p => DeviceControls(p) + BoardControls(p)),
    ], sourceCountKey: DeviceControlsKey, sourceCountFromAttributes: a => a & 0xFFFF,
       extraCounts: [new ExtraCount(BoardControlsKey, 0, a => a >> 24)]);

    private static DecodeResult DecodeControl(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 8, ControlEvent, out var bad)) return bad;
        var controlId = U32(p, 0);
        var count = DeviceControls(c.Protocol) + BoardControls(c.Protocol);
        if (SourceOf(controlId, c.Protocol) is not { } source)
            return DecodeResult.SourceOutOfRange(ControlEvent, controlId, count);
        return DecodeResult.Ok(new ImxMiscControlEvent(c.PlatformId, c.TimestampNs, source, controlId, U32(p, 4)));
    }

    private static int NotifyControl(uint source, bool enable, PlatformProtocol protocol, Span<byte> destination)
    {
        WriteU32(destination, 0, ControlIdOf(source, protocol));
        WriteU32(destination, 4, enable ? 1u : 0u);
        return 8;
    }
}

/// <summary>
/// An i.MX MISC control event: the raw <see cref="ControlId"/> (board controls have bit 15 set) and
/// the firmware's <see cref="Flags"/>. <see cref="ScmiReport.Source"/> is the dense source of
/// <see cref="ImxMisc"/>: device controls first, then board controls.
/// </summary>
public sealed record ImxMiscControlEvent(string PlatformId, long TimestampNs, uint Source, uint ControlId, uint Flags)
    : ScmiReport(PlatformId, ImxMisc.ProtocolId, ImxMisc.Events.Control, Source, TimestampNs, 0)
{
    public bool IsBoardControl => (ControlId & ImxMisc.BoardControlBase) != 0;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteNumber("ctrl_id", ControlId);
        writer.WriteNumber("flags", Flags);
    }
}
