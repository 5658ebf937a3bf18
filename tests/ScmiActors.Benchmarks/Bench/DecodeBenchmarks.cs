using BenchmarkDotNet.Attributes;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Benchmarks.Bench;

/// <summary>
/// PlatformDecoder.Decode per standard event: header checks, protocol and event lookup, size and
/// source rules, and the report record. The allocated bytes are the report (plus its reading or
/// report array for SENSOR_UPDATE and BASE_ERROR_EVENT); a rejection allocates nothing.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private PlatformDecoder _decoder = null!;
    private Events.Raw _perfLevel = null!, _perfLimits = null!, _clockRate = null!, _sensorTrip = null!, _sensorUpdate = null!,
        _baseError = null!, _systemPower = null!, _powerState = null!;
    private Events.Raw _badSource = null!, _tooShort = null!;
    private const long Timestamp = 123_456_789;

    [GlobalSetup]
    public void Setup()
    {
        _decoder = new PlatformDecoder(Events.Full("bench"), ProtocolCatalogs.Default);
        _perfLevel = Events.PerfLevel(2);
        _perfLimits = Events.PerfLimits(2);
        _clockRate = Events.ClockRate(3);
        _sensorTrip = Events.SensorTrip(1);
        _sensorUpdate = Events.SensorUpdate3();
        _baseError = Events.BaseError2();
        _systemPower = Events.SystemPowerV2();
        _powerState = Events.PowerState(4);
        _badSource = Events.PerfLevel(99); // perf has 4 domains
        _tooShort = Events.PerfLevel(1) with { Payload = Events.Words(Events.Agent, 1) };
        foreach (var raw in new[] { _perfLevel, _perfLimits, _clockRate, _sensorTrip, _sensorUpdate, _baseError, _systemPower, _powerState })
        {
            var result = Decode(raw);
            if (!result.IsSuccess) throw new InvalidOperationException($"{raw.Name}: {result}");
        }
        if (Decode(_badSource).Error != DecodeError.SourceOutOfRange || Decode(_tooShort).Error != DecodeError.PayloadTooShort)
            throw new InvalidOperationException("rejection cases do not reject as expected");
    }

    private DecodeResult Decode(Events.Raw raw) => _decoder.Decode(raw.Header, raw.Payload, Timestamp);

    [Benchmark(Baseline = true)] public ScmiReport? PerfLevel() => Decode(_perfLevel).Report;
    [Benchmark] public ScmiReport? PerfLimits() => Decode(_perfLimits).Report;
    [Benchmark] public ScmiReport? ClockRate() => Decode(_clockRate).Report;
    [Benchmark] public ScmiReport? SensorTrip() => Decode(_sensorTrip).Report;
    [Benchmark] public ScmiReport? SensorUpdate3Axes() => Decode(_sensorUpdate).Report;
    [Benchmark] public ScmiReport? BaseError2Reports() => Decode(_baseError).Report;
    [Benchmark] public ScmiReport? SystemPowerV2() => Decode(_systemPower).Report;
    [Benchmark] public ScmiReport? PowerState() => Decode(_powerState).Report;
    [Benchmark] public DecodeError RejectSourceOutOfRange() => Decode(_badSource).Error;
    [Benchmark] public DecodeError RejectTooShort() => Decode(_tooShort).Error;
}
