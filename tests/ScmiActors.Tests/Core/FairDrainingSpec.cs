using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using ScmiActors.Dispatch;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// Fair draining (docs/architecture.md): protocol actors run on <c>scmi.protocol-dispatcher</c>, the
/// thread pool's global queue with throughput 1, so a full drain batch really yields. The test
/// system's configuration has no <c>scmi.protocol-dispatcher</c> of its own: the extension must
/// bring the library's.
/// </summary>
public sealed class FairDrainingSpec(ITestOutputHelper output)
    : CoreSpec(output, ConfigurationFactory.ParseString("scmi.drain-batch = 1"))
{
    [Fact]
    public async Task Protocol_actors_run_on_the_fair_protocol_dispatcher()
    {
        var p = await StartPlatformAsync($"fair-{Guid.NewGuid():N}");
        var protocolActor = ChildOf(p, "protocol-13-*"); // the generation depends on how the protocol was registered

        var cell = Assert.IsType<ActorCell>(Assert.IsAssignableFrom<ActorRefWithCell>(protocolActor).Underlying);
        Assert.Equal(ScmiSettings.ProtocolDispatcherId, cell.Dispatcher.Id);
        Assert.Equal(1, cell.Dispatcher.Throughput);
        Assert.Equal(typeof(FairQueueExecutorConfigurator).AssemblyQualifiedName!.Split(',')[0],
            Sys.Settings.Config.GetString("scmi.protocol-dispatcher.executor").Split(',')[0]);
    }

    [Fact]
    public async Task A_batch_of_one_still_delivers_everything_in_order_by_yielding_between_batches()
    {
        var p = await StartPlatformAsync($"fair-{Guid.NewGuid():N}");
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);

        // Each wake-up drains one entry and re-tells itself the next: every entry needs a yield.
        for (uint level = 0; level < 20; level++) Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, level));
        for (uint level = 0; level < 20; level++) Assert.Equal(level, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        AwaitStats(p, s => Assert.Equal(20, s.For(Perf)!.Delivered));
    }

    [Fact]
    public void A_wake_up_left_for_a_stopped_protocol_actor_is_not_reported_as_a_dead_letter()
    {
        // A yield or linger turn can still be queued when the handle stops the actor after its last drain.
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var stopped = Sys.ActorOf(Props.Empty);
        Watch(stopped);
        Sys.Stop(stopped);
        ExpectTerminated(stopped);

        stopped.Tell(ProtocolWake.Instance);
        stopped.Tell("an ordinary message"); // still reported: the check sees dead letters at all
        Assert.Equal("an ordinary message", deadLetters.ExpectMsg<DeadLetter>().Message);
        deadLetters.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
