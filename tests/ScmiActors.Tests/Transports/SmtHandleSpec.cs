using System.Collections.Concurrent;
using Akka.Configuration;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// A platform handle on a real SMT link, with the platform's end in this process: the platform going
/// away (its end disposed, as when its process dies) makes subscriptions pending, and a platform end
/// created again on the same paths (the process restarted) makes them active again without the
/// subscriber subscribing again: the handle connects the same agent transport again.
/// </summary>
/// <remarks>
/// The back-off is short so that the test is quick; the connect timeout is not, because a first connect
/// on a cold process (socket code still to compile) can take longer than PlatformLossSpec's 300 ms, and a
/// failed first connect fails the handle for good. An attempt while the platform is gone fails at once.
/// </remarks>
public sealed class SmtHandleSpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("""
    scmi.reconnect.min-backoff = 20ms
    scmi.reconnect.max-backoff = 100ms
    scmi.connect-timeout = 5s
    """))
{
    private const string Id = "soc0";
    private const byte Perf = ScmiProtocolId.Perf;
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    [Fact]
    public async Task A_platform_lost_on_the_SMT_link_and_back_on_the_same_paths_makes_the_subscription_pending_then_active_again()
    {
        var directory = new SmtTempDirectory();
        AnsweringPlatform? platform = null;
        // A long slot timeout: a loaded machine must not make the agent reclaim a slot the platform is about to answer.
        var agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath) { SlotTimeout = TimeSpan.FromSeconds(2) });
        try
        {
            platform = new AnsweringPlatform(directory);
            var handle = await Scmi.StartPlatformAsync(Id, agent, TestPlatforms.Soc0(Id)).WaitAsync(Bound);
            var subscriber = CreateTestProbe();
            handle.Tell(new Subscribe(Id, Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), subscriber.Ref), TestActor);
            var id = ExpectMsg<SubscriptionActive>(Bound).Id;
            await Eventually.TrueAsync(() => platform.PerfLevelNotifies().Contains((3u, true)), "the first platform gets the NOTIFY enable");
            Assert.True(platform.End.TrySendNotification(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 700)));
            Assert.Equal(700u, subscriber.ExpectMsg<PerfLevelChanged>(Bound).PerformanceLevel);

            platform.Dispose(); // the platform process dies: the agent reads EOF

            subscriber.ExpectMsg<SubscriptionPending>(m => m.Id == id, Bound);
            AwaitAssert(() => Assert.Equal(PlatformState.Reconnecting, StatsOf(handle).State), Bound, TimeSpan.FromMilliseconds(20));
            Assert.Equal(1, agent.Stats.LinksLost);

            platform = new AnsweringPlatform(directory); // restarted: the same area and socket paths

            subscriber.ExpectMsg<SubscriptionActive>(m => m.Id == id, Bound);
            await Eventually.TrueAsync(() => platform.PerfLevelNotifies().Contains((3u, true)), "the new platform gets the NOTIFY enable again");
            AwaitAssert(() => Assert.Equal(PlatformState.Ready, StatsOf(handle).State), Bound, TimeSpan.FromMilliseconds(20));
            Assert.True(platform.End.TrySendNotification(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 702)));
            Assert.Equal(702u, subscriber.ExpectMsg<PerfLevelChanged>(Bound).PerformanceLevel);
            Assert.Equal((2L, 1L), (agent.Stats.Connections, agent.Stats.LinksLost));

            var complete = await Scmi.StopPlatformAsync(Id).WaitAsync(Bound);
            Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
            Assert.True(complete.FinalStats.AddsUp);
            // The ordered stop disabled the source on the platform that is there now.
            await Eventually.TrueAsync(() => platform.PerfLevelNotifies().Contains((3u, false)), "the new platform gets the NOTIFY disable");
            subscriber.ExpectMsg<PlatformStopped>(Bound);
        }
        finally
        {
            agent.Dispose();
            platform?.Dispose();
            directory.Dispose();
        }
    }

    private PlatformStats StatsOf(Akka.Actor.IActorRef handle)
    {
        handle.Tell(new GetStats(Id), TestActor);
        return ExpectMsg<PlatformStats>(Bound);
    }

    /// <summary>A platform end on the directory's paths that accepts the agent and answers every command SUCCESS, recording them.</summary>
    private sealed class AnsweringPlatform : IDisposable
    {
        private readonly CancellationTokenSource _accepting = new();
        private readonly ConcurrentQueue<RecordedCommand> _commands = new();
        private int _disposed;

        public AnsweringPlatform(SmtTempDirectory directory)
        {
            End = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);
            End.OnCommand((header, payload) =>
            {
                _commands.Enqueue(new RecordedCommand(ScmiHeader.Parse(header), payload));
                End.Respond(header, ScmiStatus.Success);
            });
            // In the background: the handle connects when its back-off says; Dispose stops the wait.
            _ = End.AcceptAsync(_accepting.Token);
        }

        public SmtPlatformEnd End { get; }

        public List<(uint Source, bool Enable)> PerfLevelNotifies() =>
            _commands.Where(c => c.Header.ProtocolId == Perf && c.Header.MessageId == ScmiCommands.Perf.NotifyLevel).Select(c => c.Notify).ToList();

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _accepting.Cancel();
            End.Dispose();
            _accepting.Dispose();
        }
    }
}
