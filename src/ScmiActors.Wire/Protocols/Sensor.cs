using System.Runtime.InteropServices;
using System.Text.Json;
using System.Collections.Immutable;
using static ScmiActors.Wire.Protocols.Payload;

// The sensor protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string SensorTripPointEvent = "SENSOR_TRIP_POINT_EVENT";
        public const string SensorUpdate = "SENSOR_UPDATE";

        public static ProtocolDescriptor Sensor { get; } = new(ScmiProtocolId.Sensor, "sensor",
        [
            new EventDescriptor(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, SensorTripPointEvent, 12,
                ScmiCommands.Sensor.TripPointNotify, DecodeSensorTripPoint, NotifyPerSource),
            new EventDescriptor(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SensorUpdate, 8 + 16 * PlatformProtocol.MaxSensorAxes,
                ScmiCommands.Sensor.ContinuousUpdateNotify,
                DecodeSensorUpdate, NotifyPerSource),
        ], sourceCountKey: "sensors");

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
    }
}
