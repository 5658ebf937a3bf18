using Akka.Actor;
using Akka.Event;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Ingestion;

/// <summary>
/// The ISR-side entry point of one platform, for transports: <see cref="Post"/> is thread-safe,
/// never blocks and never throws. A notification goes into its protocol's ring and the protocol
/// actor is woken only if no wake-up is already pending; a (delayed) response goes to the command
/// path; everything else is a counted rejection. The handle actor owns the gate's state changes
/// (open, close, install and remove protocols) and publishes them as immutable snapshots.
/// Transports see it as their <see cref="IScmiReceiver"/>: the gate is sealed, so the interface
/// call is the only indirection a post gains.
/// </summary>
public sealed class IngestionGate : IScmiReceiver
{
    private const int Starting = 0, Running = 1, Closed = 2;

    private volatile GateSlot?[] _slots = new GateSlot?[256];
    private volatile int _state = Starting;
    private readonly Action<uint, byte[]> _commandPath;
    private readonly Action<string>? _lost;

    internal IngestionGate(string platformId, Action<uint, byte[]> commandPath, Action<string>? lost = null)
    {
        PlatformId = platformId;
        _commandPath = commandPath;
        _lost = lost;
    }

    public string PlatformId { get; }

    internal GateCounters Counters { get; } = new();

    public bool IsRunning => _state == Running;

    /// <summary>Offers one raw message (header word and payload after it) stamped at arrival by the transport.</summary>
    public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload, timestampNs, stampAtGate: false);

    /// <summary>
    /// Offers one raw message that the gate stamps itself (<see cref="ScmiClock"/>), for transports
    /// without their own arrival time. One clock read then serves both the stamp and the storm
    /// guard, and a message rejected before them costs none: under a storm the clock read is most
    /// of what a post costs.
    /// </summary>
    public IngestResult Post(uint header, ReadOnlySpan<byte> payload) => Post(header, payload, 0, stampAtGate: true);

    private IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs, bool stampAtGate)
    {
        var type = ScmiHeader.TypeOf(header);
        if (type != MessageType.Notification) return PostNonNotification(header, payload, type);
        if (_state != Running)
        {
            Interlocked.Increment(ref Counters.NotRunning);
            return IngestResult.NotRunning;
        }

        var slot = _slots[ScmiHeader.ProtocolOf(header)];
        if (slot is null)
        {
            Interlocked.Increment(ref Counters.UnknownProtocol);
            return IngestResult.UnknownProtocol;
        }

        var eventId = ScmiHeader.MessageIdOf(header);
        var limits = slot.MaxPayloadByEvent;
        if (eventId >= limits.Length)
        {
            Interlocked.Increment(ref slot.Counters.RejectedUnknownEvent);
            return IngestResult.UnknownEvent;
        }
        if (payload.Length > limits[eventId])
        {
            Interlocked.Increment(ref slot.Counters.RejectedPayloadTooLarge);
            return IngestResult.PayloadTooLarge;
        }

        // The storm guard reads the gate's clock: a transport's timestamps are not trusted for it.
        if (stampAtGate) timestampNs = ScmiClock.NowNs();
        if (slot.Limiter is { } limiter && !limiter.TryAcquire(stampAtGate ? timestampNs : ScmiClock.NowNs()))
        {
            Interlocked.Increment(ref slot.Counters.DroppedRateLimited);
            return IngestResult.DroppedRateLimited;
        }

        var ring = slot.Ring;
        switch (ring.TryWrite(header, payload, timestampNs))
        {
            case ProtocolRing.WriteOutcome.Written:
                if (ring.TrySchedule()) slot.Consumer.Tell(ProtocolWake.Instance, ActorRefs.NoSender);
                return IngestResult.Queued;
            case ProtocolRing.WriteOutcome.Full:
                Interlocked.Increment(ref slot.Counters.DroppedQueueFull);
                return IngestResult.DroppedQueueFull;
            default:
                Interlocked.Increment(ref slot.Counters.RejectedNotRunning);
                return IngestResult.NotRunning;
        }
    }

    /// <summary>Convenience for transports that hold a whole message (header word first).</summary>
    public IngestResult PostMessage(ReadOnlySpan<byte> message, long timestampNs) => PostMessage(message, timestampNs, stampAtGate: false);

    /// <summary>As <see cref="PostMessage(ReadOnlySpan{byte}, long)"/>, stamped by the gate.</summary>
    public IngestResult PostMessage(ReadOnlySpan<byte> message) => PostMessage(message, 0, stampAtGate: true);

    private IngestResult PostMessage(ReadOnlySpan<byte> message, long timestampNs, bool stampAtGate)
    {
        if (message.Length < 4)
        {
            Interlocked.Increment(ref Counters.ReservedMessageType);
            return IngestResult.ReservedMessageType;
        }
        return Post(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(message), message[4..], timestampNs, stampAtGate);
    }

    private IngestResult PostNonNotification(uint header, ReadOnlySpan<byte> payload, MessageType type)
    {
        if (type == MessageType.Reserved)
        {
            Interlocked.Increment(ref Counters.ReservedMessageType);
            return IngestResult.ReservedMessageType;
        }
        // Responses and delayed responses complete commands; they flow even while the gate is
        // closed, because the ordered shutdown waits for the responses to its disables.
        Interlocked.Increment(ref Counters.NotANotification);
        try
        {
            _commandPath(header, payload.ToArray());
        }
        catch
        {
            // The command path is an actor tell; nothing here may throw into a transport's ISR.
        }
        return IngestResult.NotANotification;
    }

    /// <summary>The transport lost the platform: handed to the handle (an actor tell), never thrown into the transport.</summary>
    public void TransportLost(string reason)
    {
        try
        {
            _lost?.Invoke(reason);
        }
        catch
        {
            // As for the command path: nothing may throw into a transport's thread.
        }
    }

    // ---- owned by the handle actor --------------------------------------------------------------

    internal void Open() => _state = Running;

    /// <summary>Closes the gate and seals every ring: later notifications are NotRunning.</summary>
    internal void Close()
    {
        _state = Closed;
        foreach (var slot in _slots) slot?.Counters.Ring.Seal();
    }

    internal void Install(GateSlot slot)
    {
        var copy = (GateSlot?[])_slots.Clone();
        copy[slot.Counters.Protocol] = slot;
        _slots = copy;
    }

    internal void Remove(byte protocol)
    {
        var copy = (GateSlot?[])_slots.Clone();
        copy[protocol]?.Counters.Ring.Seal();
        copy[protocol] = null;
        _slots = copy;
    }
}

/// <summary>A registered protocol as the gate sees it: size limits per event id, its ring, the actor to wake and its optional storm guard.</summary>
internal sealed record GateSlot(int[] MaxPayloadByEvent, ProtocolCounters Counters, IActorRef Consumer, RateLimiter? Limiter = null)
{
    /// <summary>The ring itself, so that a post reads no line of the counters, which the consumer writes per event.</summary>
    public ProtocolRing Ring { get; } = Counters.Ring;
}

/// <summary>
/// The wake-up message (Linux's work item): the ring has entries and no wake-up was pending. One that
/// reaches a stopped protocol actor (a yield or linger turn still queued when it was stopped after
/// its last drain) means nothing, its ring went with it, so it is not logged as a dead letter.
/// </summary>
internal sealed class ProtocolWake : IDeadLetterSuppression
{
    public static readonly ProtocolWake Instance = new();
    private ProtocolWake() { }
}
