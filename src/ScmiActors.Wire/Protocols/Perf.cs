using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The performance protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string PerformanceLimitsChanged = "PERFORMANCE_LIMITS_CHANGED";
        public const string PerformanceLevelChanged = "PERFORMANCE_LEVEL_CHANGED";

        public static ProtocolDescriptor Perf { get; } = new(ScmiProtocolId.Perf, "perf",
        [
            new EventDescriptor(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, PerformanceLimitsChanged, 16,
                ScmiCommands.Perf.NotifyLimits, DecodePerfLimits, NotifyPerSource),
            new EventDescriptor(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, PerformanceLevelChanged, 12,
                ScmiCommands.Perf.NotifyLevel, DecodePerfLevel, NotifyPerSource),
        ], sourceCountKey: "domains");

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
    }
}
