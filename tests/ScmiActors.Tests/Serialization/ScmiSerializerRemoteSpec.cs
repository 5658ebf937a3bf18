using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ScmiActors.Messages;
using ScmiActors.Serialization;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Serialization;

/// <summary>
/// Two remoting nodes on loopback: every sample goes to an echo actor on the other node and comes
/// back, so it crosses the wire twice through the ScmiSerializer; a subscriber ref resolves on
/// the far node to a remote ref that delivers back to the near one.
/// </summary>
public sealed class ScmiSerializerRemoteSpec : TestKit, IAsyncLifetime
{
    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.remote.log-remote-lifecycle-events = off
        akka.loglevel = WARNING
        """).WithFallback(ScmiSerializer.SerializationConfig);

    private ActorSystem? _far;
    private IActorRef? _echo;

    public ScmiSerializerRemoteSpec(ITestOutputHelper output) : base(RemoteConfig, "scmi-near", output) { }

    public async Task InitializeAsync()
    {
        _far = ActorSystem.Create("scmi-far", RemoteConfig);
        _far.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var address = ((ExtendedActorSystem)_far).Provider.DefaultAddress;
        _echo = await Sys.ActorSelection(new RootActorPath(address) / "user" / "echo").ResolveOne(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        if (_far is not null) await _far.Terminate();
    }

    [Fact]
    public void Every_sample_crosses_the_wire_there_and_back()
    {
        foreach (var (name, message) in SerializationSamples.Create(TestActor))
        {
            _echo!.Tell(message, TestActor);
            var back = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            if (message is Subscribe)
            {
                // The far node told the subscriber (us) it resolved it, then echoed the message.
                Assert.Equal($"told:{((Subscribe)message).PlatformId}", Assert.IsType<string>(back));
                back = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            }
            Output?.WriteLine($"{name}: ok");
            SerializationSamples.AssertEquivalent(message, back);
        }
    }

    [Fact]
    public void A_subscriber_ref_is_usable_on_the_far_node()
    {
        var probe = CreateTestProbe();
        _echo!.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(2), probe.Ref), TestActor);

        probe.ExpectMsg("told:soc0", TimeSpan.FromSeconds(10));
        var back = ExpectMsg<Subscribe>(TimeSpan.FromSeconds(10));
        Assert.Equal(probe.Ref, back.Subscriber);
    }

    private sealed class EchoActor : ReceiveActor
    {
        public EchoActor()
        {
            Receive<Subscribe>(s =>
            {
                // The subscriber ref arrived as a remote ref to the near node: prove it delivers.
                s.Subscriber.Tell($"told:{s.PlatformId}");
                Sender.Tell(s);
            });
            ReceiveAny(m => Sender.Tell(m));
        }
    }
}

/// <summary>With <c>serialize-messages = on</c> every local tell goes through the serializers.</summary>
public sealed class ScmiSerializerSerializeMessagesSpec(ITestOutputHelper output)
    : TestKit(ConfigurationFactory.ParseString("akka.actor.serialize-messages = on").WithFallback(ScmiSerializer.SerializationConfig),
        "scmi-serialize-messages", output)
{
    [Fact]
    public void Local_tells_are_serialized_and_arrive_equal()
    {
        foreach (var (_, message) in SerializationSamples.Create(TestActor))
        {
            TestActor.Tell(message);
            var received = ExpectMsg<object>();
            Assert.NotSame(message, received);
            SerializationSamples.AssertEquivalent(message, received);
        }
    }
}
