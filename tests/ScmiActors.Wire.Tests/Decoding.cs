using ScmiActors.Wire.Vendor;
using Xunit;
using SP = ScmiActors.Wire.Protocols.StandardProtocols;

namespace ScmiActors.Wire.Tests;

/// <summary>Decode helpers shared by the tests: fixed timestamp, success and rejection assertions.</summary>
public static class Decoding
{
    public const long Timestamp = 987_654_321_012L;

    public static DecodeResult Decode(byte protocol, byte eventId, byte[] payload, PlatformDecoder? decoder = null) =>
        (decoder ?? TestPlatforms.Decoder).Decode(WireModel.Header(protocol, eventId), payload, Timestamp);

    /// <summary>Asserts a successful decode into a <typeparamref name="T"/> with the platform's id and the timestamp.</summary>
    public static T Ok<T>(DecodeResult result, string platformId = TestPlatforms.PlatformId) where T : ScmiReport
    {
        Assert.True(result.IsSuccess, $"expected a report, got {result}");
        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal("none", result.Code);
        var report = Assert.IsType<T>(result.Report);
        Assert.Equal(platformId, report.PlatformId);
        Assert.Equal(Timestamp, report.TimestampNs);
        return report;
    }

    /// <summary>Asserts a rejection with <paramref name="error"/>, its code, and a detail text that contains every fragment.</summary>
    public static void Rejected(DecodeResult result, DecodeError error, string code, params string[] detailContains)
    {
        Assert.False(result.IsSuccess, $"expected {code}, got a report: {result.Report}");
        Assert.Null(result.Report);
        Assert.Equal(error, result.Error);
        Assert.Equal(code, result.Code);
        var detail = result.Detail;
        Assert.False(string.IsNullOrWhiteSpace(detail));
        foreach (var fragment in detailContains) Assert.Contains(fragment, detail, StringComparison.Ordinal);
        Assert.Contains(code, result.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>One event as the generic size and source tests see it.</summary>
/// <param name="ExactSize">The exact payload size, or null for an "at least" event.</param>
/// <param name="SourceCount">The number of sources on <see cref="TestPlatforms.Full"/>, or null when the source does not come from the payload's id word.</param>
/// <param name="Build">A valid payload about the given source.</param>
public sealed record EventCase(string Name, byte Protocol, byte Event, int MinSize, int? ExactSize, uint? SourceCount, Func<uint, byte[]> Build)
{
    public override string ToString() => Name;
}

public static class EventCases
{
    private const uint Agent = 3;

    public static IReadOnlyList<EventCase> All { get; } =
    [
        new(SP.BaseErrorEvent, ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, 8, null, null, _ => WireModel.BaseError(Agent, 1, [0x1122_3344_5566_7788UL])),
        new(SP.PowerStateChanged, ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 12, 12, TestPlatforms.PowerDomains, s => WireModel.PowerState(Agent, s, 0x4000_0000)),
        new(SP.SystemPowerStateNotifier, ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 16, 16, null, _ => WireModel.SystemPower(Agent, 1, 0, 5000)),
        new(SP.PerformanceLimitsChanged, ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, 16, 16, TestPlatforms.PerfDomains, s => WireModel.PerfLimits(Agent, s, 900, 100)),
        new(SP.PerformanceLevelChanged, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 12, 12, TestPlatforms.PerfDomains, s => WireModel.PerfLevel(Agent, s, 750)),
        new(SP.ClockRateChanged, ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, 16, 16, TestPlatforms.Clocks, s => WireModel.ClockRate(Agent, s, 1_800_000_000UL)),
        new(SP.ClockRateChangeRequested, ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, 16, 16, TestPlatforms.Clocks, s => WireModel.ClockRate(Agent, s, 5_000_000_000UL)),
        new(SP.SensorTripPointEvent, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 12, 12, TestPlatforms.Sensors, s => WireModel.SensorTripPoint(Agent, s, 0x1_0002)),
        // Sensor 7 (the last one) and sensor 8 are scalar on the test platform: one reading, 24 bytes.
        new(SP.SensorUpdate, ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, 24, null, TestPlatforms.Sensors, s => WireModel.SensorUpdate(Agent, s, [(-40, 77UL)])),
        new(SP.ResetIssued, ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 12, 12, TestPlatforms.ResetDomains, s => WireModel.ResetIssued(Agent, s, 0)),
        new(SP.PowercapCapChanged, ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, 16, 16, TestPlatforms.PowercapDomains, s => WireModel.PowercapCap(Agent, s, 15_000, 100)),
        new(SP.PowercapMeasurementsChanged, ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, 12, 12, TestPlatforms.PowercapDomains, s => WireModel.PowercapMeasurements(Agent, s, 12_345)),
        new(ImxBbm.RtcEvent, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, 4, 4, null, _ => WireModel.Bbm(0x0100_0001)),
        new(ImxBbm.ButtonEvent, ImxBbm.ProtocolId, ImxBbm.Events.Button, 4, 4, null, _ => WireModel.Bbm(1)),
        new(ImxMisc.ControlEvent, ImxMisc.ProtocolId, ImxMisc.Events.Control, 8, 8, null, _ => [0x01, 0x80, 0, 0, 1, 0, 0, 0]),
    ];

    public static EventCase Get(string name) => All.Single(c => c.Name == name);

    public static TheoryData<string> Names() => [.. All.Select(c => c.Name)];
    public static TheoryData<string> ExactSizeNames() => [.. All.Where(c => c.ExactSize is not null).Select(c => c.Name)];
    public static TheoryData<string> PerSourceNames() => [.. All.Where(c => c.SourceCount is not null).Select(c => c.Name)];
}
