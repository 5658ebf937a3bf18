using ScmiActors.Messages;

namespace ScmiActors.Ingestion;

/// <summary>
/// Counters of one registration of one protocol. Gate-side fields are written by many producers
/// (Interlocked); consumer-side fields only by the protocol actor (plain writes, Volatile reads
/// elsewhere). "Queued" is the ring's own tail, so the hot path pays for no extra counter.
/// Survives restarts of the protocol actor: the handle owns it.
/// </summary>
internal sealed class ProtocolCounters(byte protocol, ProtocolRing ring)
{
    public readonly byte Protocol = protocol;
    public readonly ProtocolRing Ring = ring;

    // gate side
    public long DroppedQueueFull;
    public long DroppedRateLimited;
    public long RejectedUnknownEvent;
    public long RejectedPayloadTooLarge;
    public long RejectedNotRunning;

    // consumer side
    public long Decoded;
    public long MalformedTooShort;
    public long MalformedTooLong;
    public long MalformedSourceOutOfRange;
    public long DecoderFaults;
    public long Delivered;
    public long Unmatched;
    public long Discarded;
    public long SubscriberWaits;
    public long SubscriberStalls;

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
