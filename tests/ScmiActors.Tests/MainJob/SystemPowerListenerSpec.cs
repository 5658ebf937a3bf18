using Akka.Actor;
using ScmiActors.Cli.MainJob;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.MainJob;

public sealed class SystemPowerListenerSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    private static byte[] Request(uint flags, uint state, uint timeoutMs) => TestPlatforms.Words(0, flags, state, timeoutMs);

    [Fact]
    public async Task Plans_the_first_graceful_request_within_75_percent_of_its_timeout_and_ignores_the_rest()
    {
        var p = await StartPlatformAsync();
        var listener = Sys.ActorOf(SystemPowerListenerActor.Props(p.Handle, p.Id, workDuration: TimeSpan.FromSeconds(5)));
        AwaitAssert(() => Assert.Equal(1, Stats(p).ActiveSubscriptions));

        var header = ScmiHeader.Notification(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier);
        Assert.Equal(IngestResult.Queued, p.Platform.Send(header, Request(flags: 0, state: 0, timeoutMs: 2000)));  // forceful: ignored
        Assert.Equal(IngestResult.Queued, p.Platform.Send(header, Request(flags: 1, state: 0, timeoutMs: 2000)));  // graceful: served
        Assert.Equal(IngestResult.Queued, p.Platform.Send(header, Request(flags: 1, state: 1, timeoutMs: 2000)));  // already serving: ignored

        // The work would take 5 s; the listener must plan to finish at 75% of the 2 s timeout instead
        // (1.5 s). The plan is asserted, not the wall clock: how late a timer fires on a loaded CI
        // machine is not this actor's behaviour.
        AwaitAssert(() =>
        {
            listener.Tell(GetShutdownOutcome.Instance, TestActor);
            var outcome = ExpectMsg<ShutdownOutcome>();
            Assert.Equal(SystemState.Shutdown, outcome.State);
            Assert.Equal(2000u, outcome.TimeoutMs);
            Assert.Equal(1500, outcome.PlannedMs);
            Assert.True(outcome.TookMs >= outcome.PlannedMs - 20, $"finished after {outcome.TookMs} ms, before its plan");  // 20 ms: timer tick granularity
        }, TimeSpan.FromSeconds(10));

        listener.Tell(GetSubscriberReport.Instance, TestActor);
        var report = ExpectMsg<SubscriberReport>();
        Assert.Equal(3, report.Reports);
        Assert.Contains(report.Notes, n => n.Contains("2 requests ignored"));
    }
}
