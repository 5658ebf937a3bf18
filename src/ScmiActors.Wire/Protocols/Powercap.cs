using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The powercap protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string PowercapCapChanged = "POWERCAP_CAP_CHANGED";
        public const string PowercapMeasurementsChanged = "POWERCAP_MEASUREMENTS_CHANGED";

        public static ProtocolDescriptor Powercap { get; } = new(ScmiProtocolId.Powercap, "powercap",
        [
            new EventDescriptor(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, PowercapCapChanged, 16,
                ScmiCommands.Powercap.CapNotify, DecodePowercapCap, NotifyPerSource),
            new EventDescriptor(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, PowercapMeasurementsChanged, 12,
                ScmiCommands.Powercap.MeasurementsNotify,
                DecodePowercapMeasurements, NotifyPowercapMeasurements),
        ], sourceCountKey: "domains");

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
}
