using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The power protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string PowerStateChanged = "POWER_STATE_CHANGED";

        public static ProtocolDescriptor Power { get; } = new(ScmiProtocolId.Power, "power",
        [
            new EventDescriptor(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, PowerStateChanged, 12,
                ScmiCommands.Power.StateNotify, DecodePowerState, NotifyPerSource),
        ], sourceCountKey: "domains");

        private static DecodeResult DecodePowerState(ReadOnlySpan<byte> p, in DecodeContext c)
        {
            if (!IsExactly(p, 12, PowerStateChanged, out var bad)) return bad;
            var domain = U32(p, 4);
            if (!InRange(domain, c.Protocol.SourceCount, PowerStateChanged, out bad)) return bad;
            return DecodeResult.Ok(new PowerStateChanged(c.PlatformId, c.TimestampNs, U32(p, 0), domain, U32(p, 8)));
        }
    }
}
