using System.Collections.Immutable;

namespace ScmiActors.Wire;

/// <summary>
/// A protocol's notifications, indexed by event id, plus what the platform description calls it
/// and where its source count comes from. Vendor protocols build one of these like the standard ones.
/// </summary>
public sealed class ProtocolDescriptor
{
    /// <summary>Queue budget in bytes when the description does not set one (Linux: 4096).</summary>
    public const int DefaultQueueBytes = 4096;

    public ProtocolDescriptor(byte id, string name, IEnumerable<EventDescriptor> events,
        string? sourceCountKey = null, int defaultQueueBytes = DefaultQueueBytes,
        uint? sourceCountDefault = null, Func<uint, uint>? sourceCountFromAttributes = null, IEnumerable<ExtraCount>? extraCounts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (sourceCountKey is null && (sourceCountDefault is not null || sourceCountFromAttributes is not null))
            throw new ArgumentException($"protocol {name}: a source count default or attributes layout needs a source count key");
        Id = id;
        Name = name;
        SourceCountKey = sourceCountKey;
        SourceCountDefault = sourceCountDefault;
        _sourceCountFromAttributes = sourceCountFromAttributes ?? (a => a & 0xFFFF);
        ExtraCounts = extraCounts?.ToImmutableArray() ?? [];
        DefaultQueueSize = defaultQueueBytes;
        var list = events.OrderBy(e => e.EventId).ToImmutableArray();
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i].EventId != i)
                throw new ArgumentException($"protocol {name}: event ids must run 0..n-1 without gaps, found {list[i].EventId} at {i}");
            if (list[i].ProtocolId != id)
                throw new ArgumentException($"protocol {name}: event {list[i].Name} belongs to protocol 0x{list[i].ProtocolId:X2}");
        }
        Events = list;
    }

    private readonly Func<uint, uint> _sourceCountFromAttributes;

    public byte Id { get; }

    /// <summary>The key under <c>protocols { }</c> in a platform description, e.g. <c>perf</c>.</summary>
    public string Name { get; }

    public ImmutableArray<EventDescriptor> Events { get; }

    /// <summary>The description key that holds the number of sources (<c>domains</c>, <c>clocks</c>, <c>sensors</c>), or null.</summary>
    public string? SourceCountKey { get; }

    /// <summary>When set, <see cref="SourceCountKey"/> may be left out of a description and means this (i.MX BBM: 1 RTC).</summary>
    public uint? SourceCountDefault { get; }

    /// <summary>Further counts a protocol's decoders need besides its source count (i.MX MISC: board controls).</summary>
    public ImmutableArray<ExtraCount> ExtraCounts { get; }

    /// <summary>The source count in a PROTOCOL_ATTRIBUTES answer (standard protocols: bits 15:0).</summary>
    public uint SourceCountFromAttributes(uint attributes) => _sourceCountFromAttributes(attributes);

    public int DefaultQueueSize { get; }

    public EventDescriptor? FindEvent(byte eventId) => eventId < Events.Length ? Events[eventId] : null;

    public EventDescriptor? FindEvent(string name) =>
        Events.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => $"{Name} (0x{Id:X2})";
}

/// <summary>
/// A named count of a protocol besides its source count: its description key, the value when the key
/// is absent, and where discovery finds it in the PROTOCOL_ATTRIBUTES answer. Kept in
/// <see cref="PlatformProtocol.Counts"/>.
/// </summary>
public sealed record ExtraCount(string Key, uint Default, Func<uint, uint> FromAttributes);

/// <summary>
/// The protocols this process can decode, by id and by description name: the standard set plus any
/// vendor plug-ins. Immutable; <see cref="With"/> returns a new catalog.
/// </summary>
public sealed class ProtocolCatalog
{
    private readonly ProtocolDescriptor?[] _byId;
    private readonly ImmutableDictionary<string, ProtocolDescriptor> _byName;

    private ProtocolCatalog(ProtocolDescriptor?[] byId)
    {
        _byId = byId;
        _byName = byId.Where(p => p is not null)
            .ToImmutableDictionary(p => p!.Name, p => p!, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>No protocols: the start of every catalog (see ProtocolCatalogs for the shipped ones).</summary>
    public static ProtocolCatalog Empty { get; } = new(new ProtocolDescriptor?[256]);

    public IEnumerable<ProtocolDescriptor> Protocols => _byId.Where(p => p is not null)!;

    public ProtocolDescriptor? Find(byte id) => _byId[id];

    public ProtocolDescriptor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Adds (or for a vendor protocol, replaces) a protocol's descriptor.</summary>
    public ProtocolCatalog With(ProtocolDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var existing = Find(descriptor.Name);
        if (existing is not null && existing.Id != descriptor.Id)
            throw new ArgumentException($"protocol name '{descriptor.Name}' is already used by 0x{existing.Id:X2}");
        if (_byId[descriptor.Id] is not null && !ScmiProtocolId.IsVendor(descriptor.Id))
            throw new ArgumentException($"standard protocol 0x{descriptor.Id:X2} cannot be replaced");
        var copy = (ProtocolDescriptor?[])_byId.Clone();
        copy[descriptor.Id] = descriptor;
        return new ProtocolCatalog(copy);
    }

    /// <summary>Adds each descriptor in turn, with the rules of <see cref="With"/>.</summary>
    public ProtocolCatalog WithAll(IEnumerable<ProtocolDescriptor> descriptors) =>
        descriptors.Aggregate(this, (catalog, d) => catalog.With(d));
}
