using ScmiActors.Wire.Catalogs;
using System.Collections.Immutable;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Wire.Tests;

/// <summary>
/// The platform descriptions the wire tests decode against: every standard protocol with
/// notifications, voltage (no notifications) and the i.MX BBM and MISC vendor protocols.
/// </summary>
public static class TestPlatforms
{
    public const string PlatformId = "soc0";

    public const uint PowerDomains = 8;
    public const uint PerfDomains = 4;
    public const uint Clocks = 8;
    public const uint Sensors = 8;
    public const uint ResetDomains = 6;
    public const uint PowercapDomains = 4;
    public const uint VoltageDomains = 2;

    /// <summary>As the imx-sm firmware: RTC 0 "bbnsm" and RTC 1 "pmic"; 2 device and 4 board controls.</summary>
    public const uint BbmRtcs = 2;
    public const uint MiscDeviceControls = 2;
    public const uint MiscBoardControls = 4;

    /// <summary>Sensor 5 has three axes, sensor 6 the maximum of 63; all others are scalar.</summary>
    public const uint ThreeAxisSensor = 5;
    public const uint MaxAxisSensor = 6;

    public static readonly ImmutableDictionary<uint, int> SensorAxes =
        ImmutableDictionary<uint, int>.Empty.Add(ThreeAxisSensor, 3).Add(MaxAxisSensor, PlatformProtocol.MaxSensorAxes);

    public static readonly (uint Low, uint High) Thresholds = (0x0000_0100, 0x0002_0000);

    public static ProtocolVersion V(ushort major, ushort minor = 0) => new(major, minor);

    /// <summary>The full platform; system power protocol version 2.0 (timeout word present).</summary>
    public static PlatformDescription Full { get; } = Build(PlatformId, systemVersion: V(2));

    /// <summary>The same platform with system power protocol version 1.0 (12-byte notifications).</summary>
    public static PlatformDescription SystemV1 { get; } = Build("soc-v1", systemVersion: V(1));

    /// <summary>The full platform with powercap measurement thresholds configured.</summary>
    public static PlatformDescription WithThresholds { get; } = Full with
    {
        PlatformId = "soc-thresholds",
        Protocols = Full.Protocols.SetItem(ScmiProtocolId.Powercap,
            Full.Protocols[ScmiProtocolId.Powercap] with { MeasurementThresholds = Thresholds }),
    };

    /// <summary>A platform that implements only base and perf.</summary>
    public static PlatformDescription Minimal { get; } = new("soc-min", "in-memory",
        ImmutableSortedDictionary<byte, PlatformProtocol>.Empty
            .Add(ScmiProtocolId.Base, PlatformProtocol.Create(ScmiProtocolId.Base, V(2), 0))
            .Add(ScmiProtocolId.Perf, PlatformProtocol.Create(ScmiProtocolId.Perf, V(4), PerfDomains)));

    public static PlatformDecoder Decoder { get; } = new(Full, ProtocolCatalogs.Default);
    public static PlatformDecoder DecoderV1 { get; } = new(SystemV1, ProtocolCatalogs.Default);

    public static PlatformProtocol Protocol(byte id) => Full.Protocols[id];

    private static PlatformDescription Build(string platformId, ProtocolVersion systemVersion)
    {
        var protocols = new[]
        {
            PlatformProtocol.Create(ScmiProtocolId.Base, V(2), 0),
            PlatformProtocol.Create(ScmiProtocolId.Power, V(3), PowerDomains),
            PlatformProtocol.Create(ScmiProtocolId.System, systemVersion, 0),
            PlatformProtocol.Create(ScmiProtocolId.Perf, V(4), PerfDomains),
            PlatformProtocol.Create(ScmiProtocolId.Clock, V(3), Clocks),
            PlatformProtocol.Create(ScmiProtocolId.Sensor, V(3), Sensors) with { SensorAxes = SensorAxes },
            PlatformProtocol.Create(ScmiProtocolId.Reset, V(3), ResetDomains),
            PlatformProtocol.Create(ScmiProtocolId.Voltage, V(2), VoltageDomains),
            PlatformProtocol.Create(ScmiProtocolId.Powercap, V(2), PowercapDomains),
            PlatformProtocol.Create(ImxBbm.ProtocolId, V(1), BbmRtcs),
            PlatformProtocol.Create(ImxMisc.ProtocolId, V(1, 1), MiscDeviceControls) with
            {
                Counts = ImmutableDictionary<string, uint>.Empty.Add(ImxMisc.BoardControlsKey, MiscBoardControls),
            },
        };
        return new PlatformDescription(platformId, "in-memory",
            protocols.ToImmutableSortedDictionary(p => p.ProtocolId, p => p));
    }
}
