using Akka.Actor;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ScmiActors.Serialization;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Bench;

/// <summary>
/// Serialize + deserialize of one report (what a remote subscriber costs per report), by the
/// Protocol Buffers <see cref="ScmiSerializer"/> against the hand-written
/// <see cref="LegacyScmiSerializer"/> it replaced (the baseline), side by side in one run.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SerializerBenchmarks
{
    private ActorSystem _system = null!;
    private ScmiSerializer _proto = null!;
    private LegacyScmiSerializer _legacy = null!;
    private PerfLevelChanged _perfLevel = null!;
    private SensorUpdate _sensorUpdate = null!;
    private string _perfManifest = null!, _sensorManifest = null!;
    private byte[] _perfLegacyBytes = null!, _perfProtoBytes = null!, _sensorLegacyBytes = null!, _sensorProtoBytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("serializer-bench", ScmiSerializer.SerializationConfig);
        var extended = (ExtendedActorSystem)_system;
        _proto = new ScmiSerializer(extended);
        _legacy = new LegacyScmiSerializer(extended);
        _perfLevel = new PerfLevelChanged("soc0", 1_700_000_000_123_456_789, 1, 2, 1200);
        _sensorUpdate = new SensorUpdate("soc0", 1_700_000_000_123_456_789, 1, 3,
            [new SensorReading(45_250, 1_700_000_000_000_000_001), new SensorReading(-12, 1_700_000_000_000_000_002), new SensorReading(3_300, 1_700_000_000_000_000_003)]);
        _perfManifest = _proto.Manifest(_perfLevel);
        _sensorManifest = _proto.Manifest(_sensorUpdate);
        if (_legacy.Manifest(_perfLevel) != _perfManifest || _legacy.Manifest(_sensorUpdate) != _sensorManifest)
            throw new InvalidOperationException("the two serializers' manifests differ");
        (_perfLegacyBytes, _perfProtoBytes) = (_legacy.ToBinary(_perfLevel), _proto.ToBinary(_perfLevel));
        (_sensorLegacyBytes, _sensorProtoBytes) = (_legacy.ToBinary(_sensorUpdate), _proto.ToBinary(_sensorUpdate));
        Console.WriteLine($"// bytes: PerfLevelChanged legacy {_perfLegacyBytes.Length}, protobuf {_perfProtoBytes.Length}; " +
                          $"SensorUpdate(3) legacy {_sensorLegacyBytes.Length}, protobuf {_sensorProtoBytes.Length}");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("PerfLevelChanged")]
    public object Legacy_PerfLevelChanged() => _legacy.FromBinary(_legacy.ToBinary(_perfLevel), _perfManifest);

    [Benchmark]
    [BenchmarkCategory("PerfLevelChanged")]
    public object Protobuf_PerfLevelChanged() => _proto.FromBinary(_proto.ToBinary(_perfLevel), _perfManifest);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("SensorUpdate")]
    public object Legacy_SensorUpdate3() => _legacy.FromBinary(_legacy.ToBinary(_sensorUpdate), _sensorManifest);

    [Benchmark]
    [BenchmarkCategory("SensorUpdate")]
    public object Protobuf_SensorUpdate3() => _proto.FromBinary(_proto.ToBinary(_sensorUpdate), _sensorManifest);

    // The two halves apart.

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("PerfLevelChanged-serialize")]
    public byte[] Legacy_PerfLevelChanged_ToBinary() => _legacy.ToBinary(_perfLevel);

    [Benchmark]
    [BenchmarkCategory("PerfLevelChanged-serialize")]
    public byte[] Protobuf_PerfLevelChanged_ToBinary() => _proto.ToBinary(_perfLevel);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("PerfLevelChanged-deserialize")]
    public object Legacy_PerfLevelChanged_FromBinary() => _legacy.FromBinary(_perfLegacyBytes, _perfManifest);

    [Benchmark]
    [BenchmarkCategory("PerfLevelChanged-deserialize")]
    public object Protobuf_PerfLevelChanged_FromBinary() => _proto.FromBinary(_perfProtoBytes, _perfManifest);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("SensorUpdate-serialize")]
    public byte[] Legacy_SensorUpdate3_ToBinary() => _legacy.ToBinary(_sensorUpdate);

    [Benchmark]
    [BenchmarkCategory("SensorUpdate-serialize")]
    public byte[] Protobuf_SensorUpdate3_ToBinary() => _proto.ToBinary(_sensorUpdate);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("SensorUpdate-deserialize")]
    public object Legacy_SensorUpdate3_FromBinary() => _legacy.FromBinary(_sensorLegacyBytes, _sensorManifest);

    [Benchmark]
    [BenchmarkCategory("SensorUpdate-deserialize")]
    public object Protobuf_SensorUpdate3_FromBinary() => _proto.FromBinary(_sensorProtoBytes, _sensorManifest);
}
