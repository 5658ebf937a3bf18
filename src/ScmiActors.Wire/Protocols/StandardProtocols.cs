using System.Runtime.InteropServices;
using System.Collections.Immutable;
using static ScmiActors.Wire.Protocols.Payload;

namespace ScmiActors.Wire.Protocols;

/// <summary>
/// The twelve standard notifications of DEN0056 as event descriptors: size rules, source choice
/// and NOTIFY commands follow the Linux SCMI drivers, with the stricter lower-bound checks of
/// DESIGN.md for the variable-length events (BASE_ERROR_EVENT, SENSOR_UPDATE).
/// </summary>
public static class StandardProtocols
{
    /// <summary>Linux's limit on BASE_ERROR_EVENT reports.</summary>
    public const int MaxBaseErrorReports = 1024;

    /// <summary>Linux gives the base protocol a larger queue (16384 bytes) than the others.</summary>
    public const int BaseQueueBytes = 16384;

    public const string BaseErrorEvent = "BASE_ERROR_EVENT";
    public const string PowerStateChanged = "POWER_STATE_CHANGED";
    public const string SystemPowerStateNotifier = "SYSTEM_POWER_STATE_NOTIFIER";
    public const string PerformanceLimitsChanged = "PERFORMANCE_LIMITS_CHANGED";
    public const string PerformanceLevelChanged = "PERFORMANCE_LEVEL_CHANGED";
    public const string ClockRateChanged = "CLOCK_RATE_CHANGED";
    public const string ClockRateChangeRequested = "CLOCK_RATE_CHANGE_REQUESTED";
    public const string SensorTripPointEvent = "SENSOR_TRIP_POINT_EVENT";
    public const string SensorUpdate = "SENSOR_UPDATE";
    public const string ResetIssued = "RESET_ISSUED";
    public const string PowercapCapChanged = "POWERCAP_CAP_CHANGED";
    public const string PowercapMeasurementsChanged = "POWERCAP_MEASUREMENTS_CHANGED";

    public static ProtocolDescriptor Base { get; } = new(ScmiProtocolId.Base, "base",
    [
        new EventDescriptor(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, BaseErrorEvent, 8 + 8 * MaxBaseErrorReports,
            ScmiCommands.Base.NotifyErrors,
            DecodeBaseError, NotifyGlobal, fixedSourceCount: 1),
    ], defaultQueueBytes: BaseQueueBytes);

    public static ProtocolDescriptor Power { get; } = new(ScmiProtocolId.Power, "power",
    [
        new EventDescriptor(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, PowerStateChanged, 12,
            ScmiCommands.Power.StateNotify, DecodePowerState, NotifyPerSource),
    ], sourceCountKey: "domains");

    public static ProtocolDescriptor System { get; } = new(ScmiProtocolId.System, "system",
    [
        new EventDescriptor(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, SystemPowerStateNotifier, 16,
            ScmiCommands.System.PowerStateNotify,
            DecodeSystemPower, NotifyGlobal, fixedSourceCount: 1),
    ]);

    public static ProtocolDescriptor Perf { get; } = new(ScmiProtocolId.Perf, "perf",
    [
        new EventDescriptor(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, PerformanceLimitsChanged, 16,
            ScmiCommands.Perf.NotifyLimits, DecodePerfLimits, NotifyPerSource),
        new EventDescriptor(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, PerformanceLevelChanged, 12,
            ScmiCommands.Perf.NotifyLevel, DecodePerfLevel, NotifyPerSource),
    ], sourceCountKey: "domains");

    public static ProtocolDescriptor Clock { get; } = new(ScmiProtocolId.Clock, "clock",
    [
        new EventDescriptor(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, ClockRateChanged, 16,
            ScmiCommands.Clock.RateNotify, DecodeClockRateChanged, NotifyPerSource),
        new EventDescriptor(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, ClockRateChangeRequested, 16,
            ScmiCommands.Clock.RateChangeRequestedNotify, DecodeClockRateRequested, NotifyPerSource),
    ], sourceCountKey: "clocks");

