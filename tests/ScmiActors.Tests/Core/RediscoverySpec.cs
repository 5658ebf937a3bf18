using Akka.Configuration;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Tests.Emulation;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// A platform lost and back, with discovery: what comes back may fail to be discovered for a while (the
/// handle keeps trying with back-off), and may implement less than before (a protocol it no longer has
/// keeps its subscriptions pending; the others become active again).
/// </summary>
public sealed class RediscoverySpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("""
    scmi.reconnect.min-backoff = 20ms
    scmi.reconnect.max-backoff = 100ms
    scmi.connect-timeout = 300ms
    scmi.command-timeout = 2s
    """))
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_platform_back_with_failing_then_working_discovery_and_one_protocol_fewer()
    {
        var transport = InMemoryTransport.Create();
        var before = TestPlatforms.Soc0();
        var first = new EmulatedPlatform(transport.Platform, before, EmulatorPlatforms.Quiet);
        var handle = await Scmi.StartPlatformAsync("soc0", transport.Agent, before, new PlatformOptions(Discover: true)).WaitAsync(Bound);
        var perf = CreateTestProbe();
        var trip = CreateTestProbe();
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(1), perf), TestActor);
        var perfId = ExpectMsg<SubscriptionActive>(Bound).Id;
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.Id(0), trip), TestActor);
        var tripId = ExpectMsg<SubscriptionActive>(Bound).Id;

        // The firmware resets into a state that answers every command with NOT_SUPPORTED: discovery fails, again and again.
        transport.Platform.Disconnect("firmware reset");
        perf.ExpectMsg<SubscriptionPending>(m => m.Id == perfId, Bound);
        trip.ExpectMsg<SubscriptionPending>(m => m.Id == tripId, Bound);
        await first.DisposeAsync();
        var broken = new FakeFirmware(transport.Platform) { Answer = _ => ScmiStatus.NotSupported };
        transport.Platform.ComeBack();
        AwaitCondition(() => broken.NotifyCommands(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion).Count >= 2, Bound);
        handle.Tell(new GetStats("soc0"), TestActor);
        Assert.Equal(PlatformState.Reconnecting, ExpectMsg<PlatformStats>(Bound).State);

        // Then it boots a firmware without the sensor protocol: perf comes back, the sensor subscription waits.
        var after = before with { Protocols = before.Protocols.Remove(ScmiProtocolId.Sensor) };
        await using var second = new EmulatedPlatform(transport.Platform, after, EmulatorPlatforms.Quiet);
        perf.ExpectMsg<SubscriptionActive>(m => m.Id == perfId, Bound);
        Assert.Equal(IngestResult.Queued, second.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 1));
        Assert.Equal(1u, perf.ExpectMsg<PerfLevelChanged>(Bound).DomainId);
        AwaitAssert(() =>
        {
            handle.Tell(new GetStats("soc0"), TestActor);
            var stats = ExpectMsg<PlatformStats>(Bound);
            Assert.Equal(PlatformState.Ready, stats.State);
            Assert.Equal((1, 1), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
            Assert.False(stats.For(ScmiProtocolId.Sensor)?.Registered ?? false, "the platform no longer implements sensor");
        }, Bound, TimeSpan.FromMilliseconds(20));
        trip.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // still pending: neither active nor failed

        await Scmi.StopPlatformAsync("soc0").WaitAsync(Bound);
        trip.FishForMessage(m => m is PlatformStopped or SubscriptionFailed, Bound);
    }
}
