using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Cluster;

/// <summary>
/// The lifecycle rules of <see cref="Core.LifecycleSpec"/> with handles as sharded entities: on one
/// node, and with the subscribers on a second node that reaches the handles through its proxy.
/// </summary>
public sealed class ShardedLifecycleSpec
{
    private static readonly StormStop[] Storm =
    [
        StormStop.AwaitedStop, StormStop.StopRacingStart, StormStop.PoisonPill,
        StormStop.StopRacingStart, StormStop.PoisonPill, StormStop.AwaitedStop,
    ];

    [Fact]
    public async Task A_start_right_after_an_awaited_stop_succeeds_and_is_ready()
    {
        await using var node = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        var first = InMemoryTransport.Create();
        _ = new FakeFirmware(first.Platform);
        await node.Scmi.StartPlatformAsync("soc0", first.Agent, TestPlatforms.Soc0());
        await node.Scmi.StopPlatformAsync("soc0");
        Assert.Equal(IngestResult.NotRunning, first.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 1)));

        var second = InMemoryTransport.Create();
        _ = new FakeFirmware(second.Platform);
        var handles = await node.Scmi.StartPlatformAsync("soc0", second.Agent, TestPlatforms.Soc0());
        Assert.Equal(IngestResult.Queued, second.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 1)));
        var stats = await handles.Ask<PlatformStats>(new GetStats("soc0"), TimeSpan.FromSeconds(5));
        Assert.Equal(PlatformState.Ready, stats.State);
    }

    [Fact]
    public async Task Start_fails_with_the_reason_when_the_transport_does_not_connect()
    {
        await using var node = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        var transport = InMemoryTransport.Create(connected: Task.FromException(new IOException("no doorbell")));
        var failed = await Assert.ThrowsAsync<PlatformStartException>(() =>
            node.Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0()));
        Assert.Contains("no doorbell", failed.Reason);
    }

    [Fact]
    public async Task A_restart_storm_of_one_platform_leaves_the_other_platform_untouched()
    {
        await using var node = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        await new RestartStorm(node.Scmi, node.Scmi.Handles, node.System).RunAsync(Storm);
    }

    [Fact]
    public async Task A_restart_storm_seen_from_subscribers_on_another_node()
    {
        await using var nodeA = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        await using var nodeB = await ClusterNode.StartAsync(nodeA.Address, hostsPlatforms: false);
        await new RestartStorm(nodeA.Scmi, nodeB.Scmi.Handles, nodeB.System).RunAsync(Storm);
    }
}
