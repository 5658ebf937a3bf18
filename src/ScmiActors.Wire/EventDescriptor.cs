namespace ScmiActors.Wire;

/// <summary>Everything a decoder may need besides the payload; a struct passed by reference.</summary>
public readonly struct DecodeContext(string platformId, long timestampNs, PlatformProtocol protocol)
{
    public string PlatformId { get; } = platformId;
    public long TimestampNs { get; } = timestampNs;
    public PlatformProtocol Protocol { get; } = protocol;
}

/// <summary>Decodes one event's payload (header already checked) into a report or a reason. Must not throw on any input.</summary>
public delegate DecodeResult EventDecodeFunc(ReadOnlySpan<byte> payload, in DecodeContext context);

/// <summary>Writes the payload of the event's NOTIFY command into <paramref name="destination"/> and returns its length.</summary>
public delegate int NotifyEncodeFunc(uint source, bool enable, PlatformProtocol protocol, Span<byte> destination);

/// <summary>
/// One notification of one protocol: its id and name, the largest payload the ingestion gate
/// accepts for it, its decoder, and the NOTIFY command that switches it on and off per source.
/// Standard and vendor events are described the same way.
/// </summary>
public sealed class EventDescriptor
{
    /// <summary>Longest NOTIFY payload any standard or shipped vendor event needs.</summary>
    public const int MaxNotifyPayload = 16;

    private readonly EventDecodeFunc _decode;
    private readonly NotifyEncodeFunc _encodeNotify;

    public EventDescriptor(byte protocolId, byte eventId, string name, int maxPayload, byte notifyMessageId,
        EventDecodeFunc decode, NotifyEncodeFunc encodeNotify, uint? fixedSourceCount = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayload);
        ProtocolId = protocolId;
        EventId = eventId;
        Name = name;
        MaxPayload = maxPayload;
        NotifyMessageId = notifyMessageId;
        FixedSourceCount = fixedSourceCount;
        _decode = decode;
        _encodeNotify = encodeNotify;
    }

    public byte ProtocolId { get; }
    public byte EventId { get; }
    public string Name { get; }

    /// <summary>Largest payload accepted at the gate; longer messages are rejected before queueing.</summary>
    public int MaxPayload { get; }

    public byte NotifyMessageId { get; }

    /// <summary>Set for events whose source space does not come from the platform (base, system: 1).</summary>
    public uint? FixedSourceCount { get; }

    public uint SourceCount(PlatformProtocol protocol) => FixedSourceCount ?? protocol.SourceCount;

    public DecodeResult Decode(ReadOnlySpan<byte> payload, in DecodeContext context) => _decode(payload, in context);

    /// <summary>Builds the NOTIFY command that enables or disables this event for one source.</summary>
    public NotifyCommand EncodeNotify(uint source, bool enable, PlatformProtocol protocol)
    {
        Span<byte> buffer = stackalloc byte[MaxNotifyPayload];
        var length = _encodeNotify(source, enable, protocol, buffer);
        return new NotifyCommand(ProtocolId, NotifyMessageId, buffer[..length].ToArray());
    }

    public override string ToString() => $"{Name} (0x{ProtocolId:X2}/{EventId})";
}

/// <summary>An encoded NOTIFY command: send it as a type-0 message with a token of the link's choosing.</summary>
public sealed record NotifyCommand(byte ProtocolId, byte MessageId, byte[] Payload);
