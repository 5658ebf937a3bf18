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
/// Writes the payload of a grouped NOTIFY command: one command sets the enables of every source of
/// <paramref name="group"/> at once, so it carries all of <paramref name="sourcesOn"/> (possibly none).
/// </summary>
public delegate int NotifyGroupEncodeFunc(uint group, IReadOnlyCollection<uint> sourcesOn, PlatformProtocol protocol, Span<byte> destination);

/// <summary>
/// For events whose NOTIFY command <em>sets</em> the enables of several sources together rather than
/// switching one (i.MX BBM_RTC_NOTIFY: the three event kinds of one RTC). The dispatcher then keeps,
/// per group, the union of the sources still wanted and sends it whole; sources of different groups
/// stay independent. <see cref="GroupOf"/> maps a source to its group key.
/// </summary>
public sealed class NotifyGroup(Func<uint, uint> groupOf, NotifyGroupEncodeFunc encode)
{
    public uint GroupOf(uint source) => groupOf(source);

    internal int Encode(uint group, IReadOnlyCollection<uint> sourcesOn, PlatformProtocol protocol, Span<byte> destination) =>
        encode(group, sourcesOn, protocol, destination);
}

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
    private readonly Func<PlatformProtocol, uint>? _sourceCount;

    public EventDescriptor(byte protocolId, byte eventId, string name, int maxPayload, byte notifyMessageId,
        EventDecodeFunc decode, NotifyEncodeFunc encodeNotify, uint? fixedSourceCount = null,
        Func<PlatformProtocol, uint>? sourceCount = null, NotifyGroup? notifyGroup = null)
    {
        if (fixedSourceCount is not null && sourceCount is not null)
            throw new ArgumentException($"event {name}: a fixed source count and a source count function exclude each other");
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayload);
        ProtocolId = protocolId;
        EventId = eventId;
        Name = name;
        MaxPayload = maxPayload;
        NotifyMessageId = notifyMessageId;
        FixedSourceCount = fixedSourceCount;
        _sourceCount = sourceCount;
        Group = notifyGroup;
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

    /// <summary>The event's number of sources on a platform: fixed, derived by the event (i.MX BBM RTC: 3 per RTC), or the protocol's.</summary>
    public uint SourceCount(PlatformProtocol protocol) => FixedSourceCount ?? _sourceCount?.Invoke(protocol) ?? protocol.SourceCount;

    /// <summary>Set when one NOTIFY command sets the enables of a group of sources together (see <see cref="NotifyGroup"/>); null for per-source NOTIFY.</summary>
    public NotifyGroup? Group { get; }

    public DecodeResult Decode(ReadOnlySpan<byte> payload, in DecodeContext context) => _decode(payload, in context);

    /// <summary>Builds the NOTIFY command that enables or disables this event for one source.</summary>
    public NotifyCommand EncodeNotify(uint source, bool enable, PlatformProtocol protocol)
    {
        Span<byte> buffer = stackalloc byte[MaxNotifyPayload];
        var length = _encodeNotify(source, enable, protocol, buffer);
        return new NotifyCommand(ProtocolId, NotifyMessageId, buffer[..length].ToArray());
    }

    /// <summary>Builds the grouped NOTIFY command that leaves exactly <paramref name="sourcesOn"/> of <paramref name="group"/> enabled.</summary>
    public NotifyCommand EncodeGroupNotify(uint group, IReadOnlyCollection<uint> sourcesOn, PlatformProtocol protocol)
    {
        if (Group is null) throw new InvalidOperationException($"{this} has no notify group");
        Span<byte> buffer = stackalloc byte[MaxNotifyPayload];
        var length = Group.Encode(group, sourcesOn, protocol, buffer);
        return new NotifyCommand(ProtocolId, NotifyMessageId, buffer[..length].ToArray());
    }

    public override string ToString() => $"{Name} (0x{ProtocolId:X2}/{EventId})";
}

/// <summary>An encoded NOTIFY command: send it as a type-0 message with a token of the link's choosing.</summary>
public sealed record NotifyCommand(byte ProtocolId, byte MessageId, byte[] Payload);