    public static ProtocolDescriptor Sensor { get; } = new(ScmiProtocolId.Sensor, "sensor",
    [
        new EventDescriptor(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, SensorTripPointEvent, 12,
            ScmiCommands.Sensor.TripPointNotify, DecodeSensorTripPoint, NotifyPerSource),
        new EventDescriptor(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SensorUpdate, 8 + 16 * PlatformProtocol.MaxSensorAxes,
            ScmiCommands.Sensor.ContinuousUpdateNotify,
            DecodeSensorUpdate, NotifyPerSource),
    ], sourceCountKey: "sensors");

    public static ProtocolDescriptor Reset { get; } = new(ScmiProtocolId.Reset, "reset",
    [
        new EventDescriptor(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, ResetIssued, 12,
            ScmiCommands.Reset.Notify, DecodeResetIssued, NotifyPerSource),
    ], sourceCountKey: "domains");

    public static ProtocolDescriptor Powercap { get; } = new(ScmiProtocolId.Powercap, "powercap",
    [
        new EventDescriptor(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, PowercapCapChanged, 16,
            ScmiCommands.Powercap.CapNotify, DecodePowercapCap, NotifyPerSource),
        new EventDescriptor(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, PowercapMeasurementsChanged, 12,
            ScmiCommands.Powercap.MeasurementsNotify,
            DecodePowercapMeasurements, NotifyPowercapMeasurements),
    ], sourceCountKey: "domains");

    /// <summary>Voltage and pin control have no notifications; a description may still list them.</summary>
    public static ProtocolDescriptor Voltage { get; } = new(ScmiProtocolId.Voltage, "voltage", [], sourceCountKey: "domains");

    public static ProtocolDescriptor Pinctrl { get; } = new(ScmiProtocolId.Pinctrl, "pinctrl", []);

    public static ImmutableArray<ProtocolDescriptor> All { get; } =
        [Base, Power, System, Perf, Clock, Sensor, Reset, Voltage, Powercap, Pinctrl];

    // ---- decoders --------------------------------------------------------------------------

    private static DecodeResult DecodeBaseError(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        const int header = 8;
        if (p.Length < header) return DecodeResult.TooShort(BaseErrorEvent, header, p.Length);
        var status = U32(p, 4);
        var count = (int)(status & 0x3FF);
        var needed = header + 8 * count;
        if (p.Length < needed) return DecodeResult.TooShort(BaseErrorEvent, needed, p.Length);
        if (p.Length > header + 8 * MaxBaseErrorReports)
            return DecodeResult.TooLong(BaseErrorEvent, header + 8 * MaxBaseErrorReports, p.Length);
        ImmutableArray<ulong> reports;
        if (count == 0)
        {
            reports = ImmutableArray<ulong>.Empty;
        }
        else
        {
            var array = new ulong[count];
            for (var i = 0; i < count; i++) array[i] = U64(p, header + 8 * i);
            reports = ImmutableCollectionsMarshal.AsImmutableArray(array);
        }
        return DecodeResult.Ok(new BaseErrorEvent(c.PlatformId, c.TimestampNs, U32(p, 0), status, reports));
    }

