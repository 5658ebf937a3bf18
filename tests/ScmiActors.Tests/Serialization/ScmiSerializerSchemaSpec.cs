using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Google.Protobuf;
using Proto = ScmiActors.Serialization.Proto;
using ScmiActors.Messages;
using ScmiActors.Serialization;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Serialization;

/// <summary>
/// The schema's promises: every remote type has one (found by reflection), bytes written by an
/// earlier schema version are still read (the committed fixtures), and fields a reader does not
/// know are skipped (rolling upgrades).
/// </summary>
public sealed class ScmiSerializerSchemaSpec(ITestOutputHelper output)
    : TestKit(ScmiSerializer.SerializationConfig, "scmi-schema", output)
{
    /// <summary>Set to 1 to (re)write the current schema's fixture (<see cref="CurrentFixture"/>); never rewrite a committed one.</summary>
    private const string WriteFixtureVariable = "SCMI_WRITE_SERIALIZATION_FIXTURE";

    /// <summary>The fixture the current schema writes; a schema change that breaks old bytes needs a new manifest, not a new fixture.</summary>
    private const string CurrentFixture = "v2.txt";

    private ScmiSerializer Serializer => (ScmiSerializer)Sys.Serialization.FindSerializerForType(typeof(GetStats));

    /// <summary>
    /// Every concrete type that crosses nodes: the implementers of the marker and every ScmiReport
    /// subclass, in both library assemblies.
    /// </summary>
    public static IEnumerable<object[]> RemoteTypes() =>
        new[] { typeof(IScmiRemoteMessage).Assembly, typeof(ScmiReport).Assembly }
            .Distinct()
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsAbstract: false, IsInterface: false }
                        && (typeof(IScmiRemoteMessage).IsAssignableFrom(t) || typeof(ScmiReport).IsAssignableFrom(t)))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => new object[] { t.FullName! });

    private static Type TypeOf(string fullName) =>
        typeof(IScmiRemoteMessage).Assembly.GetType(fullName) ?? typeof(ScmiReport).Assembly.GetType(fullName)
        ?? throw new InvalidOperationException(fullName);

    [Fact]
    public void The_reflection_finds_the_marked_messages_and_the_reports()
    {
        var names = RemoteTypes().Select(r => (string)r[0]).ToHashSet();
        Assert.Contains(typeof(Subscribe).FullName!, names);
        Assert.Contains(typeof(PlatformNotFound).FullName!, names);
        Assert.Contains(typeof(SensorUpdate).FullName!, names);
        Assert.Contains(typeof(Wire.Vendor.ImxBbmButtonEvent).FullName!, names);
        Assert.Contains(typeof(Wire.Vendor.ImxMiscControlEvent).FullName!, names);
        Assert.DoesNotContain(typeof(RegisterProtocolEvents).FullName!, names);
        Assert.Equal(ScmiSerializer.Manifests.All.Count, names.Count);
    }

    [Theory]
    [MemberData(nameof(RemoteTypes))]
    public void Every_remote_type_has_a_schema_and_round_trips(string typeName)
    {
        var type = TypeOf(typeName);
        Assert.IsType<ScmiSerializer>(Sys.Serialization.FindSerializerForType(type));

        var samples = SerializationSamples.Create(TestActor).Values.Where(v => v.GetType() == type).ToList();
        Assert.True(samples.Count > 0,
            $"{type.Name} crosses nodes but has no sample in SerializationSamples: add one (and its message to " +
            "ScmiMessages.proto, a manifest and the mapping in ScmiSerializer).");
        foreach (var sample in samples)
        {
            // A type without a schema fails here: ScmiSerializer refuses it with ArgumentException.
            var manifest = Serializer.Manifest(sample);
            var bytes = Serializer.ToBinary(sample);
            SerializationSamples.AssertEquivalent(sample, Serializer.FromBinary(bytes, manifest));
        }
    }

    [Fact]
    public void Every_sample_is_of_a_remote_type()
    {
        var types = RemoteTypes().Select(r => TypeOf((string)r[0])).ToHashSet();
        Assert.All(SerializationSamples.Create(TestActor).Values, v => Assert.Contains(v.GetType(), types));
    }

    // ---- rolling upgrades ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(SerializationSamples.Names), MemberType = typeof(SerializationSamples))]
    public void Fields_a_reader_does_not_know_are_skipped(string name)
    {
        var sample = SerializationSamples.Create(TestActor)[name];
        var manifest = Serializer.Manifest(sample);

        // What a later schema might add: a varint, a string, a fixed64 and a nested message, under
        // field numbers this schema does not use.
        var extra = new MemoryStream();
        var output = new CodedOutputStream(extra);
        output.WriteTag(1000, WireFormat.WireType.Varint);
        output.WriteUInt64(ulong.MaxValue);
        output.WriteTag(1001, WireFormat.WireType.LengthDelimited);
        output.WriteString("a field from the future");
        output.WriteTag(1002, WireFormat.WireType.Fixed64);
        output.WriteFixed64(42);
        output.WriteTag(1003, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(new Proto.ProtocolStats { Protocol = 1, Queued = -1 }.ToByteString());
        output.Flush();

        var bytes = Serializer.ToBinary(sample);
        SerializationSamples.AssertEquivalent(sample, Serializer.FromBinary([.. bytes, .. extra.ToArray()], manifest));
        // Protobuf merges fields in any order, so a newer writer may put them first as well.
        SerializationSamples.AssertEquivalent(sample, Serializer.FromBinary([.. extra.ToArray(), .. bytes], manifest));
    }

    [Fact]
    public void A_field_an_older_writer_did_not_send_reads_as_its_default()
    {
        // ProtocolStats' last three counters were added in format 2; bytes without them read as 0.
        var stats = new Proto.PlatformStats { PlatformId = "p", State = Proto.PlatformState.Ready };
        stats.Protocols.Add(new Proto.ProtocolStats { Protocol = 0x13, Registered = true, Queued = 5, Decoded = 5 });
        var back = Assert.IsType<PlatformStats>(Serializer.FromBinary(stats.ToByteArray(), ScmiSerializer.Manifests.PlatformStats));
        var protocol = Assert.Single(back.Protocols);
        Assert.Equal((0L, 0L, 0L), (protocol.SubscriberWaits, protocol.SubscriberStalls, protocol.DroppedRateLimited));
        Assert.True(protocol.AddsUp);
    }

    // ---- the committed fixtures ----------------------------------------------------------------

    /// <summary>
    /// Bytes written by each schema version (one file per version: <c>name manifest base64</c> per
    /// line, from <see cref="SerializationSamples"/> with <see cref="ActorRefs.Nobody"/> as the
    /// subscriber) must still read as the sample of that name. Samples in a committed fixture must
    /// not change; add new ones under new names.
    /// </summary>
    public static IEnumerable<object[]> Fixtures() =>
        Directory.GetFiles(FixtureDirectory(), "*.txt").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Bytes_of_a_committed_fixture_still_read_as_their_sample(string fixture)
    {
        var samples = SerializationSamples.Create(ActorRefs.Nobody);
        var lines = File.ReadAllLines(Path.Combine(FixtureDirectory(), fixture)).Where(l => l.Length > 0 && l[0] != '#').ToList();
        Assert.NotEmpty(lines);
        var manifests = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            Assert.Equal(3, parts.Length);
            var (name, manifest, bytes) = (parts[0], parts[1], Convert.FromBase64String(parts[2]));
            Assert.True(samples.TryGetValue(name, out var sample), $"{fixture}: sample '{name}' is gone; fixtures' samples must stay.");
            manifests.Add(manifest);
            SerializationSamples.AssertEquivalent(sample, Serializer.FromBinary(bytes, manifest));
        }
        if (fixture == CurrentFixture)
            Assert.Equal(ScmiSerializer.Manifests.All.Order(StringComparer.Ordinal), manifests.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_current_fixture_is_committed_and_written_only_when_asked()
    {
        if (Environment.GetEnvironmentVariable(WriteFixtureVariable) == "1")
        {
            var text = new StringBuilder();
            text.AppendLine("# ScmiSerializer (Protocol Buffers, ScmiMessages.proto) bytes of SerializationSamples.Create(ActorRefs.Nobody).");
            text.AppendLine("# Written once by ScmiSerializerSchemaSpec with " + WriteFixtureVariable + "=1; later versions must read them. Do not edit.");
            foreach (var (name, sample) in SerializationSamples.Create(ActorRefs.Nobody).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                text.Append(name).Append(' ').Append(Serializer.Manifest(sample)).Append(' ').AppendLine(Convert.ToBase64String(Serializer.ToBinary(sample)));
            var directory = Path.Combine(Path.GetDirectoryName(SourceFile())!, "fixtures");
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, CurrentFixture), text.ToString());
        }
        Assert.True(File.Exists(Path.Combine(FixtureDirectory(), CurrentFixture)),
            $"fixtures/{CurrentFixture} is missing: run this test once with {WriteFixtureVariable}=1, then commit the file.");
    }

    /// <summary>The fixtures as copied next to the test assembly (see the test project).</summary>
    private static string FixtureDirectory() => Path.Combine(AppContext.BaseDirectory, "Serialization", "fixtures");

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
