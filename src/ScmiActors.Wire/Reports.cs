using System.Collections.Immutable;
using System.Text.Json;

namespace ScmiActors.Wire;

/// <summary>
/// One decoded notification, immutable, delivered to every matching subscriber. Derived records
/// add the event's fields; <see cref="WriteFields"/> writes them by their snake_case wire names.
/// </summary>
public abstract record ScmiReport(string PlatformId, byte Protocol, byte Event, uint Source, long TimestampNs, uint AgentId)
{
    /// <summary>Writes the event's fields (agent_id first) as properties of the current JSON object.</summary>
    public virtual void WriteFields(Utf8JsonWriter writer) => writer.WriteNumber("agent_id", AgentId);
}

// ---- Base (0x10) ---------------------------------------------------------------------------

/// <summary>BASE_ERROR_EVENT: errors caused by an agent's commands; source is always 0.</summary>
public sealed record BaseErrorEvent(string PlatformId, long TimestampNs, uint AgentId, uint ErrorStatus, ImmutableArray<ulong> Reports)
    : ScmiReport(PlatformId, ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, 0, TimestampNs, AgentId)
{
    public bool Fatal => (ErrorStatus & 0x8000_0000u) != 0;
    public int CmdCount => (int)(ErrorStatus & 0x3FF);

    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteBoolean("fatal", Fatal);
        writer.WriteNumber("cmd_count", CmdCount);
        writer.WriteStartArray("reports");
        foreach (var r in Reports) writer.WriteNumberValue(r);
        writer.WriteEndArray();
    }
}

// ---- Power (0x11) --------------------------------------------------------------------------

/// <summary>POWER_STATE_CHANGED: bit30 of <see cref="PowerState"/> is the state type, bits 27:0 the id.</summary>
public sealed record PowerStateChanged(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint PowerState)
    : ScmiReport(PlatformId, ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("power_state", PowerState);
    }
}

// ---- System power (0x12) -------------------------------------------------------------------

/// <summary>Values of SYSTEM_POWER_STATE_NOTIFIER's system_state.</summary>
public enum SystemState : uint { Shutdown = 0, ColdReset = 1, WarmReset = 2, PowerUp = 3, Suspend = 4 }

/// <summary>
/// SYSTEM_POWER_STATE_NOTIFIER. <see cref="Timeout"/> (ms) is the wire value only for a graceful
/// shutdown on protocol version 2.0 or later, otherwise 0 (as Linux).
/// </summary>
public sealed record SystemPowerStateNotifier(string PlatformId, long TimestampNs, uint AgentId, uint Flags, uint SystemState, uint Timeout)
    : ScmiReport(PlatformId, ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 0, TimestampNs, AgentId)
{
    public bool Graceful => (Flags & 1) != 0;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("flags", Flags);
        writer.WriteNumber("system_state", SystemState);
        writer.WriteNumber("timeout", Timeout);
    }
}

// ---- Performance (0x13) --------------------------------------------------------------------

/// <summary>PERFORMANCE_LIMITS_CHANGED: range_max then range_min on the wire.</summary>
public sealed record PerfLimitsChanged(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint RangeMax, uint RangeMin)
    : ScmiReport(PlatformId, ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("range_max", RangeMax);
        writer.WriteNumber("range_min", RangeMin);
    }
}

/// <summary>PERFORMANCE_LEVEL_CHANGED.</summary>
public sealed record PerfLevelChanged(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint PerformanceLevel)
    : ScmiReport(PlatformId, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("performance_level", PerformanceLevel);
    }
}

// ---- Clock (0x14) --------------------------------------------------------------------------

/// <summary>CLOCK_RATE_CHANGED (event 0) and CLOCK_RATE_CHANGE_REQUESTED (event 1); rate in Hz.</summary>
public sealed record ClockRateChanged(string PlatformId, byte Event, long TimestampNs, uint AgentId, uint ClockId, ulong Rate)
    : ScmiReport(PlatformId, ScmiProtocolId.Clock, Event, ClockId, TimestampNs, AgentId)
{
    /// <summary>True for CLOCK_RATE_CHANGE_REQUESTED (the rate is requested, not yet applied).</summary>
    public bool IsRequest => Event == ScmiEvents.Clock.RateChangeRequested;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("clock_id", ClockId);
        writer.WriteNumber("rate", Rate);
    }
}

// ---- Sensor (0x15) -------------------------------------------------------------------------

/// <summary>SENSOR_TRIP_POINT_EVENT: bits 7:0 of the descriptor are the trip point id, bit16 the direction.</summary>
public sealed record SensorTripPoint(string PlatformId, long TimestampNs, uint AgentId, uint SensorId, uint TripPointDesc)
    : ScmiReport(PlatformId, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, SensorId, TimestampNs, AgentId)
{
    public byte TripPointId => (byte)TripPointDesc;
    /// <summary>True when the value crossed the trip point upwards.</summary>
    public bool Ascending => (TripPointDesc & 0x1_0000) != 0;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("sensor_id", SensorId);
        writer.WriteNumber("trip_point_desc", TripPointDesc);
        writer.WriteNumber("trip_point_id", TripPointId);
        writer.WriteBoolean("ascending", Ascending);
    }
}

/// <summary>One axis reading of a SENSOR_UPDATE: a signed 64-bit value and its timestamp.</summary>
public readonly record struct SensorReading(long Value, ulong Timestamp);

/// <summary>SENSOR_UPDATE: one reading per axis (one for a scalar sensor).</summary>
public sealed record SensorUpdate(string PlatformId, long TimestampNs, uint AgentId, uint SensorId, ImmutableArray<SensorReading> Readings)
    : ScmiReport(PlatformId, ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SensorId, TimestampNs, AgentId)
{
    public int ReadingsCount => Readings.Length;

    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("sensor_id", SensorId);
        writer.WriteNumber("readings_count", ReadingsCount);
        writer.WriteStartArray("readings");
        foreach (var r in Readings)
        {
            writer.WriteStartObject();
            writer.WriteNumber("value", r.Value);
            writer.WriteNumber("timestamp", r.Timestamp);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}

// ---- Reset (0x16) --------------------------------------------------------------------------

/// <summary>RESET_ISSUED: bit31 of the reset state is set for an implementation-defined reset.</summary>
public sealed record ResetIssued(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint ResetState)
    : ScmiReport(PlatformId, ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("reset_state", ResetState);
    }
}

// ---- Powercap (0x18) -----------------------------------------------------------------------

/// <summary>POWERCAP_CAP_CHANGED: the new cap and power averaging interval.</summary>
public sealed record PowercapCapChanged(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint PowerCap, uint Pai)
    : ScmiReport(PlatformId, ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("power_cap", PowerCap);
        writer.WriteNumber("pai", Pai);
    }
}

/// <summary>POWERCAP_MEASUREMENTS_CHANGED: the average power crossed the configured thresholds.</summary>
public sealed record PowercapMeasurementsChanged(string PlatformId, long TimestampNs, uint AgentId, uint DomainId, uint Power)
    : ScmiReport(PlatformId, ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, DomainId, TimestampNs, AgentId)
{
    public override void WriteFields(Utf8JsonWriter writer)
    {
        base.WriteFields(writer);
        writer.WriteNumber("domain_id", DomainId);
        writer.WriteNumber("power", Power);
    }
}
