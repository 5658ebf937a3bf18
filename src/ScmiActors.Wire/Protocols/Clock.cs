using System.Text.Json;
using static ScmiActors.Wire.Protocols.Payload;

// The clock protocol in one place: its reports, its descriptor (events, sizes, NOTIFY
// commands) and its decoders. Reports sit in ScmiActors.Wire beside ScmiReport, so that user code
// needs one namespace to receive them; the descriptor and decoders sit with the other protocols.

namespace ScmiActors.Wire
{
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
}

namespace ScmiActors.Wire.Protocols
{
    public static partial class StandardProtocols
    {
        public const string ClockRateChanged = "CLOCK_RATE_CHANGED";
        public const string ClockRateChangeRequested = "CLOCK_RATE_CHANGE_REQUESTED";

        public static ProtocolDescriptor Clock { get; } = new(ScmiProtocolId.Clock, "clock",
        [
            new EventDescriptor(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, ClockRateChanged, 16,
                ScmiCommands.Clock.RateNotify, DecodeClockRateChanged, NotifyPerSource),
            new EventDescriptor(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, ClockRateChangeRequested, 16,
                ScmiCommands.Clock.RateChangeRequestedNotify, DecodeClockRateRequested, NotifyPerSource),
        ], sourceCountKey: "clocks");

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
    }
}
