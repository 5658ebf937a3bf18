using System.Collections.Immutable;
using Akka.Configuration;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Platform;

/// <summary>A platform description that cannot be used, with the HOCON path that is wrong.</summary>
public sealed class PlatformDescriptionException(string message) : Exception(message);

/// <summary>
/// Reads platform descriptions from HOCON (<c>scmi.platforms.&lt;id&gt; { transport, protocols { … } }</c>)
/// into the model the decoders use. Per protocol: <c>version</c> ("major.minor", default "1.0"), the
/// protocol's source count key (<c>domains</c>, <c>clocks</c>, <c>sensors</c>; i.MX <c>rtcs</c>, default 1,
/// and <c>device-controls</c>), its extra counts (i.MX MISC <c>board-controls</c>, default 0), sensor <c>axes</c>,
/// <c>queue-bytes</c>, <c>rate-limit</c> (notifications per second), <c>no-notify { EVENT_NAME = [sources] }</c> and powercap
/// <c>measurement-thresholds = [low, high]</c>. Every mistake is a <see cref="PlatformDescriptionException"/>.
/// </summary>
public static class PlatformDescriptionLoader
{
    public const string PlatformsPath = "scmi.platforms";

    /// <summary>The ids of the platforms under <c>scmi.platforms</c>, in file order.</summary>
    public static IReadOnlyList<string> PlatformIds(Config config)
    {
        if (!config.HasPath(PlatformsPath)) return [];
        var platforms = config.GetConfig(PlatformsPath).Root;
        if (!platforms.IsObject()) throw new PlatformDescriptionException($"{PlatformsPath}: expected an object of platforms");
        return platforms.GetObject().Items.Keys.ToList();
    }

    public static IReadOnlyList<PlatformDescription> LoadAll(Config config, ProtocolCatalog? catalog = null) =>
        PlatformIds(config).Select(id => Load(config, id, catalog)).ToList();

    public static PlatformDescription Load(Config config, string platformId, ProtocolCatalog? catalog = null)
    {
        try
        {
            return LoadUnguarded(config, platformId, catalog);
        }
        catch (Exception e) when (e is not PlatformDescriptionException)
        {
            // The HOCON library reports a wrong value type (a list where a number belongs, "abc" for a
            // count, an object where a list belongs) with whatever exception it happens to hit.
            throw new PlatformDescriptionException($"{PlatformsPath}.{platformId}: a value has the wrong type or range ({e.GetType().Name}: {e.Message})");
        }
    }

    private static PlatformDescription LoadUnguarded(Config config, string platformId, ProtocolCatalog? catalog)
    {
        catalog ??= ProtocolCatalogs.Default;
        var path = $"{PlatformsPath}.{platformId}";
        if (!PlatformIds(config).Contains(platformId))
            throw new PlatformDescriptionException($"{path}: no such platform (known: {string.Join(", ", PlatformIds(config))})");
        if (platformId.Length == 0) throw new PlatformDescriptionException($"{PlatformsPath}.\"\": a platform id must not be empty");
        if (!config.GetConfig(PlatformsPath).Root.GetObject().Items[platformId].IsObject())
            throw new PlatformDescriptionException($"{path}: expected an object (transport, protocols)");
        var platform = config.GetConfig(path);
        var transport = platform.GetString("transport", "in-memory");
        var protocols = ImmutableSortedDictionary.CreateBuilder<byte, PlatformProtocol>();
        if (platform.HasPath("protocols"))
        {
            if (!platform.GetValue("protocols").IsObject())
                throw new PlatformDescriptionException($"{path}.protocols: expected an object of protocols (base, power, ...)");
            var section = platform.GetConfig("protocols");
            foreach (var name in section.Root.GetObject().Items.Keys)
            {
                var descriptor = catalog.Find(name)
                    ?? throw new PlatformDescriptionException(
                        $"{path}.protocols.{name}: unknown protocol (known: {string.Join(", ", catalog.Protocols.Select(p => p.Name))})");
                if (protocols.ContainsKey(descriptor.Id))
                    throw new PlatformDescriptionException($"{path}.protocols.{name}: protocol 0x{descriptor.Id:X2} listed twice");
                protocols[descriptor.Id] = LoadProtocol(section.GetConfig(name), $"{path}.protocols.{name}", descriptor);
            }
        }
        return new PlatformDescription(platformId, transport, protocols.ToImmutable());
    }

