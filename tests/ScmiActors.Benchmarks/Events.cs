using System.Buffers.Binary;
using System.Collections.Immutable;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks;

/// <summary>Raw notifications (header word and payload) of the standard events, and platform descriptions for them.</summary>
public static class Events
{
    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    /// <summary>One raw notification of a standard event.</summary>
    public sealed record Raw(string Name, byte Protocol, byte Event, uint Source, byte[] Payload)
    {
        public uint Header { get; } = ScmiHeader.Notification(Protocol, Event);
    }

    public const uint Agent = 1;

    public static Raw PerfLevel(uint domain) => new("perf_level", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, domain, Words(Agent, domain, 1200));
    public static Raw PerfLimits(uint domain) => new("perf_limits", ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, domain, Words(Agent, domain, 2000, 400));
    public static Raw ClockRate(uint clock) => new("clock_rate", ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, clock, Words(Agent, clock, 0x3B9A_CA00, 0x1));
    public static Raw SensorTrip(uint sensor) => new("sensor_trip", ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, sensor, Words(Agent, sensor, 0x0001_0003));

    /// <summary>SENSOR_UPDATE of sensor 5, which the descriptions give 3 axes.</summary>
    public static Raw SensorUpdate3() => new("sensor_update_3axes", ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, 5,
        Words(Agent, 5, 100, 0, 1000, 0, unchecked((uint)-200), 0xFFFF_FFFF, 1001, 0, 300, 0, 1002, 0));

    public static Raw BaseError2() => new("base_error_2reports", ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, 0,
        Words(Agent, 0x8000_0002, 0x1234_5678, 0x9, 0xDEAD_BEEF, 0x10));

    public static Raw SystemPowerV2() => new("system_power_v2", ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 0, Words(Agent, 1, 0, 5000));
    public static Raw PowerState(uint domain) => new("power_state", ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, domain, Words(Agent, domain, 0x4000_0000));
    public static Raw ResetIssued(uint domain) => new("reset_issued", ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, domain, Words(Agent, domain, 0x1));
    public static Raw PowercapCap(uint domain) => new("powercap_cap", ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, domain, Words(Agent, domain, 15000, 1000));

    /// <summary>One event of each of the eight standard protocols that have notifications.</summary>
    public static Raw[] OnePerProtocol() =>
    [
        BaseError2(), PowerState(0), SystemPowerV2(), PerfLevel(0), ClockRate(0), SensorTrip(0), ResetIssued(0), PowercapCap(0),
    ];

    /// <summary>All eight notifying standard protocols; sensor 5 has 3 axes, system power is v2.</summary>
    public static PlatformDescription Full(string id, uint perfDomains = 4) => Describe(id,
        Protocol(ScmiProtocolId.Base, 2, 1),
        Protocol(ScmiProtocolId.Power, 3, 8),
        Protocol(ScmiProtocolId.System, 2, 1),
        Protocol(ScmiProtocolId.Perf, 4, perfDomains),
        Protocol(ScmiProtocolId.Clock, 3, 8),
        Protocol(ScmiProtocolId.Sensor, 3, 8) with { SensorAxes = ImmutableDictionary<uint, int>.Empty.Add(5, 3) },
        Protocol(ScmiProtocolId.Reset, 3, 8),
        Protocol(ScmiProtocolId.Powercap, 2, 4));

    /// <summary>Only the perf protocol.</summary>
    public static PlatformDescription PerfOnly(string id, uint domains) => Describe(id, Protocol(ScmiProtocolId.Perf, 4, domains));

    /// <summary>Perf and sensor (the flood case: one floods, the other is steady).</summary>
    public static PlatformDescription PerfAndSensor(string id) => Describe(id,
        Protocol(ScmiProtocolId.Perf, 4, 4), Protocol(ScmiProtocolId.Sensor, 3, 8));

    private static PlatformProtocol Protocol(byte id, ushort major, uint sources) =>
        PlatformProtocol.Create(id, new ProtocolVersion(major, 0), sources);

    private static PlatformDescription Describe(string id, params PlatformProtocol[] protocols) =>
        new(id, "in-memory", ImmutableSortedDictionary.CreateRange(protocols.Select(p => KeyValuePair.Create(p.ProtocolId, p))));
}
