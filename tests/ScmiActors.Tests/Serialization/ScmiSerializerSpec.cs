using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Serialization;

public sealed class ScmiSerializerSpec(ITestOutputHelper output)
    : TestKit(ScmiSerializer.SerializationConfig, "scmi-serialization", output)
{
    private ScmiSerializer Serializer => (ScmiSerializer)Sys.Serialization.FindSerializerForType(typeof(GetStats));

    private object Sample(string name) => SerializationSamples.Create(TestActor)[name];

    [Fact]
    public void Serializer_is_registered_under_its_fixed_identifier()
    {
        Assert.Equal(2604, ScmiSerializer.SerializerIdentifier);
        var serializer = Assert.IsType<ScmiSerializer>(Sys.Serialization.FindSerializerForType(typeof(GetStats)));
        Assert.Equal(2604, serializer.Identifier);
        Assert.True(serializer.IncludeManifest);
        // The system finds it by that id when deserializing.
        var bytes = serializer.ToBinary(new GetStats("soc0"));
        Assert.Equal(new GetStats("soc0"), Sys.Serialization.Deserialize(bytes, 2604, ScmiSerializer.Manifests.GetStats));
    }

    [Theory]
    [MemberData(nameof(SerializationSamples.Names), MemberType = typeof(SerializationSamples))]
    public void Every_message_type_is_bound_to_the_scmi_serializer(string name)
    {
        var message = Sample(name);
        Assert.IsType<ScmiSerializer>(Sys.Serialization.FindSerializerFor(message));
        Assert.IsType<ScmiSerializer>(Sys.Serialization.FindSerializerForType(message.GetType()));
    }

    [Theory]
    [MemberData(nameof(SerializationSamples.Names), MemberType = typeof(SerializationSamples))]
    public void Round_trips_through_the_serializer(string name)
    {
        var message = Sample(name);
        var bytes = Serializer.ToBinary(message);
        Assert.Equal(ScmiSerializer.FormatVersion, bytes[0]);
        var manifest = Serializer.Manifest(message);
        Assert.True(ScmiSerializer.Manifests.All.Contains(manifest), manifest);

        SerializationSamples.AssertEquivalent(message, Serializer.FromBinary(bytes, manifest));
    }

    [Theory]
    [MemberData(nameof(SerializationSamples.Names), MemberType = typeof(SerializationSamples))]
    public void Round_trips_end_to_end_through_the_system_serialization(string name)
    {
        var message = Sample(name);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var bytes = Sys.Serialization.Serialize(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);

        SerializationSamples.AssertEquivalent(message, Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
    }

    [Theory]
    [MemberData(nameof(SerializationSamples.Names), MemberType = typeof(SerializationSamples))]
    public void Every_truncation_and_any_trailing_byte_is_a_SerializationException(string name)
    {
        var message = Sample(name);
        var bytes = Serializer.ToBinary(message);
        var manifest = Serializer.Manifest(message);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary(prefix, manifest));
            Assert.Contains(manifest, e.Message);
        }

        var longer = bytes.Append((byte)0).ToArray();
        Assert.Contains("trailing", Assert.Throws<SerializationException>(() => Serializer.FromBinary(longer, manifest)).Message);
    }

    [Fact]
    public void Every_manifest_has_a_sample()
    {
        var covered = SerializationSamples.Create(TestActor).Values.Select(Serializer.Manifest).ToHashSet();
        Assert.Equal(ScmiSerializer.Manifests.All.Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
        Assert.Equal(ScmiSerializer.Manifests.All.Count, ScmiSerializer.Manifests.All.Distinct().Count());
    }

    [Fact]
    public void Subscriber_ref_round_trips_to_an_equal_ref_that_delivers()
    {
        var probe = CreateTestProbe();
        var message = new Subscribe("soc0", ScmiProtocolId.Sensor, 1, SourceSelector.Id(uint.MaxValue), probe.Ref);
        var back = Assert.IsType<Subscribe>(RoundTrip(message));

        Assert.Equal(probe.Ref, back.Subscriber);
        Assert.Equal(probe.Ref.Path, back.Subscriber.Path);
        Assert.Equal(message, back);

        back.Subscriber.Tell("ping");
        probe.ExpectMsg("ping");
    }

    [Fact]
    public void Nobody_and_a_missing_ref_round_trip()
    {
        var nobody = Assert.IsType<Subscribe>(RoundTrip(new Subscribe("soc0", 1, 1, SourceSelector.All, ActorRefs.Nobody)));
        Assert.Same(ActorRefs.Nobody, nobody.Subscriber);

        var none = Assert.IsType<Subscribe>(RoundTrip(new Subscribe("soc0", 1, 1, SourceSelector.All, null!)));
        Assert.Null(none.Subscriber);
    }

    [Fact]
    public void A_stopped_subscriber_resolves_to_a_ref_that_does_not_deliver()
    {
        var probe = CreateTestProbe();
        var bytes = Serializer.ToBinary(new Subscribe("soc0", 1, 1, SourceSelector.All, probe.Ref));
        Watch(probe.Ref);
        Sys.Stop(probe.Ref);
        ExpectTerminated(probe.Ref);

        var back = Assert.IsType<Subscribe>(Serializer.FromBinary(bytes, ScmiSerializer.Manifests.Subscribe));
        Assert.Equal(probe.Ref.Path, back.Subscriber.Path);
    }

    [Fact]
    public void Selector_and_failure_variants_keep_their_shape()
    {
        var all = Assert.IsType<Subscribe>(RoundTrip(new Subscribe("p", 1, 2, SourceSelector.All, TestActor)));
        Assert.IsType<SourceSelector.AllSources>(all.Source);
        Assert.Equal(SourceSelector.All, all.Source);

        var one = Assert.IsType<Subscribe>(RoundTrip(new Subscribe("p", 1, 2, SourceSelector.Id(uint.MaxValue), TestActor)));
        Assert.Equal(uint.MaxValue, Assert.IsType<SourceSelector.OneSource>(one.Source).Source);

        SubscriptionFailure[] failures =
        [
            new SubscriptionFailure.NoSuchEvent(1, 2),
            new SubscriptionFailure.SourceOutOfRange(uint.MaxValue, uint.MaxValue),
            new SubscriptionFailure.NotSupportedByPlatform("d"),
            new SubscriptionFailure.PlatformRejected(ScmiStatus.Denied),
            new SubscriptionFailure.PlatformUnavailable("timeout"),
            new SubscriptionFailure.Stopped(),
        ];
        foreach (var failure in failures)
        {
            var back = Assert.IsType<SubscriptionFailed>(RoundTrip(new SubscriptionFailed("p", new SubscriptionId(9), failure)));
            Assert.Equal(failure.GetType(), back.Reason.GetType());
            Assert.Equal(failure, back.Reason);
            Assert.Equal(failure.ToString(), back.Reason.ToString());
        }
    }

    [Fact]
    public void Null_failure_reason_and_default_arrays_round_trip()
    {
        var stats = Assert.IsType<PlatformStats>(RoundTrip(new PlatformStats("p", PlatformState.ShuttingDown, null, 0, 0, 0, 0, default, 0, 0)));
        Assert.Null(stats.FailureReason);
        Assert.True(stats.Protocols.IsDefault);

        var empty = Assert.IsType<PlatformStats>(RoundTrip(stats with { Protocols = [] }));
        Assert.False(empty.Protocols.IsDefault);
        Assert.Empty(empty.Protocols);

        var errors = Assert.IsType<BaseErrorEvent>(RoundTrip(new BaseErrorEvent("p", 1, 2, 3, default)));
        Assert.True(errors.Reports.IsDefault);
        var readings = Assert.IsType<SensorUpdate>(RoundTrip(new SensorUpdate("p", 1, 2, 3, default)));
        Assert.True(readings.Readings.IsDefault);
    }

    [Fact]
    public void Report_derived_properties_survive()
    {
        var clock = Assert.IsType<ClockRateChanged>(RoundTrip(new ClockRateChanged("p", 1, 5, 6, 7, ulong.MaxValue)));
        Assert.True(clock.IsRequest);
        Assert.Equal((ScmiProtocolId.Clock, (byte)1, 7u), (clock.Protocol, clock.Event, clock.Source));

        var rtc = Assert.IsType<ImxBbmRtcEvent>(RoundTrip(new ImxBbmRtcEvent("imx", 1, 0xAB00_0006)));
        Assert.Equal((0xABu, 6u, 6u, 0u), ((uint)rtc.RtcId, rtc.EventMask, rtc.Source, rtc.AgentId));

        var sensor = Assert.IsType<SensorUpdate>(RoundTrip(new SensorUpdate("p", 1, 2, 3, [new SensorReading(-273, 1), new SensorReading(-1, 2)])));
        Assert.Equal(new[] { -273L, -1L }, sensor.Readings.Select(r => r.Value));
    }

    [Fact]
    public void Encoding_is_compact()
    {
        // A typical perf-level report: version, "soc0", base properties and two varints.
        var perf = Serializer.ToBinary(new PerfLevelChanged("soc0", 1_700_000_000_000_000_000, 1, 2, 1200));
        Assert.True(perf.Length <= 24, $"PerfLevelChanged took {perf.Length} bytes");

        var active = Serializer.ToBinary(new SubscriptionActive("soc0", new SubscriptionId(17)));
        Assert.True(active.Length <= 8, $"SubscriptionActive took {active.Length} bytes");
    }

    [Fact]
    public void Unknown_manifest_is_a_SerializationException_that_names_it()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary([ScmiSerializer.FormatVersion], "no-such-manifest"));
        Assert.Contains("no-such-manifest", e.Message);

        Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize([1], ScmiSerializer.SerializerIdentifier, "nope"));
    }

    [Fact]
    public void Unknown_format_version_and_bad_values_are_SerializationExceptions()
    {
        var bytes = Serializer.ToBinary(new GetStats("soc0"));
        bytes[0] = 99;
        Assert.Contains("version 99", Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, ScmiSerializer.Manifests.GetStats)).Message);

        // An invalid UTF-8 string body.
        byte[] badUtf8 = [ScmiSerializer.FormatVersion, 3, 0xC3, 0x28];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(badUtf8, ScmiSerializer.Manifests.GetStats));

        // A varint that never ends, and one that overflows 32 bits.
        byte[] endless = [ScmiSerializer.FormatVersion, .. Enumerable.Repeat((byte)0xFF, 11)];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(endless, ScmiSerializer.Manifests.GetStats));
        byte[] wide = [ScmiSerializer.FormatVersion, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(wide, ScmiSerializer.Manifests.GetStats));

        // An array count far beyond the bytes left must not allocate it.
        var stats = Serializer.ToBinary(new BaseErrorEvent("p", 1, 2, 3, [1UL]));
        var countAt = stats.Length - 9;
        Assert.Equal(2, stats[countAt]);
        byte[] huge = [.. stats.AsSpan(0, countAt), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, .. stats.AsSpan(countAt + 1)];
        Assert.Contains("truncated", Assert.Throws<SerializationException>(() => Serializer.FromBinary(huge, ScmiSerializer.Manifests.BaseErrorEvent)).Message);

        // Unknown union tags and enum values.
        var failed = Serializer.ToBinary(new SubscriptionFailed("p", new SubscriptionId(1), new SubscriptionFailure.Stopped()));
        failed[^1] = 77;
        Assert.Contains("tag 77", Assert.Throws<SerializationException>(() => Serializer.FromBinary(failed, ScmiSerializer.Manifests.SubscriptionFailed)).Message);
        var state = Serializer.ToBinary(new PlatformStats("p", PlatformState.Ready, null, 0, 0, 0, 0, [], 0, 0));
        state[3] = 200;
        Assert.Contains("PlatformState", Assert.Throws<SerializationException>(() => Serializer.FromBinary(state, ScmiSerializer.Manifests.PlatformStats)).Message);

        // A bool that is neither 0 nor 1.
        var deregistered = Serializer.ToBinary(new ProtocolDeregistered("p", 1, true));
        deregistered[^1] = 2;
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(deregistered, ScmiSerializer.Manifests.ProtocolDeregistered));
    }

    [Fact]
    public void Nested_message_with_an_unknown_serializer_id_is_a_SerializationException()
    {
        var bytes = Serializer.ToBinary(new PlatformNotFound("p", new GetStats("p")));
        // version, "p" (2 bytes), then the nested serializer id as a zig-zag varint: 2604 -> 5208 = 0xD8 0x28.
        Assert.Equal(new byte[] { 0xD8, 0x28 }, bytes[3..5]);
        bytes[3] = 0xDA; // 5210 -> 2605, not registered
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, ScmiSerializer.Manifests.PlatformNotFound));
    }

    [Fact]
    public void RegisterProtocolEvents_is_local_by_design_and_not_bound()
    {
        var register = new RegisterProtocolEvents("soc0",
            new ProtocolEvents(ImxBbm.Descriptor, ProtocolDescription.Create(ImxBbm.ProtocolId, new ProtocolVersion(1, 0), ImxBbm.RtcSourceCount)));

        Assert.IsNotType<ScmiSerializer>(Sys.Serialization.FindSerializerFor(register));
        var e = Assert.Throws<ArgumentException>(() => Serializer.ToBinary(register));
        Assert.Contains("RegisterProtocolEvents", e.Message);
        Assert.Throws<ArgumentException>(() => Serializer.Manifest(register));
    }

    [Fact]
    public void An_unknown_report_type_is_refused_with_a_clear_message()
    {
        var report = new ThirdPartyReport("soc0", 1, 42);
        Assert.IsType<ScmiSerializer>(Sys.Serialization.FindSerializerFor(report));
        var e = Assert.Throws<ArgumentException>(() => Serializer.ToBinary(report));
        Assert.Contains(nameof(ThirdPartyReport), e.Message);
    }

    [Fact]
    public async Task An_exact_binding_for_a_third_party_report_wins_over_the_ScmiReport_binding()
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.serialization-bindings {
              "{{typeof(ThirdPartyReport).FullName}}, {{typeof(ThirdPartyReport).Assembly.GetName().Name}}" = json
            }
            """).WithFallback(ScmiSerializer.SerializationConfig);
        var system = ActorSystem.Create("scmi-serialization-override", config);
        try
        {
            Assert.IsNotType<ScmiSerializer>(system.Serialization.FindSerializerFor(new ThirdPartyReport("p", 1, 2)));
            Assert.IsType<ScmiSerializer>(system.Serialization.FindSerializerFor(new PerfLevelChanged("p", 1, 1, 1, 1)));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Serialization_config_names_the_serializer_and_binds_the_report_base()
    {
        var config = ScmiSerializer.SerializationConfig;
        Assert.Equal("ScmiActors.Hosting.ScmiSerializer, ScmiActors", config.GetString("akka.actor.serializers.scmi"));
        var bindings = config.GetConfig("akka.actor.serialization-bindings").AsEnumerable().ToDictionary(kv => kv.Key, kv => kv.Value.GetString());
        Assert.Equal("scmi", bindings["ScmiActors.Wire.ScmiReport, ScmiActors.Wire"]);
        Assert.DoesNotContain(bindings.Keys, k => k.Contains(nameof(RegisterProtocolEvents), StringComparison.Ordinal));
        Assert.All(bindings.Values, v => Assert.Equal(ScmiSerializer.SerializerName, v));
    }

    private object RoundTrip(object message) => Serializer.FromBinary(Serializer.ToBinary(message), Serializer.Manifest(message));

    /// <summary>A report from a library the ScmiSerializer does not know.</summary>
    public sealed record ThirdPartyReport(string PlatformId, long TimestampNs, uint Value)
        : ScmiReport(PlatformId, 0xC0, 0, 0, TimestampNs, 0);
}
