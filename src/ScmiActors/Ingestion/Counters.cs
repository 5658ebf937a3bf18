using System.Runtime.InteropServices;
using ScmiActors.Messages;

namespace ScmiActors.Ingestion;

/// <summary>
/// Counters of one registration of one protocol. Gate-side fields are written by many producers
/// (Interlocked); consumer-side fields only by the protocol actor (plain writes, Volatile reads
/// elsewhere). "Queued" is the ring's own tail, so the hot path pays for no extra counter.
/// Survives restarts of the protocol actor: the handle owns it.
/// <para>The layout is explicit so that the two sides never share a cache line: the consumer counts
/// every event and a producer that finds the ring full counts every retry, and with both groups on
/// one line each event would move it between the cores.</para>
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal sealed class ProtocolCounters(byte protocol, ProtocolRing ring)
{
    [FieldOffset(0)] public readonly ProtocolRing Ring = ring;
    [FieldOffset(8)] public readonly byte Protocol = protocol;

    // gate side: a line of its own
    [FieldOffset(64)] public long DroppedQueueFull;
    [FieldOffset(72)] public long DroppedRateLimited;
    [FieldOffset(80)] public long RejectedUnknownEvent;
    [FieldOffset(88)] public long RejectedPayloadTooLarge;
    [FieldOffset(96)] public long RejectedNotRunning;

    // consumer side: the next line
    [FieldOffset(128)] public long Decoded;
    [FieldOffset(136)] public long MalformedTooShort;
    [FieldOffset(144)] public long MalformedTooLong;
    [FieldOffset(152)] public long MalformedSourceOutOfRange;
    [FieldOffset(160)] public long DecoderFaults;
    [FieldOffset(168)] public long Delivered;
    [FieldOffset(176)] public long Unmatched;
    [FieldOffset(184)] public long Discarded;
    [FieldOffset(192)] public long SubscriberWaits;
    [FieldOffset(200)] public long SubscriberStalls;
    [FieldOffset(248)] private readonly long _end; // keeps the consumer line clear of the next object

    public ProtocolStats Snapshot(bool registered)
    {
        // The ring's consumer position first, then the outcomes: the consumer counts an outcome before
        // it releases the entry, so an event taken meanwhile is counted in its outcome and possibly
        // still "in queue" (transiently twice), never in neither. Exact once nothing is in flight.
        var taken = Ring.Taken;
        var decoded = Volatile.Read(ref Decoded);
        var tooShort = Volatile.Read(ref MalformedTooShort);
        var tooLong = Volatile.Read(ref MalformedTooLong);
        var outOfRange = Volatile.Read(ref MalformedSourceOutOfRange);
        var faults = Volatile.Read(ref DecoderFaults);
        var delivered = Volatile.Read(ref Delivered);
        var unmatched = Volatile.Read(ref Unmatched);
        var discarded = Volatile.Read(ref Discarded);
        var written = Ring.Written;
        return new ProtocolStats(Protocol, registered, written,
            Volatile.Read(ref DroppedQueueFull), Volatile.Read(ref RejectedUnknownEvent),
            Volatile.Read(ref RejectedPayloadTooLarge), Volatile.Read(ref RejectedNotRunning),
            decoded, tooShort, tooLong, outOfRange, faults, delivered, unmatched, discarded,
            Math.Max(0, written - taken), Volatile.Read(ref SubscriberWaits), Volatile.Read(ref SubscriberStalls),
            Volatile.Read(ref DroppedRateLimited));
    }
}

/// <summary>Gate counters for messages that belong to no registered protocol.</summary>
internal sealed class GateCounters
{
    public long UnknownProtocol;
    public long ReservedMessageType;
    public long NotANotification;
    public long NotRunning;
}
