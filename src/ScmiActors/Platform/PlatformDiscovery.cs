using System.Buffers.Binary;
using System.Collections.Immutable;
using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Platform;

/// <summary>A discovery step the platform refused or did not answer: which command, which outcome.</summary>
public sealed class DiscoveryException(string message) : Exception(message);

/// <summary>
/// Learns a platform over SCMI commands, through the handle's platform link: the base protocol's
/// version and protocol list (DISCOVER_LIST_PROTOCOLS, paginated), then per protocol its version,
/// PROTOCOL_ATTRIBUTES (source count) and per source the attribute bits that say which
/// notifications it supports (sensor descriptors also give the axis count). The result is the same
/// <see cref="PlatformDescription"/> model HOCON gives. The configured description is the fallback
/// and the override: its queue budgets, powercap thresholds and no-notify lists are kept (no-notify
/// is added to what discovery found), and a protocol the catalog cannot decode is left out.
/// Runs as a task whose result the handle pipes to itself; it never blocks an actor.
/// </summary>
public static class PlatformDiscovery
{
    /// <summary>Per-source attribute queries stop here; beyond it every source is taken as able to notify.</summary>
    public const uint MaxSourcesProbed = 4096;

    public static async Task<PlatformDescription> DiscoverAsync(IActorRef link, PlatformDescription configured, ProtocolCatalog catalog,
        TimeSpan timeout)
    {
        async Task<byte[]> Command(byte protocol, byte messageId, string name, params uint[] words)
        {
            var payload = new byte[words.Length * 4];
            for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(i * 4), words[i]);
            // The link answers every command itself (its own timeout is shorter); this one only guards against a dead link.
            var result = await link.Ask<CommandResult>(new PlatformCommand(protocol, messageId, payload, name), timeout);
            if (!result.Succeeded)
                throw new DiscoveryException($"{name} (protocol 0x{protocol:X2}, message 0x{messageId:X2}{(words.Length > 0 ? $", argument {words[0]}" : "")}) failed: {result}");
            return result.ReturnValues;
        }

        static uint Word(byte[] values, int index, string name) =>
            values.Length >= (index + 1) * 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(values.AsSpan(index * 4))
                : throw new DiscoveryException($"{name}: answer of {values.Length} bytes has no word {index}");