    private static DecodeResult DecodePowerState(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 12, PowerStateChanged, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, PowerStateChanged, out bad)) return bad;
        return DecodeResult.Ok(new PowerStateChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
    }

    private static DecodeResult DecodeSystemPower(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        // Version 2.0 added the timeout word; the size rule depends on the negotiated version.
        var v2 = c.Protocol.Version.Major >= 2;
        if (!IsExactly(p, v2 ? 16 : 12, SystemPowerStateNotifier, out var bad)) return bad;
        var flags = U32(p, 4);
        var state = U32(p, 8);
        var timeout = v2 && state == (uint)SystemState.Shutdown && (flags & 1) != 0 ? U32(p, 12) : 0;
        return DecodeResult.Ok(new SystemPowerStateNotifier(c.PlatformId, c.TimestampNs, U32(p, 0), flags, state, timeout));
    }

    private static DecodeResult DecodePerfLimits(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 16, PerformanceLimitsChanged, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, PerformanceLimitsChanged, out bad)) return bad;
        return DecodeResult.Ok(new PerfLimitsChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8), U32(p, 12)));
    }

    private static DecodeResult DecodePerfLevel(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 12, PerformanceLevelChanged, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, PerformanceLevelChanged, out bad)) return bad;
        return DecodeResult.Ok(new PerfLevelChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
    }

    private static DecodeResult DecodeClockRateChanged(ReadOnlySpan<byte> p, in DecodeContext c) =>
        DecodeClock(p, in c, ScmiEvents.Clock.RateChanged, ClockRateChanged);

    private static DecodeResult DecodeClockRateRequested(ReadOnlySpan<byte> p, in DecodeContext c) =>
        DecodeClock(p, in c, ScmiEvents.Clock.RateChangeRequested, ClockRateChangeRequested);

    private static DecodeResult DecodeClock(ReadOnlySpan<byte> p, in DecodeContext c, byte eventId, string name)
    {
        if (!IsExactly(p, 16, name, out var bad)) return bad;
        var clock = U32(p, 4);
        if (!InRange(clock, c.Protocol.SourceCount, name, out bad)) return bad;
        return DecodeResult.Ok(new ClockRateChanged(c.PlatformId, eventId, c.TimestampNs, U32(p, 0), clock, U64(p, 8)));
    }

    private static DecodeResult DecodeSensorTripPoint(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 12, SensorTripPointEvent, out var bad)) return bad;
        var sensor = U32(p, 4);
        if (!InRange(sensor, c.Protocol.SourceCount, SensorTripPointEvent, out bad)) return bad;
        return DecodeResult.Ok(new SensorTripPoint(c.PlatformId, c.TimestampNs, U32(p, 0), sensor, U32(p, 8)));
    }

    private static DecodeResult DecodeSensorUpdate(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        const int header = 8;
        const int perAxis = 16;
        const int longest = header + perAxis * PlatformProtocol.MaxSensorAxes;
        if (p.Length < header) return DecodeResult.TooShort(SensorUpdate, header + perAxis, p.Length);
        if (p.Length > longest) return DecodeResult.TooLong(SensorUpdate, longest, p.Length);
        var sensor = U32(p, 4);
        if (!InRange(sensor, c.Protocol.SourceCount, SensorUpdate, out var bad)) return bad;
        // The reading count is the sensor's axis count (1 for a scalar sensor); extra bytes are ignored.
        var axes = Math.Clamp(c.Protocol.AxesOf(sensor), 1, PlatformProtocol.MaxSensorAxes);
        var needed = header + perAxis * axes;
        if (p.Length < needed) return DecodeResult.TooShort(SensorUpdate, needed, p.Length);
        var readings = new SensorReading[axes];
        for (var i = 0; i < axes; i++)
        {
            var at = header + perAxis * i;
            readings[i] = new SensorReading((long)U64(p, at), U64(p, at + 8));
        }
        return DecodeResult.Ok(new Wire.SensorUpdate(c.PlatformId, c.TimestampNs, U32(p, 0), sensor,
            ImmutableCollectionsMarshal.AsImmutableArray(readings)));
    }

    private static DecodeResult DecodeResetIssued(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 12, ResetIssued, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, ResetIssued, out bad)) return bad;
        return DecodeResult.Ok(new Wire.ResetIssued(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
    }

    private static DecodeResult DecodePowercapCap(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 16, PowercapCapChanged, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, PowercapCapChanged, out bad)) return bad;
        return DecodeResult.Ok(new Wire.PowercapCapChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8), U32(p, 12)));
    }

    private static DecodeResult DecodePowercapMeasurements(ReadOnlySpan<byte> p, in DecodeContext c)
    {
        if (!IsExactly(p, 12, PowercapMeasurementsChanged, out var bad)) return bad;
        var domain = U32(p, 4);
        if (!InRange(domain, c.Protocol.SourceCount, PowercapMeasurementsChanged, out bad)) return bad;
        return DecodeResult.Ok(new Wire.PowercapMeasurementsChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
    }

    /// <summary>
    /// <c>domain_id, notify_enable, power_thresh_low, power_thresh_high</c>. Without configured
    /// thresholds the whole range is sent (Linux refuses both zero).
    /// </summary>
    private static int NotifyPowercapMeasurements(uint source, bool enable, PlatformProtocol protocol, Span<byte> destination)
    {
        var (low, high) = protocol.MeasurementThresholds ?? (0u, uint.MaxValue);
        WriteU32(destination, 0, source);
        WriteU32(destination, 4, enable ? 1u : 0u);
        WriteU32(destination, 8, low);
        WriteU32(destination, 12, high);
        return 16;
    }
}