    /// <summary>Parses HOCON text and loads one platform (the first when <paramref name="platformId"/> is null).</summary>
    public static PlatformDescription Parse(string hocon, string? platformId = null, ProtocolCatalog? catalog = null)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception e)
        {
            throw new PlatformDescriptionException($"not valid HOCON: {e.Message}");
        }
        if (HoconCycles.FindSubstitutionCycle(config) is { } cycle)
            throw new PlatformDescriptionException($"not valid HOCON: {HoconCycles.Describe(cycle)}");
        platformId ??= PlatformIds(config).FirstOrDefault()
            ?? throw new PlatformDescriptionException($"no platform under {PlatformsPath}");
        return Load(config, platformId, catalog);
    }

    private static PlatformProtocol LoadProtocol(Config c, string path, ProtocolDescriptor descriptor)
    {
        var versionText = c.GetString("version", "1.0");
        if (!ProtocolVersion.TryParse(versionText, out var version))
            throw new PlatformDescriptionException($"{path}.version: '{versionText}' is not major.minor");

        uint sources = 0;
        if (descriptor.SourceCountKey is { } key)
        {
            if (c.HasPath(key)) sources = NonNegative(c.GetLong(key), $"{path}.{key}");
            else sources = descriptor.SourceCountDefault
                ?? throw new PlatformDescriptionException($"{path}: '{key}' is required (the number of {key})");
        }

        // Extra counts (i.MX MISC board-controls): optional, with the descriptor's default.
        ImmutableDictionary<string, uint>? counts = null;
        if (descriptor.ExtraCounts.Length > 0)
            counts = descriptor.ExtraCounts.ToImmutableDictionary(e => e.Key,
                e => c.HasPath(e.Key) ? NonNegative(c.GetLong(e.Key), $"{path}.{e.Key}") : e.Default);
        var shape = PlatformProtocol.Create(descriptor.Id, version, sources) with { Counts = counts };

        var axes = ImmutableDictionary.CreateBuilder<uint, int>();
        if (c.HasPath("axes"))
        {
            if (descriptor.Id != ScmiProtocolId.Sensor)
                throw new PlatformDescriptionException($"{path}.axes: only the sensor protocol has axes");
            var axesConfig = c.GetConfig("axes");
            foreach (var sensorKey in axesConfig.Root.GetObject().Items.Keys)
            {
                if (!uint.TryParse(sensorKey, out var sensor) || sensor >= sources)
                    throw new PlatformDescriptionException(
                        $"{path}.axes.\"{sensorKey}\": sensor id out of range (the platform has {sources} sensors)");
                var count = axesConfig.GetInt($"\"{sensorKey}\"");
                if (count is < 1 or > PlatformProtocol.MaxSensorAxes)
                    throw new PlatformDescriptionException(
                        $"{path}.axes.\"{sensorKey}\": {count} axes, must be 1..{PlatformProtocol.MaxSensorAxes}");
                axes[sensor] = count;
            }
        }

        var cannotNotify = ImmutableDictionary.CreateBuilder<byte, ImmutableHashSet<uint>>();
        if (c.HasPath("no-notify"))
        {
            var noNotify = c.GetConfig("no-notify");
            foreach (var eventName in noNotify.Root.GetObject().Items.Keys)
            {
                var evt = descriptor.FindEvent(eventName)
                    ?? throw new PlatformDescriptionException($"{path}.no-notify.{eventName}: {descriptor.Name} has no such event");
                var count = evt.SourceCount(shape);
                var set = noNotify.GetLongList(eventName).Select(s =>
                {
                    var source = NonNegative(s, $"{path}.no-notify.{eventName}");
                    if (source >= count)
                        throw new PlatformDescriptionException($"{path}.no-notify.{eventName}: source {s} out of range (0..{count - 1})");
                    return source;
                }).ToImmutableHashSet();
                cannotNotify[evt.EventId] = set;
            }
        }

        int? queueBytes = null;
        if (c.HasPath("queue-bytes"))
        {
            var q = c.GetInt("queue-bytes");
            if (q < 64) throw new PlatformDescriptionException($"{path}.queue-bytes: {q} is below the minimum of 64");
            if (q > Ingestion.ProtocolRing.MaxBudgetBytes)
                throw new PlatformDescriptionException($"{path}.queue-bytes: {q} is above the maximum of {Ingestion.ProtocolRing.MaxBudgetBytes}");
            queueBytes = q;
        }

        int? rateLimit = null;
        if (c.HasPath("rate-limit"))
        {
            var r = c.GetInt("rate-limit");
            if (r < 1) throw new PlatformDescriptionException($"{path}.rate-limit: {r} notifications per second; at least 1");
            rateLimit = r;
        }

        (uint, uint)? thresholds = null;
        if (c.HasPath("measurement-thresholds"))
        {
            if (descriptor.Id != ScmiProtocolId.Powercap)
                throw new PlatformDescriptionException($"{path}.measurement-thresholds: only powercap has measurement thresholds");
            var t = c.GetLongList("measurement-thresholds");
            if (t.Count != 2)
                throw new PlatformDescriptionException($"{path}.measurement-thresholds: expected [low, high]");
            var low = NonNegative(t[0], $"{path}.measurement-thresholds");
            var high = NonNegative(t[1], $"{path}.measurement-thresholds");
            if (low == 0 && high == 0)
                throw new PlatformDescriptionException($"{path}.measurement-thresholds: both zero disables the notification");
            thresholds = (low, high);
        }

        return new PlatformProtocol(descriptor.Id, version, sources, axes.ToImmutable(), cannotNotify.ToImmutable(), queueBytes, thresholds, rateLimit, counts);
    }

    private static uint NonNegative(long value, string path) =>
        value is >= 0 and <= uint.MaxValue
            ? (uint)value
            : throw new PlatformDescriptionException($"{path}: {value} must be between 0 and {uint.MaxValue}");
}
