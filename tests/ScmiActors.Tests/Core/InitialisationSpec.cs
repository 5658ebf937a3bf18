using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>The handle's initialisation: requests wait for it; a failure is permanent and answered at once.</summary>
public sealed class InitialisationSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task Subscribe_sent_while_the_handle_initialises_is_answered_once_connected()
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = await StartPlatformAsync(connected: connected.Task);
        var subscriber = CreateTestProbe();

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), subscriber), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(PlatformState.Initialising, Stats(p).State);
        Assert.Empty(p.Firmware.Commands);
        // Nothing is attached yet: the platform's messages go nowhere.
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 1, 10));

        connected.SetResult();
        ExpectMsg<SubscriptionActive>();
        Assert.Equal([(1u, true)], PerfLevelNotifies(p));

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 42));
        Assert.Equal(42u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        var stats = AwaitStats(p, s => Assert.Equal(1, s.For(Perf)!.Delivered));
        Assert.Equal(PlatformState.Ready, stats.State);
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Init_failure_is_permanent_answered_at_once_and_never_retried()
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = await StartPlatformAsync(connected: connected.Task);
        var early = CreateTestProbe();

        // Stashed while initialising, answered with the failure once it is known.
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), early), early);
        early.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        connected.SetException(new IOException("mailbox channel is dead"));
        var stashed = early.ExpectMsg<SubscriptionFailed>();
        Assert.IsType<SubscriptionFailure.PlatformUnavailable>(stashed.Reason);

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), TestActor), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>();
        var unavailable = Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason);
        Assert.Contains("mailbox channel is dead", unavailable.Detail);

        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(StandardProtocols.Perf, p.Description.Protocols[Perf])), TestActor);
        ExpectMsg<ProtocolRegistrationFailed>();

        p.Handle.Tell(new Unsubscribe(p.Id, failed.Id), TestActor);
        ExpectMsg<UnsubscribeFailed>();

        var stats = Stats(p);
        Assert.Equal(PlatformState.Failed, stats.State);
        Assert.Contains("mailbox channel is dead", stats.FailureReason);
        Assert.Equal(0, stats.ActiveSubscriptions + stats.PendingSubscriptions);

        // No retry loop: nothing was sent to the firmware, nothing attached, and that stays so.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Empty(p.Firmware.Commands);
        Assert.False(p.Platform.IsAttached);
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 1, 1));
        Assert.Equal(PlatformState.Failed, Stats(p).State);

        // A failed handle still stops in order when asked.
        var complete = await Scmi.StopPlatformAsync(p.Id);
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
        early.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task StopPlatform_while_initialising_stops_at_once_and_answers_what_waited()
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = await StartPlatformAsync(connected: connected.Task);
        var subscriber = CreateTestProbe();
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), subscriber), subscriber);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        var complete = await Scmi.StopPlatformAsync(p.Id);
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
        Assert.True(complete.FinalStats.AddsUp);
        Assert.IsType<SubscriptionFailure.Stopped>(subscriber.ExpectMsg<SubscriptionFailed>().Reason);

        connected.SetResult(); // the late connection finishes into nothing
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Empty(p.Firmware.Commands);
        Assert.False(p.Platform.IsAttached);
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 0, 1));
    }

    /// <summary>
    /// A platform may send as soon as the gate opens (a receive-only transport does). The described
    /// protocols must be installed by then, or their first notifications are rejected as
    /// UnknownProtocol. Observed deterministically: a mailbox-less EventStream subscriber posts into
    /// the gate while the handle writes its "ready" log line, which it does right after opening the gate.
    /// </summary>
    [Fact]
    public async Task Described_protocols_are_installed_before_the_gate_opens()
    {
        var transport = InMemoryTransport.Create(hasCommandPath: false);
        var capturing = new GateCapturingTransport(transport.Agent);
        var results = new ConcurrentQueue<IngestResult>();
        var hook = CallbackActorRef.Create(Sys, "ready-hook", m =>
        {
            if (m is Info info && info.Message.ToString()?.Contains("soc0 ready") == true && results.IsEmpty)
                results.Enqueue(capturing.Gate!.Post(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 1), ScmiClock.NowNs()));
        });
        Sys.EventStream.Subscribe(hook, typeof(Info));

        await Scmi.StartPlatformAsync("soc0", capturing, TestPlatforms.Soc0());
        AwaitCondition(() => !results.IsEmpty, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));
        var first = Assert.Single(results);
        Assert.True(first != IngestResult.UnknownProtocol,
            "a notification of a described protocol, posted once the gate was open, was rejected as UnknownProtocol");
    }
}
