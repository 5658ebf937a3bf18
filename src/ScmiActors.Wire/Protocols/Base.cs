using System.Runtime.InteropServices;
using System.Text.Json;
using System.Collections.Immutable;
using static ScmiActors.Wire.Protocols.Payload;

// The base protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        /// <summary>Linux's limit on BASE_ERROR_EVENT reports.</summary>
        public const int MaxBaseErrorReports = 1024;
        /// <summary>Linux gives the base protocol a larger queue (16384 bytes) than the others.</summary>
        public const int BaseQueueBytes = 16384;
        public const string BaseErrorEvent = "BASE_ERROR_EVENT";

        public static ProtocolDescriptor Base { get; } = new(ScmiProtocolId.Base, "base",
        [
            new EventDescriptor(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, BaseErrorEvent, 8 + 8 * MaxBaseErrorReports,
                ScmiCommands.Base.NotifyErrors,
                DecodeBaseError, NotifyGlobal, fixedSourceCount: 1),
        ], defaultQueueBytes: BaseQueueBytes);

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
    }
}
