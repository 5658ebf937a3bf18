using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.DependencyInjection;
using ScmiActors.Messages;
using ScmiActors.Tests.Core;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Cluster;

/// <summary>Two ActorSystems in one process: node A hosts the platform, node B subscribes through the shard proxy.</summary>
public sealed class TwoNodeSpec
{
    [Fact]
    public async Task Subscriber_on_node_B_receives_reports_from_node_A_and_is_released_when_B_leaves()
    {
        await using var nodeA = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        var transport = InMemoryTransport.Create();
        var firmware = new FakeFirmware(transport.Platform);
        var handles = await nodeA.Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0());

        var nodeB = await ClusterNode.StartAsync(nodeA.Address, hostsPlatforms: false);
        var probe = new TestProbe(nodeB.System, new XunitAssertions());

        // Each node's instruments come from its own host's IMeterFactory: node B, which hosts nothing, reports nothing.
        Assert.Same(nodeA.Services.GetRequiredService<IMeterFactory>(), nodeA.Scmi.Metrics.Meter.Scope);
        Assert.Same(nodeB.Services.GetRequiredService<IMeterFactory>(), nodeB.Scmi.Metrics.Meter.Scope);
        using (var metersA = new ScmiMeterListener(nodeA.Scmi.Metrics.Meter))
        using (var metersB = new ScmiMeterListener(nodeB.Scmi.Metrics.Meter))
        {
            Assert.NotEqual(0, metersA.Observe().Count("soc0"));
            Assert.Equal(0, metersB.Observe().Count("soc0"));
        }

        // Through node B's proxy: the Subscribe, its answer and every report cross the network.
        nodeB.Scmi.Handles.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), probe.Ref), probe.Ref);
        var active = probe.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(15));
        Assert.Equal("soc0", active.PlatformId);

        Assert.Equal(IngestResult.Queued, transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 777, 2)));
        var report = probe.ExpectMsg<PerfLevelChanged>(TimeSpan.FromSeconds(5));
        Assert.Equal((3u, 777u, 2u), (report.DomainId, report.PerformanceLevel, report.AgentId));

        // Stats answer across nodes as well.
        nodeB.Scmi.Handles.Tell(new GetStats("soc0"), probe.Ref);
        Assert.Equal(1, probe.ExpectMsg<PlatformStats>(TimeSpan.FromSeconds(5)).ActiveSubscriptions);

        // Node B leaves: DeathWatch on node A releases the subscription and the platform gets its disable.
        await nodeB.DisposeAsync();
        await AwaitAssertAsync(() =>
        {
            var last = firmware.NotifyCommands(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel).Last();
            Assert.Equal((3u, false), last.Notify);
        }, TimeSpan.FromSeconds(20));

        var stats = await handles.Ask<PlatformStats>(new GetStats("soc0"), TimeSpan.FromSeconds(5));
        Assert.Equal(0, stats.ActiveSubscriptions);
        Assert.True(stats.AddsUp);
    }

    [Fact]
    public async Task Delivery_windows_flow_across_nodes_because_remote_subscribers_answer_the_markers()
    {
        // A window of 8 and no stall escape within the test: if the markers did not come back over
        // the network, delivery would stop after 8 reports.
        const string windows = "scmi.subscriber-window = 8\nscmi.subscriber-stall-timeout = 10m";
        await using var nodeA = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true, windows);
        var transport = InMemoryTransport.Create();
        _ = new FakeFirmware(transport.Platform);
        var handles = await nodeA.Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0());
        await using var nodeB = await ClusterNode.StartAsync(nodeA.Address, hostsPlatforms: false, windows);
        var probe = new TestProbe(nodeB.System, new XunitAssertions());
        nodeB.Scmi.Handles.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe.Ref), probe.Ref);
        probe.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(15));

        const int events = 400; // 50 windows
        for (uint level = 0; level < events; level++)
        {
            while (transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(level % 4, level)) == IngestResult.DroppedQueueFull)
                await Task.Delay(1);
        }
        for (uint level = 0; level < events; level++)
            Assert.Equal(level, probe.ExpectMsg<PerfLevelChanged>(TimeSpan.FromSeconds(10)).PerformanceLevel);

        var perf = (await handles.Ask<PlatformStats>(new GetStats("soc0"), TimeSpan.FromSeconds(5))).For(ScmiProtocolId.Perf)!;
        Assert.Equal(events, perf.Delivered);
        Assert.Equal(0, perf.SubscriberStalls);
        // The windows were in force: a remote answer takes far longer than eight local deliveries.
        Assert.True(perf.SubscriberWaits > 0, "the delivery window never shut");
    }

    [Fact]
    public async Task A_stopped_platform_is_not_restarted_by_a_later_message()
    {
        await using var node = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        var transport = InMemoryTransport.Create();
        _ = new FakeFirmware(transport.Platform);
        var handles = await node.Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0());

        var final = await node.Scmi.StopPlatformAsync("soc0");
        Assert.Equal(PlatformState.Stopped, final.FinalStats.State);

        var answer = await handles.Ask<object>(new GetStats("soc0"), TimeSpan.FromSeconds(10));
        Assert.IsType<PlatformNotFound>(answer);
        Assert.Equal(IngestResult.NotRunning, transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 1)));
    }

    private static async Task AwaitAssertAsync(Action assertion, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
