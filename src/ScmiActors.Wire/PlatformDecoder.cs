namespace ScmiActors.Wire;

/// <summary>
/// Decodes raw platform-to-agent messages of one platform: checks the header type, finds the
/// protocol and event, and runs the event's decoder with the platform's knowledge. Immutable and
/// thread-safe; never throws on any header or payload (a vendor decoder that throws is a bug the
/// dispatcher contains, not this class).
/// </summary>
public sealed class PlatformDecoder
{
    private readonly Binding?[] _bindings = new Binding?[256];

    public PlatformDecoder(PlatformDescription description, ProtocolCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(catalog);
        Description = description;
        foreach (var (id, protocol) in description.Protocols)
        {
            var descriptor = catalog.Find(id)
                ?? throw new ArgumentException($"platform {description.PlatformId}: no descriptor for protocol 0x{id:X2}");
            _bindings[id] = new Binding(descriptor, protocol);
        }
    }

    public PlatformDescription Description { get; }

    public ProtocolDescriptor? FindProtocol(byte protocolId) => _bindings[protocolId]?.Descriptor;

    public EventDescriptor? FindEvent(byte protocolId, byte eventId) => _bindings[protocolId]?.Descriptor.FindEvent(eventId);

    public DecodeResult Decode(uint header, ReadOnlySpan<byte> payload, long timestampNs)
    {
        switch (ScmiHeader.TypeOf(header))
        {
            case MessageType.Reserved: return DecodeResult.ReservedMessageType();
            case MessageType.Command: return DecodeResult.NotANotification(MessageType.Command);
            case MessageType.DelayedResponse: return DecodeResult.NotANotification(MessageType.DelayedResponse);
        }
        var protocolId = ScmiHeader.ProtocolOf(header);
        var binding = _bindings[protocolId];
        if (binding is null) return DecodeResult.UnknownProtocol(protocolId);
        var eventId = ScmiHeader.MessageIdOf(header);
        var descriptor = binding.Descriptor.FindEvent(eventId);
        if (descriptor is null) return DecodeResult.UnknownEvent(protocolId, eventId);
        return descriptor.Decode(payload, new DecodeContext(Description.PlatformId, timestampNs, binding.Protocol));
    }

    private sealed record Binding(ProtocolDescriptor Descriptor, PlatformProtocol Protocol);
}
