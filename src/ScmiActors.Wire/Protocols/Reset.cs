using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The reset protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string ResetIssued = "RESET_ISSUED";

        public static ProtocolDescriptor Reset { get; } = new(ScmiProtocolId.Reset, "reset",
        [
            new EventDescriptor(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, ResetIssued, 12,
                ScmiCommands.Reset.Notify, DecodeResetIssued, NotifyPerSource),
        ], sourceCountKey: "domains");

        private static DecodeResult DecodeResetIssued(ReadOnlySpan<byte> p, in DecodeContext c)
        {
            if (!IsExactly(p, 12, ResetIssued, out var bad)) return bad;
            var domain = U32(p, 4);
            if (!InRange(domain, c.Protocol.SourceCount, ResetIssued, out bad)) return bad;
            return DecodeResult.Ok(new Wire.ResetIssued(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
        }
    }
}
