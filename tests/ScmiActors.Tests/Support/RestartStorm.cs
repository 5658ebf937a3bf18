using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Support;

/// <summary>How one incarnation of the restarted platform ends.</summary>
public enum StormStop
{
    /// <summary><c>await StopPlatformAsync</c>, then the next start.</summary>
    AwaitedStop,
    /// <summary>StopPlatformAsync and the next StartPlatformAsync issued together: the start waits for the stop.</summary>
    StopRacingStart,
    /// <summary>A PoisonPill to the handle itself (an abrupt stop); the next start follows its termination.</summary>
    PoisonPill,
}

/// <summary>
/// A restart storm of one platform id on a node while a second platform on the same node carries
/// traffic to its own subscriber, run the same way against the local registry, the shard region
/// and a subscriber on another node. Checks that every incarnation of the restarted platform tells
/// its subscriber PlatformStopped exactly once, and that the steady platform's handle, subscription,
/// counters and accounting are untouched: every report it queued is delivered, nothing else arrives.
/// </summary>
public sealed class RestartStorm(ScmiNotifications host, IActorRef handles, ActorSystem subscriberSystem)
{
    public const string SteadyId = "steady";
    public const string FlappyId = "flappy";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public async Task RunAsync(IReadOnlyList<StormStop> stops)
    {
        var steadyTransport = InMemoryTransport.Create();
        _ = new FakeFirmware(steadyTransport.Platform);
        await host.StartPlatformAsync(SteadyId, steadyTransport.Agent, TestPlatforms.Soc0(SteadyId));
        var steady = Probe();
        Subscribe(SteadyId, steady);
        var steadyHandle = HandleOf(SteadyId);

        // The steady platform's firmware keeps sending for the whole storm.
        using var stopTraffic = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            long queued = 0;
            for (uint level = 0; !stopTraffic.IsCancellationRequested; level++)
            {
                if (steadyTransport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(level % 4, level)) == IngestResult.Queued)
                    queued++;
                await Task.Delay(1);
            }
            return queued;
        });

        var flappy = Probe();
        var incarnation = await StartFlappyAsync(flappy);
        foreach (var stop in stops)
        {
            switch (stop)
            {
                case StormStop.AwaitedStop:
                    var complete = await host.StopPlatformAsync(FlappyId);
                    Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
                    Assert.True(complete.FinalStats.AddsUp);
                    ExpectStopped(flappy);
                    incarnation = await StartFlappyAsync(flappy);
                    break;
                case StormStop.StopRacingStart:
                    var stopping = host.StopPlatformAsync(FlappyId);
                    var next = NewFlappy();
                    var starting = host.StartPlatformAsync(FlappyId, next.Transport.Agent, TestPlatforms.Soc0(FlappyId));
                    await Task.WhenAll(stopping, starting);
                    ExpectStopped(flappy);
                    incarnation = SubscribeFlappy(flappy, next);
                    break;
                case StormStop.PoisonPill:
                    var handle = HandleOf(FlappyId);
                    var watcher = Probe();
                    watcher.Watch(handle);
                    handle.Tell(PoisonPill.Instance);
                    watcher.ExpectTerminated(handle, Wait);
                    ExpectStopped(flappy);
                    incarnation = await StartFlappyAsync(flappy);
                    break;
            }
            // The steady platform's handle is the same actor, still answering.
            Assert.Equal(steadyHandle, HandleOf(SteadyId));
        }
        var last = await host.StopPlatformAsync(FlappyId);
        Assert.True(last.FinalStats.AddsUp);
        ExpectStopped(flappy);
        flappy.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        GC.KeepAlive(incarnation);

        stopTraffic.Cancel();
        var sent = await traffic;
        Assert.True(sent > 0, "the steady platform sent nothing");
        for (long i = 0; i < sent; i++)
            steady.ExpectMsg<PerfLevelChanged>(Wait);
        steady.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        handles.Tell(new GetStats(SteadyId), steady.Ref);
        var stats = steady.ExpectMsg<PlatformStats>(Wait);
        var perf = stats.For(ScmiProtocolId.Perf)!;
        Assert.Equal(PlatformState.Ready, stats.State);
        Assert.Equal(1, stats.ActiveSubscriptions);
        Assert.Equal(sent, perf.Queued);
        Assert.Equal(sent, perf.Delivered);
        Assert.True(stats.AddsUp);
    }

    private TestProbe Probe() => new(subscriberSystem, new XunitAssertions());

    private (InMemoryTransport Transport, FakeFirmware Firmware) NewFlappy()
    {
        var transport = InMemoryTransport.Create();
        return (transport, new FakeFirmware(transport.Platform));
    }

    private async Task<(InMemoryTransport Transport, FakeFirmware Firmware)> StartFlappyAsync(TestProbe subscriber)
    {
        var next = NewFlappy();
        await host.StartPlatformAsync(FlappyId, next.Transport.Agent, TestPlatforms.Soc0(FlappyId));
        return SubscribeFlappy(subscriber, next);
    }

    /// <summary>Subscribes to the new incarnation and proves it delivers.</summary>
    private (InMemoryTransport, FakeFirmware) SubscribeFlappy(TestProbe subscriber, (InMemoryTransport Transport, FakeFirmware Firmware) incarnation)
    {
        Subscribe(FlappyId, subscriber);
        Assert.Equal(IngestResult.Queued, incarnation.Transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(1, 42)));
        Assert.Equal(42u, subscriber.ExpectMsg<PerfLevelChanged>(Wait).PerformanceLevel);
        return incarnation;
    }

    private void Subscribe(string platformId, TestProbe subscriber)
    {
        handles.Tell(new Subscribe(platformId, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, subscriber.Ref), subscriber.Ref);
        subscriber.ExpectMsg<SubscriptionActive>(Wait);
    }

    /// <summary>The handle's own reference: the sender of its answer to GetStats.</summary>
    private IActorRef HandleOf(string platformId)
    {
        var probe = Probe();
        handles.Tell(new GetStats(platformId), probe.Ref);
        probe.ExpectMsg<PlatformStats>(Wait);
        return probe.LastSender;
    }

    private static void ExpectStopped(TestProbe subscriber) =>
        Assert.Equal(FlappyId, subscriber.ExpectMsg<PlatformStopped>(Wait).PlatformId);
}
