using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Emulator.Replay;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport.Recording;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Replay;

/// <summary>
/// Record, then replay: a handle over a real SMT link whose agent transport is wrapped in a
/// <see cref="RecordingTransport"/> subscribes and receives notifications from a scripted platform; the
/// file is then served by the replay platform to a fresh handle, which receives the same notifications
/// decoded, and the one for a source nobody subscribed to is again counted for nobody.
/// </summary>
public sealed class RoundTripSpec(ITestOutputHelper output) : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 5s"))
{
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    [Fact]
    public async Task A_recorded_run_replayed_gives_a_fresh_handle_the_same_notifications_decoded()
    {
        var file = Path.Combine(Path.GetTempPath(), $"scmi-recording-{Guid.NewGuid():N}.txt");
        try
        {
            var recorded = await RecordAsync(file);
            Assert.Equal([(3u, 700u), (3u, 701u)], recorded);

            var lines = File.ReadAllLines(file);
            Assert.Equal(RecordingLine.FileHeader, lines[0]);
            Assert.EndsWith("0 dropped", lines[^1]);
            // The NOTIFY enable went out as a2p and its answer came back as p2a, before the notifications.
            var enable = Array.FindIndex(lines, l => l.Contains(" a2p ") && l.EndsWith(" 0300000001000000"));
            Assert.True(enable > 0 && lines[enable + 1].Contains(" p2a "), string.Join("\n", lines));
            Assert.Equal(3, lines.Count(l => l.Contains(" p2a 0x00004f01 ")));

            var script = ReplayScript.Build(ReplayRecording.Load(file));
            Assert.All(script.Notifications, n => Assert.Equal(ScmiCommands.Perf.NotifyLevel, script.Commands[n.Anchor].MessageId));

            await using var link = new ReplayLink(script);
            var handle = await Scmi.StartPlatformAsync("replayed", link.Agent, TestPlatforms.Soc0("replayed")).WaitAsync(Bound);
            var probe = CreateTestProbe();
            link.Host.Hold(); // until the route is installed (see ScpTranscriptSpec)
            handle.Tell(new Subscribe("replayed", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), probe.Ref), TestActor);
            ExpectMsg<SubscriptionActive>(Bound);
            link.Host.Resume();

            var replayed = Enumerable.Range(0, 2).Select(_ => probe.ExpectMsg<PerfLevelChanged>(Bound)).Select(r => (r.DomainId, r.PerformanceLevel)).ToList();
            Assert.Equal(recorded, replayed);
            await link.Host.Finished.WaitAsync(Bound);
            AwaitAssert(() =>
            {
                handle.Tell(new GetStats("replayed"), TestActor);
                Assert.Equal(1L, ExpectMsg<PlatformStats>(Bound).For(ScmiProtocolId.Perf)!.Unmatched);
            }, Bound, TimeSpan.FromMilliseconds(20));
            Assert.Equal(0L, link.Host.Stats.CommandsUnmatched);
            await Scmi.StopPlatformAsync("replayed").WaitAsync(Bound);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The recorded run: subscribe to perf level on domain 3; the platform sends 700, domain 1's 900 (nobody's), then 701.</summary>
    private async Task<List<(uint, uint)>> RecordAsync(string file)
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);
        platform.OnCommand((header, _) => platform.Respond(header, ScmiStatus.Success));
        using var accepting = new CancellationTokenSource(Bound);
        var accepted = platform.AcceptAsync(accepting.Token);
        using var transport = RecordingTransport.Wrap(
            new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath) { SlotTimeout = Bound }), file);

        var handle = await Scmi.StartPlatformAsync("recorded", transport, TestPlatforms.Soc0("recorded")).WaitAsync(Bound);
        await accepted.WaitAsync(Bound);
        var probe = CreateTestProbe();
        handle.Tell(new Subscribe("recorded", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), probe.Ref), TestActor);
        ExpectMsg<SubscriptionActive>(Bound);

        var received = new List<(uint, uint)>();
        Assert.True(platform.TrySendNotification(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 700)));
        received.Add(Level(probe.ExpectMsg<PerfLevelChanged>(Bound)));
        Assert.True(platform.TrySendNotification(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(1, 900)));
        AwaitAssert(() =>
        {
            handle.Tell(new GetStats("recorded"), TestActor);
            Assert.Equal(1L, ExpectMsg<PlatformStats>(Bound).For(ScmiProtocolId.Perf)!.Unmatched);
        }, Bound, TimeSpan.FromMilliseconds(20));
        Assert.True(platform.TrySendNotification(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(3, 701)));
        received.Add(Level(probe.ExpectMsg<PerfLevelChanged>(Bound)));

        await Scmi.StopPlatformAsync("recorded").WaitAsync(Bound);
        Assert.Equal(0L, transport.Writer.Dropped);
        return received;
    }

    private static (uint, uint) Level(PerfLevelChanged r) => (r.DomainId, r.PerformanceLevel);
}
