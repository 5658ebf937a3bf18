using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Tests.Core;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Cluster;

/// <summary>
/// Three ActorSystems in one process: two platform nodes offer the same platform (one in-memory link,
/// which only one handle at a time attaches to), a third subscribes through its proxy. When the node
/// that hosts the handle leaves, the handle starts on the other one with the subscriptions it had.
/// </summary>
public sealed class TakeOverSpec
{
    [Fact]
    public async Task When_the_hosting_node_leaves_the_other_node_that_offers_the_platform_takes_it_over_with_its_subscriptions()
    {
        var transport = InMemoryTransport.Create();
        var firmware = new FakeFirmware(transport.Platform);
        await using var first = await ClusterNode.StartAsync(seed: null, hostsPlatforms: true);
        await using var second = await ClusterNode.StartAsync(first.Address, hostsPlatforms: true);
        await using var subscriberNode = await ClusterNode.StartAsync(first.Address, hostsPlatforms: false);
        var offers = new[] { first, second }.Select(n => (Node: n, Status: n.Scmi.OfferPlatform("soc0", () => transport.Agent, TestPlatforms.Soc0()))).ToList();

        var probe = new TestProbe(subscriberNode.System, new XunitAssertions());
        var id = SubscriptionId.NewRandom();
        subscriberNode.Scmi.Handles.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), probe.Ref, id), probe.Ref);
        // The handle may still be connecting when the Subscribe reaches it: pending first, then active.
        FishUntilActive(probe, id);
        Assert.Equal(IngestResult.Queued, transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 1)));
        Assert.Equal(1u, probe.ExpectMsg<PerfLevelChanged>(TimeSpan.FromSeconds(5)).PerformanceLevel);

        // Whichever node the coordinator chose leaves in order; the other one is left to take over.
        var host = offers.Single(o => o.Status.Ready && o.Status.HostedOn == o.Node.Address.ToString()).Node;
        var standby = offers.Single(o => o.Node != host);
        await host.DisposeAsync();

        // Told pending (by the leaving handle, and again by the new one as it restores), then active: no re-subscription.
        FishUntilActive(probe, id, within: TimeSpan.FromSeconds(30));
        Assert.True(standby.Status.Ready || await Eventually(() => standby.Status.Ready));
        Assert.Equal(standby.Node.Address.ToString(), standby.Status.HostedOn);

        // The new handle enabled the source again, after the old one disabled it: enable, disable, enable.
        var notifies = firmware.NotifyCommands(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel).Select(c => c.Notify).ToList();
        Assert.Equal([(3u, true), (3u, false), (3u, true)], notifies);

        // Reports flow to the same subscription, each once.
        Assert.Equal(IngestResult.Queued, transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 2)));
        Assert.Equal(2u, probe.ExpectMsg<PerfLevelChanged>(TimeSpan.FromSeconds(5)).PerformanceLevel);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var stats = await standby.Node.Scmi.Handles.Ask<PlatformStats>(new GetStats("soc0"), TimeSpan.FromSeconds(5));
        Assert.Equal(1, stats.ActiveSubscriptions);

        // Unsubscribing on the new handle ends it for good: it is also gone from the replicated set.
        subscriberNode.Scmi.Handles.Tell(new Unsubscribe("soc0", id), probe.Ref);
        probe.ExpectMsg<Unsubscribed>(TimeSpan.FromSeconds(5));
    }

    private static void FishUntilActive(TestProbe probe, SubscriptionId id, TimeSpan? within = null) =>
        probe.FishForMessage(m => m switch
        {
            SubscriptionActive a => a.Id == id,
            SubscriptionPending p when p.Id == id => false,
            _ => throw new Xunit.Sdk.XunitException($"unexpected {m} before SubscriptionActive"),
        }, within ?? TimeSpan.FromSeconds(15));

    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        return condition();
    }
}
