using System.Collections.Immutable;

namespace ScmiActors.Wire;

/// <summary>
/// What the dispatcher knows of one platform: the protocols it implements and, per protocol, what
/// decoding and NOTIFY need. Built from HOCON or from discovery over SCMI commands.
/// </summary>
public sealed record PlatformDescription(string PlatformId, string Transport, ImmutableSortedDictionary<byte, PlatformProtocol> Protocols)
{
    public PlatformProtocol? Find(byte protocolId) => Protocols.GetValueOrDefault(protocolId);
}

/// <summary>
/// One protocol as a platform implements it.
/// <para><see cref="SourceCount"/>: domains, clocks or sensors; events with a fixed source space
/// (base, system, vendor ones) ignore it. <see cref="SensorAxes"/>: axis count per sensor id, 1 when
/// absent. <see cref="CannotNotify"/>: per event id, the sources the platform says cannot notify
/// (skipped without traffic). <see cref="QueueBytes"/>: overrides the protocol's default queue budget.
/// <see cref="MeasurementThresholds"/>: powercap measurement thresholds sent with NOTIFY enable.
/// <see cref="RateLimit"/>: at most this many notifications per second are accepted (storm guard).
/// <see cref="Counts"/>: the protocol's <see cref="ExtraCount"/>s by description key (i.MX MISC board controls).</para>
/// </summary>
public sealed record PlatformProtocol(
    byte ProtocolId,
    ProtocolVersion Version,
    uint SourceCount,
    ImmutableDictionary<uint, int> SensorAxes,
    ImmutableDictionary<byte, ImmutableHashSet<uint>> CannotNotify,
    int? QueueBytes = null,
    (uint Low, uint High)? MeasurementThresholds = null,
    int? RateLimit = null,
    ImmutableDictionary<string, uint>? Counts = null)
{
    /// <summary>An extra count by its description key; <paramref name="fallback"/> when the platform did not give it.</summary>
    public uint CountOf(string key, uint fallback = 0) => Counts is not null && Counts.TryGetValue(key, out var n) ? n : fallback;

    /// <summary>Largest axis count a SENSOR_UPDATE can carry (Linux caps it at 63).</summary>
    public const int MaxSensorAxes = 63;

    public static PlatformProtocol Create(byte protocolId, ProtocolVersion version, uint sourceCount) =>
        new(protocolId, version, sourceCount, ImmutableDictionary<uint, int>.Empty,
            ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty);

    public int AxesOf(uint sensorId) => SensorAxes.TryGetValue(sensorId, out var n) ? n : 1;

    public bool CanNotify(byte eventId, uint source) =>
        !CannotNotify.TryGetValue(eventId, out var set) || !set.Contains(source);
}