        var baseVersion = Word(await Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion, "BASE PROTOCOL_VERSION"), 0, "BASE PROTOCOL_VERSION");
        var count = (int)(Word(await Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolAttributes, "BASE PROTOCOL_ATTRIBUTES"), 0, "BASE PROTOCOL_ATTRIBUTES") & 0xFF);

        var ids = new List<byte>();
        while (ids.Count < count)
        {
            var values = await Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, "BASE_DISCOVER_LIST_PROTOCOLS", (uint)ids.Count);
            var returned = (int)Word(values, 0, "BASE_DISCOVER_LIST_PROTOCOLS");
            if (returned == 0 || values.Length < 4 + returned)
                throw new DiscoveryException($"BASE_DISCOVER_LIST_PROTOCOLS returned {returned} protocols in {values.Length} bytes after {ids.Count} of {count}");
            ids.AddRange(values.AsSpan(4, returned).ToArray());
        }

        var protocols = ImmutableSortedDictionary.CreateBuilder<byte, PlatformProtocol>();
        protocols[ScmiProtocolId.Base] = Merge(PlatformProtocol.Create(ScmiProtocolId.Base, Wire.ProtocolVersion.FromRaw(baseVersion), 0),
            configured.Find(ScmiProtocolId.Base));
        foreach (var id in ids.Distinct())
        {
            var descriptor = catalog.Find(id);
            if (descriptor is null) continue; // a vendor protocol nobody plugged in: nothing to decode
            var name = descriptor.Name.ToUpperInvariant();
            var version = Wire.ProtocolVersion.FromRaw(Word(await Command(id, ScmiCommands.Common.ProtocolVersion, $"{name} PROTOCOL_VERSION"), 0, name));
            uint sources = 0;
            ImmutableDictionary<string, uint>? counts = null;
            if (descriptor.SourceCountKey is not null)
            {
                // Where the count sits in the answer is the descriptor's (standard: bits 15:0; i.MX BBM: RTCs in 23:16).
                var attributes = Word(await Command(id, ScmiCommands.Common.ProtocolAttributes, $"{name} PROTOCOL_ATTRIBUTES"), 0, name);
                sources = descriptor.SourceCountFromAttributes(attributes);
                if (descriptor.ExtraCounts.Length > 0)
                    counts = descriptor.ExtraCounts.ToImmutableDictionary(e => e.Key, e => e.FromAttributes(attributes));
            }
            var discovered = PlatformProtocol.Create(id, version, sources) with { Counts = counts };
            discovered = await CapabilitiesAsync(discovered, descriptor, Command, Word);
            protocols[id] = Merge(discovered, configured.Find(id));
        }
        return configured with { Protocols = protocols.ToImmutable() };
    }

    private static async Task<PlatformProtocol> CapabilitiesAsync(PlatformProtocol d, ProtocolDescriptor descriptor,
        Func<byte, byte, string, uint[], Task<byte[]>> command, Func<byte[], int, string, uint> word)
    {
        if (d.SourceCount == 0 || d.SourceCount > MaxSourcesProbed) return d;
        var cannot = new Dictionary<byte, HashSet<uint>>();
        void Cannot(byte evt, uint source) => (cannot.TryGetValue(evt, out var set) ? set : cannot[evt] = new HashSet<uint>()).Add(source);

        if (d.ProtocolId == ScmiProtocolId.Sensor)
        {
            var axes = ImmutableDictionary.CreateBuilder<uint, int>();
            uint next = 0;
            while (next < d.SourceCount)
            {
                var values = await command(d.ProtocolId, ScmiCommands.Sensor.DescriptionGet, "SENSOR_DESCRIPTION_GET", [next]);
                var header = word(values, 0, "SENSOR_DESCRIPTION_GET");
                var returned = header & 0xFFF;
                if (returned == 0) throw new DiscoveryException($"SENSOR_DESCRIPTION_GET returned no descriptor at index {next}");
                var offset = 1;
                for (var i = 0; i < returned; i++)
                {
                    var id = word(values, offset, "SENSOR_DESCRIPTION_GET");
                    var low = word(values, offset + 1, "SENSOR_DESCRIPTION_GET");
                    var high = word(values, offset + 2, "SENSOR_DESCRIPTION_GET");
                    if (id < d.SourceCount)
                    {
                        if ((low & 0xFF) == 0) Cannot(ScmiEvents.Sensor.TripPointEvent, id); // no trip points: no trip point events
                        if ((low & (1u << 30)) == 0) Cannot(ScmiEvents.Sensor.Update, id);   // no continuous update notifications
                        if ((high & (1u << 8)) != 0)
                            axes[id] = Math.Clamp((int)((high >> 16) & 0x3F), 1, PlatformProtocol.MaxSensorAxes);
                    }
                    // id, attributes_low, attributes_high, 16-byte name; extended attributes (bit31) add 6 words.
                    offset += 3 + 4 + ((low & (1u << 31)) != 0 ? 6 : 0);
                }
                next += returned;
            }
            d = d with { SensorAxes = axes.ToImmutable() };
        }
        else
        {
            // The per-source attributes command, and (event id, attribute bit) pairs: which bit of its
            // answer says the source can notify.
            (byte Command, (byte Event, int Bit)[] Bits) attributesOf = d.ProtocolId switch
            {
                ScmiProtocolId.Power => (ScmiCommands.Power.DomainAttributes, [(ScmiEvents.Power.StateChanged, 31)]),
                ScmiProtocolId.Perf => (ScmiCommands.Perf.DomainAttributes,
                    [(ScmiEvents.Perf.LimitsChanged, 29), (ScmiEvents.Perf.LevelChanged, 28)]),
                ScmiProtocolId.Clock => (ScmiCommands.Clock.Attributes,
                    [(ScmiEvents.Clock.RateChanged, 31), (ScmiEvents.Clock.RateChangeRequested, 30)]),
                ScmiProtocolId.Reset => (ScmiCommands.Reset.DomainAttributes, [(ScmiEvents.Reset.Issued, 30)]),
                ScmiProtocolId.Powercap => (ScmiCommands.Powercap.DomainAttributes,
                    [(ScmiEvents.Powercap.CapChanged, 31), (ScmiEvents.Powercap.MeasurementsChanged, 30)]),
                _ => (0, []),
            };
            var (attributesCommand, bits) = attributesOf;
            if (bits.Length == 0) return d;
            var name = $"{descriptor.Name.ToUpperInvariant()} DOMAIN_ATTRIBUTES";
            for (uint source = 0; source < d.SourceCount; source++)
            {
                var attributes = word(await command(d.ProtocolId, attributesCommand, name, [source]), 0, name);
                foreach (var (evt, bit) in bits)
                    if ((attributes & (1u << bit)) == 0) Cannot(evt, source);
            }
        }
        return d with { CannotNotify = cannot.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableHashSet()) };
    }

    /// <summary>What discovery found, with the configured description's overrides on top.</summary>
    private static PlatformProtocol Merge(PlatformProtocol discovered, PlatformProtocol? configured)
    {
        if (configured is null) return discovered;
        var cannot = discovered.CannotNotify.ToBuilder();
        foreach (var (evt, sources) in configured.CannotNotify)
            cannot[evt] = cannot.TryGetValue(evt, out var found) ? found.Union(sources) : sources;
        return discovered with
        {
            QueueBytes = configured.QueueBytes,
            RateLimit = configured.RateLimit,
            MeasurementThresholds = configured.MeasurementThresholds,
            CannotNotify = cannot.ToImmutable(),
            SensorAxes = discovered.SensorAxes.Count > 0 ? discovered.SensorAxes : configured.SensorAxes,
        };
    }
}
