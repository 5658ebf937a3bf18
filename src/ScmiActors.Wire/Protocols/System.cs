using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The system power protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string SystemPowerStateNotifier = "SYSTEM_POWER_STATE_NOTIFIER";

        public static ProtocolDescriptor System { get; } = new(ScmiProtocolId.System, "system",
        [
            new EventDescriptor(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, SystemPowerStateNotifier, 16,
                ScmiCommands.System.PowerStateNotify,
                DecodeSystemPower, NotifyGlobal, fixedSourceCount: 1),
        ]);

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
    }
}
