using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ScmiActors.Wire.Vendor;
using Xunit;
using static ScmiActors.Wire.Tests.Decoding;

namespace ScmiActors.Wire.Tests;

/// <summary>
/// Encode with the test's own wire model, decode with src, compare every field: one property per
/// event. Sources out of range are generated too, and must be rejected.
/// </summary>
public class RoundTripProperties
{
    private const int Runs = 300;

    /// <summary>True when the source is valid; otherwise asserts the source_out_of_range rejection.</summary>
    private static bool InRange(DecodeResult result, uint source, uint count)
    {
        if (source < count) return true;
        Assert.Equal(DecodeError.SourceOutOfRange, result.Error);
        Assert.Null(result.Report);
        return false;
    }

    [Property(MaxTest = Runs)]
    public Property BaseError_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from fatal in Gens.Bool
         from reserved in Gens.U32
         from count in Gens.Frequency((4, Gen.Choose(0, 12)), (1, Gen.Choose(0, 1023)))
         from reports in Gen.ArrayOf(Gens.U64, count)
         from extra in Gens.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 40)))
         select (agent, status: (fatal ? 0x8000_0000u : 0u) | (reserved & 0x7FFF_FC00u) | (uint)count, reports, extra)).ToArbitrary(),
        t =>
        {
            var extra = Math.Min(t.extra, 8 + 8 * 1024 - (8 + 8 * t.reports.Length));
            var report = Ok<BaseErrorEvent>(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, WireModel.BaseError(t.agent, t.status, t.reports, extra)));
            Assert.Equal(t.agent, report.AgentId);
            Assert.Equal(t.status, report.ErrorStatus);
            Assert.Equal((t.status & 0x8000_0000u) != 0, report.Fatal);
            Assert.Equal(t.reports.Length, report.CmdCount);
            Assert.Equal(t.reports, report.Reports.ToArray());
            Assert.Equal(0u, report.Source);
        });

    [Property(MaxTest = Runs)]
    public Property PowerStateChanged_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.PowerDomains)
         from state in Gens.U32
         select (agent, domain, state)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, WireModel.PowerState(t.agent, t.domain, t.state));
            if (!InRange(result, t.domain, TestPlatforms.PowerDomains)) return;
            var report = Ok<PowerStateChanged>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.state), (report.AgentId, report.DomainId, report.Source, report.PowerState));
        });

    [Property(MaxTest = Runs)]
    public Property SystemPower_round_trip() => Prop.ForAll(
        (from v2 in Gens.Bool
         from agent in Gens.U32
         from flags in Gens.U32
         from state in Gens.Frequency((3, Gen.Choose(0, 4).Select(x => (uint)x)), (1, Gens.U32))
         from timeout in Gens.U32
         select (v2, agent, flags, state, timeout)).ToArbitrary(),
        t =>
        {
            var payload = WireModel.SystemPower(t.agent, t.flags, t.state, t.v2 ? t.timeout : null);
            var platform = t.v2 ? TestPlatforms.Full : TestPlatforms.SystemV1;
            var report = Ok<SystemPowerStateNotifier>(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, payload,
                t.v2 ? TestPlatforms.Decoder : TestPlatforms.DecoderV1), platform.PlatformId);
            var expectedTimeout = t.v2 && (t.flags & 1) == 1 && t.state == 0 ? t.timeout : 0u;
            Assert.Equal((t.agent, t.flags, t.state, expectedTimeout), (report.AgentId, report.Flags, report.SystemState, report.Timeout));
            Assert.Equal(0u, report.Source);
        });

    [Property(MaxTest = Runs)]
    public Property PerfLimitsChanged_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.PerfDomains)
         from max in Gens.U32
         from min in Gens.U32
         select (agent, domain, max, min)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, WireModel.PerfLimits(t.agent, t.domain, t.max, t.min));
            if (!InRange(result, t.domain, TestPlatforms.PerfDomains)) return;
            var report = Ok<PerfLimitsChanged>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.max, t.min),
                (report.AgentId, report.DomainId, report.Source, report.RangeMax, report.RangeMin));
        });

    [Property(MaxTest = Runs)]
    public Property PerfLevelChanged_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.PerfDomains)
         from level in Gens.U32
         select (agent, domain, level)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, WireModel.PerfLevel(t.agent, t.domain, t.level));
            if (!InRange(result, t.domain, TestPlatforms.PerfDomains)) return;
            var report = Ok<PerfLevelChanged>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.level), (report.AgentId, report.DomainId, report.Source, report.PerformanceLevel));
        });

    [Property(MaxTest = Runs)]
    public Property Clock_round_trip_for_both_events() => Prop.ForAll(
        (from eventId in Gen.Elements((byte)0, (byte)1)
         from agent in Gens.U32
         from clock in Gens.Source(TestPlatforms.Clocks)
         from rate in Gens.U64
         select (eventId, agent, clock, rate)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Clock, t.eventId, WireModel.ClockRate(t.agent, t.clock, t.rate));
            if (!InRange(result, t.clock, TestPlatforms.Clocks)) return;
            var report = Ok<ClockRateChanged>(result);
            Assert.Equal((t.eventId, t.agent, t.clock, t.clock, t.rate), (report.Event, report.AgentId, report.ClockId, report.Source, report.Rate));
            Assert.Equal(t.eventId == 1, report.IsRequest);
        });

    [Property(MaxTest = Runs)]
    public Property SensorTripPoint_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from sensor in Gens.Source(TestPlatforms.Sensors)
         from desc in Gens.U32
         select (agent, sensor, desc)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, WireModel.SensorTripPoint(t.agent, t.sensor, t.desc));
            if (!InRange(result, t.sensor, TestPlatforms.Sensors)) return;
            var report = Ok<SensorTripPoint>(result);
            Assert.Equal((t.agent, t.sensor, t.sensor, t.desc), (report.AgentId, report.SensorId, report.Source, report.TripPointDesc));
            Assert.Equal((byte)(t.desc & 0xFF), report.TripPointId);
            Assert.Equal(((t.desc >> 16) & 1) == 1, report.Ascending);
        });

    [Property(MaxTest = Runs)]
    public Property SensorUpdate_round_trip_with_the_sensor_axis_count() => Prop.ForAll(
        (from agent in Gens.U32
         from sensor in Gens.Source(TestPlatforms.Sensors)
         let axes = TestPlatforms.SensorAxes.GetValueOrDefault(sensor, 1)
         from values in Gen.ArrayOf(Gens.I64, axes)
         from stamps in Gen.ArrayOf(Gens.U64, axes)
         from extra in Gens.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 48)))
         select (agent, sensor, readings: values.Zip(stamps).ToArray(), extra)).ToArbitrary(),
        t =>
        {
            var extra = Math.Min(t.extra, 8 + 16 * 63 - (8 + 16 * t.readings.Length));
            var result = Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, WireModel.SensorUpdate(t.agent, t.sensor, t.readings, extra));
            if (!InRange(result, t.sensor, TestPlatforms.Sensors)) return;
            var report = Ok<SensorUpdate>(result);
            Assert.Equal((t.agent, t.sensor, t.sensor), (report.AgentId, report.SensorId, report.Source));
            Assert.Equal(t.readings.Length, report.ReadingsCount);
            Assert.Equal(t.readings.Select(r => new SensorReading(r.First, r.Second)), report.Readings);
        });

    [Property(MaxTest = Runs)]
    public Property SensorUpdate_shorter_than_its_axes_is_rejected() => Prop.ForAll(
        (from sensor in Gen.Elements(0u, TestPlatforms.ThreeAxisSensor, TestPlatforms.MaxAxisSensor)
         let needed = 8 + 16 * TestPlatforms.SensorAxes.GetValueOrDefault(sensor, 1)
         from length in Gen.Choose(8, needed - 1)
         select (sensor, needed, length)).ToArbitrary(),
        t =>
        {
            var payload = WireModel.Resize(WireModel.Words(0, t.sensor), t.length);
            var result = Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, payload);
            Assert.Equal(DecodeError.PayloadTooShort, result.Error);
            Assert.Contains($"{t.needed}", result.Detail, StringComparison.Ordinal);
        });

    [Property(MaxTest = Runs)]
    public Property ResetIssued_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.ResetDomains)
         from state in Gens.U32
         select (agent, domain, state)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, WireModel.ResetIssued(t.agent, t.domain, t.state));
            if (!InRange(result, t.domain, TestPlatforms.ResetDomains)) return;
            var report = Ok<ResetIssued>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.state), (report.AgentId, report.DomainId, report.Source, report.ResetState));
        });

    [Property(MaxTest = Runs)]
    public Property PowercapCapChanged_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.PowercapDomains)
         from cap in Gens.U32
         from pai in Gens.U32
         select (agent, domain, cap, pai)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, WireModel.PowercapCap(t.agent, t.domain, t.cap, t.pai));
            if (!InRange(result, t.domain, TestPlatforms.PowercapDomains)) return;
            var report = Ok<PowercapCapChanged>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.cap, t.pai), (report.AgentId, report.DomainId, report.Source, report.PowerCap, report.Pai));
        });

    [Property(MaxTest = Runs)]
    public Property PowercapMeasurementsChanged_round_trip() => Prop.ForAll(
        (from agent in Gens.U32
         from domain in Gens.Source(TestPlatforms.PowercapDomains)
         from power in Gens.U32
         select (agent, domain, power)).ToArbitrary(),
        t =>
        {
            var result = Decode(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, WireModel.PowercapMeasurements(t.agent, t.domain, t.power));
            if (!InRange(result, t.domain, TestPlatforms.PowercapDomains)) return;
            var report = Ok<PowercapMeasurementsChanged>(result);
            Assert.Equal((t.agent, t.domain, t.domain, t.power), (report.AgentId, report.DomainId, report.Source, report.Power));
        });

    [Property(MaxTest = Runs)]
    public Property Bbm_rtc_round_trip() => Prop.ForAll(Gens.U32.ToArbitrary(), raw =>
    {
        // An RTC the test platform has (0 or 1) and at least one event bit; the rest of the word is kept as sent.
        var flags = (raw & 0x00FF_FFFF) | ((raw >> 24) & 1) << 24 | (((raw & 7) == 0) ? 1u : 0);
        var report = Ok<ImxBbmRtcEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, WireModel.Bbm(flags)));
        Assert.Equal(flags, report.Flags);
        Assert.Equal((flags >> 24) * 3 + (uint)System.Numerics.BitOperations.TrailingZeroCount(flags & 7), report.Source);
        Assert.Equal((byte)(flags >> 24), report.RtcId);
        Assert.Equal(0u, report.AgentId);
    });

    [Property(MaxTest = Runs)]
    public Property Bbm_button_round_trip() => Prop.ForAll(Gens.U32.ToArbitrary(), flags =>
    {
        var report = Ok<ImxBbmButtonEvent>(Decode(ImxBbm.ProtocolId, ImxBbm.Events.Button, WireModel.Bbm(flags)));
        Assert.Equal(flags, report.Flags);
        Assert.Equal(0u, report.Source);
        Assert.Equal(0u, report.AgentId);
    });

    [Property(MaxTest = Runs)]
    public Property Notify_per_source_matches_the_model() => Prop.ForAll(
        (from c in Gen.Elements(EventCases.All.Where(c => c.SourceCount is not null && c.Name != Protocols.StandardProtocols.PowercapMeasurementsChanged).ToArray())
         from source in Gens.U32
         from enable in Gens.Bool
         select (c, source, enable)).ToArbitrary(),
        t =>
        {
            var descriptor = TestPlatforms.Decoder.FindEvent(t.c.Protocol, t.c.Event)!;
            var command = descriptor.EncodeNotify(t.source, t.enable, TestPlatforms.Protocol(t.c.Protocol));
            Assert.Equal(WireModel.NotifyPerSource(t.source, t.enable), command.Payload);
        });
}
