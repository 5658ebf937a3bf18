using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Google.Protobuf;
using Proto = ScmiActors.Serialization.Proto;
using ScmiActors.Messages;
using ScmiActors.Serialization;
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
    public void Every_truncation_reads_as_a_message_or_fails_with_a_SerializationException(string name)
    {
        // A protobuf prefix that ends between two fields is a valid message with fewer fields: that
        // is the price of rolling upgrades. What must never happen is any other exception.
        var message = Sample(name);
        var bytes = Serializer.ToBinary(message);
        var manifest = Serializer.Manifest(message);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length).ToArray();
            try
            {
                Assert.NotNull(Serializer.FromBinary(prefix, manifest));
            }
            catch (SerializationException e)
            {
                Assert.Contains(manifest, e.Message);
            }
        }

        // A zero byte is field number 0, which protobuf forbids.
        var longer = bytes.Append((byte)0).ToArray();
        Assert.Contains(manifest, Assert.Throws<SerializationException>(() => Serializer.FromBinary(longer, manifest)).Message);
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
        var message = new Subscribe("soc0", ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SourceSelector.Id(uint.MaxValue), probe.Ref);
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
        Assert.Equal((ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, 7u), (clock.Protocol, clock.Event, clock.Source));

        // Two event bits: routed by the lowest (rollover), all flags kept; source = rtc_id * 3 + kind.
        var rtc = Assert.IsType<ImxBbmRtcEvent>(RoundTrip(new ImxBbmRtcEvent("imx", 1, 0xAB00_0006)));
        Assert.Equal((0xABu, 6u, 0xABu * 3 + 1, 0u), ((uint)rtc.RtcId, rtc.EventMask, rtc.Source, rtc.AgentId));

        var misc = Assert.IsType<ImxMiscControlEvent>(RoundTrip(new ImxMiscControlEvent("imx", 1, 3, 0x8001, 1)));
        Assert.Equal((3u, 0x8001u, 1u, true, ImxMisc.ProtocolId, ImxMisc.Events.Control), (misc.Source, misc.ControlId, misc.Flags, misc.IsBoardControl, misc.Protocol, misc.Event));

        var sensor = Assert.IsType<SensorUpdate>(RoundTrip(new SensorUpdate("p", 1, 2, 3, [new SensorReading(-273, 1), new SensorReading(-1, 2)])));
        Assert.Equal(new[] { -273L, -1L }, sensor.Readings.Select(r => r.Value));
    }

    [Fact]
    public void Encoding_is_compact()
    {
        // A typical perf-level report: "soc0", the base properties (timestamp fixed 8 bytes) and two
        // varints, each with its field tag (the hand-written format took 23 bytes without tags).
        var perf = Serializer.ToBinary(new PerfLevelChanged("soc0", 1_700_000_000_000_000_000, 1, 2, 1200));
        Assert.True(perf.Length <= 28, $"PerfLevelChanged took {perf.Length} bytes");

        var active = Serializer.ToBinary(new SubscriptionActive("soc0", new SubscriptionId(17)));
        Assert.True(active.Length <= 8, $"SubscriptionActive took {active.Length} bytes");
    }

    [Fact]
    public void Unknown_manifest_is_a_SerializationException_that_names_it()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary([], "no-such-manifest"));
        Assert.Contains("no-such-manifest", e.Message);

        Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize([1], ScmiSerializer.SerializerIdentifier, "nope"));
    }

    [Fact]
    public void Malformed_bodies_and_bad_values_are_SerializationExceptions()
    {
        // A varint that never ends, and a length far beyond the bytes left (must not allocate it).
        byte[] endless = [0x10, .. Enumerable.Repeat((byte)0xFF, 11)];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(endless, ScmiSerializer.Manifests.ProtocolRegistered));
        byte[] huge = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, (byte)'s'];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(huge, ScmiSerializer.Manifests.GetStats));

        // A length-delimited field cut short, a group end without a start.
        byte[] cut = [0x0A, 0x05, (byte)'s', (byte)'o'];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(cut, ScmiSerializer.Manifests.GetStats));
        byte[] endGroup = [0x0C];
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(endGroup, ScmiSerializer.Manifests.GetStats));

        // An unknown PlatformState, a protocol that does not fit a byte.
        var state = new Proto.PlatformStats { PlatformId = "p", State = (Proto.PlatformState)200 }.ToByteArray();
        Assert.Contains("PlatformState", Assert.Throws<SerializationException>(() => Serializer.FromBinary(state, ScmiSerializer.Manifests.PlatformStats)).Message);
        var wide = new Proto.ProtocolRegistered { PlatformId = "p", Protocol = 256 }.ToByteArray();
        Assert.Contains("256", Assert.Throws<SerializationException>(() => Serializer.FromBinary(wide, ScmiSerializer.Manifests.ProtocolRegistered)).Message);

        // Sensor readings whose two arrays differ in length.
        var readings = new Proto.SensorUpdate { PlatformId = "p", ReadingValues = { 1, 2 }, ReadingTimestamps = { 1 } }.ToByteArray();
        Assert.Contains("timestamps", Assert.Throws<SerializationException>(() => Serializer.FromBinary(readings, ScmiSerializer.Manifests.SensorUpdate)).Message);

        // PlatformNotFound without its message.
        var noMessage = new Proto.PlatformNotFound { PlatformId = "p" }.ToByteArray();
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(noMessage, ScmiSerializer.Manifests.PlatformNotFound));
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_a_SerializationException()
    {
        var random = new Random(2604);
        foreach (var manifest in ScmiSerializer.Manifests.All)
        {
            for (var i = 0; i < 300; i++)
            {
                var bytes = new byte[random.Next(0, 40)];
                random.NextBytes(bytes);
                try
                {
                    Serializer.FromBinary(bytes, manifest);
                }
                catch (SerializationException)
                {
                }
            }
        }
    }

    [Fact]
    public void Nested_message_with_an_unknown_serializer_id_is_a_SerializationException()
    {
        var bytes = Serializer.ToBinary(new PlatformNotFound("p", new GetStats("p")));
        var proto = Proto.PlatformNotFound.Parser.ParseFrom(bytes);
        Assert.Equal(ScmiSerializer.SerializerIdentifier, proto.Message.SerializerId);
        proto.Message.SerializerId = 2605; // not registered
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(proto.ToByteArray(), ScmiSerializer.Manifests.PlatformNotFound));
    }

    [Fact]
    public void RegisterProtocolEvents_is_local_by_design_and_not_bound()
    {
        var register = new RegisterProtocolEvents("soc0",
            new ProtocolEvents(ImxBbm.Descriptor, PlatformProtocol.Create(ImxBbm.ProtocolId, new ProtocolVersion(1, 0), 2)));

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
        Assert.Equal("ScmiActors.Serialization.ScmiSerializer, ScmiActors", config.GetString("akka.actor.serializers.scmi"));
        var bindings = config.GetConfig("akka.actor.serialization-bindings").AsEnumerable().ToDictionary(kv => kv.Key, kv => kv.Value.GetString());
        Assert.Equal("scmi", bindings["ScmiActors.Wire.ScmiReport, ScmiActors.Wire"]);
        Assert.Equal("scmi", bindings["ScmiActors.Messages.IScmiRemoteMessage, ScmiActors"]);
        Assert.Equal(2, bindings.Count);
        Assert.DoesNotContain(bindings.Keys, k => k.Contains(nameof(RegisterProtocolEvents), StringComparison.Ordinal));
        Assert.All(bindings.Values, v => Assert.Equal(ScmiSerializer.SerializerName, v));
    }

    private object RoundTrip(object message) => Serializer.FromBinary(Serializer.ToBinary(message), Serializer.Manifest(message));

    /// <summary>A report from a library the ScmiSerializer does not know.</summary>
    public sealed record ThirdPartyReport(string PlatformId, long TimestampNs, uint Value)
        : ScmiReport(PlatformId, 0xC0, 0, 0, TimestampNs, 0);
}
