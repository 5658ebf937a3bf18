using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>What one protocol lost since the last look: each figure is a difference of counters.</summary>
internal readonly record struct ProtocolLosses(byte Protocol, long DroppedQueueFull, long DroppedRateLimited, long Rejected, long Malformed);

/// <summary>
/// The memory of the handle's rate-limited warnings: the gate counters and per-protocol stats seen at
/// the last look, so each look reports only what was lost since. Firmware that misbehaves a thousand
/// times a second gets one line per interval, not a thousand. Plain state; the handle logs.
/// </summary>
internal sealed class DropLog
{
    private readonly Dictionary<byte, ProtocolStats> _lastLogged = new();
    private long _lastUnknownProtocol;
    private long _lastReservedType;

    /// <summary>
    /// Messages that belong to no protocol (an unregistered protocol, the reserved message type) since the
    /// last look, or null if there were none. Either way the figures become the new baseline.
    /// </summary>
    public (long UnknownProtocol, long ReservedMessageType)? GateSince(long unknownProtocol, long reservedMessageType)
    {
        (long, long)? since = unknownProtocol > _lastUnknownProtocol || reservedMessageType > _lastReservedType
            ? (unknownProtocol - _lastUnknownProtocol, reservedMessageType - _lastReservedType)
            : null;
        _lastUnknownProtocol = unknownProtocol;
        _lastReservedType = reservedMessageType;
        return since;
    }

    /// <summary>
    /// What <paramref name="now"/>'s protocol lost since the last look, or null if nothing was lost — or if a
    /// counter went down, which means a new registration restarted them (its next look reports again).
    /// </summary>
    public ProtocolLosses? ProtocolSince(ProtocolStats now)
    {
        var before = _lastLogged.GetValueOrDefault(now.Protocol) ?? ProtocolStats.Empty(now.Protocol);
        _lastLogged[now.Protocol] = now;
        var losses = new ProtocolLosses(now.Protocol, now.DroppedQueueFull - before.DroppedQueueFull,
            now.DroppedRateLimited - before.DroppedRateLimited, now.Rejected - before.Rejected, now.Malformed - before.Malformed);
        if (losses.DroppedQueueFull < 0 || losses.DroppedRateLimited < 0 || losses.Rejected < 0 || losses.Malformed < 0) return null;
        return losses.DroppedQueueFull + losses.DroppedRateLimited + losses.Rejected + losses.Malformed > 0 ? losses : null;
    }
}
