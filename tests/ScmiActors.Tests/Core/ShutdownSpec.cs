using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Hosting;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>Ordered shutdown (StopPlatform, CoordinatedShutdown) and abrupt stop (PoisonPill).</summary>
public sealed class ShutdownSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task Shutdown_while_the_platform_keeps_posting_is_clean_and_accounts_for_every_post()
    {
        var p = await StartCapturedAsync();
        var gate = GateOf(p);
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);

        // Straight into the gate, so that every post is counted even after the transport is detached;
        // after Stop, the thread goes on until it has seen the closed gate at least once.
        var isr = new PostingThread(i => gate.Post(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel((uint)(i & 3), (uint)i),
            ScmiClock.NowNs()), until: c => c[IngestResult.NotRunning] > 0).Start();
        PlatformShutdownComplete complete;
        try
        {
            AwaitCondition(() => isr.Counts[IngestResult.Queued] > 1000, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
            complete = await Scmi.StopPlatformAsync(p.Id);
        }
        finally
        {
            isr.Stop();
        }
        Assert.Null(isr.Error);

        // Reports, then PlatformStopped once, then nothing, although the platform kept sending.
        var reports = ReceiveReportsUntil<PlatformStopped>(subscriber, s => s.PlatformId == p.Id, TimeSpan.FromSeconds(10));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var final = complete.FinalStats;
        var perf = final.For(Perf)!;
        Assert.Equal(PlatformState.Stopped, final.State);
        Assert.True(final.AddsUp, Describe(final));
        Assert.Equal(0, perf.InQueue);
        Assert.Equal(reports.Count, perf.Delivered);
        Assert.Equal(perf.Decoded, perf.Delivered);
        Assert.Equal(isr.Counts[IngestResult.Queued], perf.Queued);
        Assert.Equal(isr.Counts[IngestResult.DroppedQueueFull], perf.DroppedQueueFull);
        Assert.Equal(0, isr.Counts[IngestResult.UnknownProtocol] + isr.Counts[IngestResult.UnknownEvent] + isr.Counts[IngestResult.PayloadTooLarge]);
        // What the gate refused after the final snapshot is counted by the gate alone.
        var lateNotRunning = Volatile.Read(ref gate.Counters.NotRunning) - final.NotRunning;
        Assert.True(lateNotRunning >= 0);
        Assert.Equal(isr.Counts[IngestResult.NotRunning], final.NotRunning + perf.RejectedNotRunning + lateNotRunning);
        // Received covers every post of the thread, plus the 4 enable and 4 disable responses.
        Assert.Equal(8, final.NotANotification);
        Assert.Equal(isr.Counts.Total, final.Received - final.NotANotification + lateNotRunning);

        // Disabled at the platform, every source that was enabled.
        Assert.Equal([0u, 1u, 2u, 3u], PerfLevelNotifies(p).Where(n => !n.Enable).Select(n => n.Source).Order().ToArray());
        AwaitCondition(() => !p.Platform.IsAttached, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));

        // The handle is gone (the registry hears of it through DeathWatch, just after the answer).
        AwaitAssert(() =>
        {
            Scmi.Handles.Tell(new GetStats(p.Id), TestActor);
            ExpectMsg<PlatformNotFound>(TimeSpan.FromMilliseconds(200));
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Shutdown_completes_when_the_platform_never_answers_a_disable()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        p.Firmware.Answer = c => c.Notify.Enable ? ScmiStatus.Success : null;

        // The link times the disable out (500 ms); the handle stops all the same.
        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        var complete = ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5));
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
        Assert.True(complete.FinalStats.AddsUp);
        Assert.Equal([(0u, true), (0u, false)], PerfLevelNotifies(p));
        subscriber.ExpectMsg<PlatformStopped>();
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Shutdown_completes_within_its_deadlines_even_when_a_protocol_actor_never_finishes_draining()
    {
        using var decoder = new DecoderGate(blockOn: 1);
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(decoder.OnDecode), TestVendor.Description());
        PostVendor(p, 0, 1);
        Assert.True(decoder.WaitEntered(TimeSpan.FromSeconds(3)));
        PostVendor(p, 0, 2);

        // drain-deadline 1 s + disable-deadline 1 s; StopPlatformAsync itself allows 2 s more.
        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        var complete = ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(4),
            "a protocol actor that never answers must not hold the shutdown past its deadlines");
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
    }

    [Fact]
    public async Task PoisonPill_on_the_handle_tells_subscribers_and_the_platform_is_gone()
    {
        var p = await StartPlatformAsync();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), a);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, a); // two subscriptions: still one PlatformStopped
        SubscribeActive(p, Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.Id(1), b);
        PostPerfLevel(p, 0, 1);
        ReceiveReportsUntil<PerfLevelChanged>(a, r => r.PerformanceLevel == 1);

        Watch(p.Handle);
        p.Handle.Tell(PoisonPill.Instance);
        ExpectTerminated(p.Handle);

        ReceiveReportsUntil<PlatformStopped>(a, s => s.PlatformId == p.Id);
        b.ExpectMsg<PlatformStopped>();
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(10));

        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 0, 2));
        Assert.False(p.Platform.IsAttached);

        // The registry learns of the handle's death through DeathWatch: retry until it has.
        AwaitAssert(() =>
        {
            Scmi.Handles.Tell(new GetStats(p.Id), TestActor);
            var notFound = ExpectMsg<PlatformNotFound>(TimeSpan.FromMilliseconds(200));
            Assert.IsType<GetStats>(notFound.Message);
        }, TimeSpan.FromSeconds(3));
        Scmi.Handles.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), a), TestActor);
        Assert.IsType<Subscribe>(ExpectMsg<PlatformNotFound>().Message);

        // The id is free again.
        var again = await StartPlatformAsync(p.Id);
        SubscribeActive(again, Perf, PerfLevel, SourceSelector.Id(0), a);
    }

    [Fact]
    public async Task CoordinatedShutdown_stops_a_running_platform_in_order()
    {
        // The platform lives in a second ActorSystem, which is shut down; the subscriber (a probe of
        // this system) survives it, so what it was told can be checked afterwards.
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.loggers = ["Akka.Event.DefaultLogger"]
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """).WithFallback(TestConfig);
        var other = ActorSystem.Create("scmi-cs", config);
        try
        {
            var transport = InMemoryTransport.Create();
            var firmware = new FakeFirmware(transport.Platform);
            var handle = await ScmiNotifications.Get(other).StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0());
            var subscriber = CreateTestProbe();
            handle.Tell(new Subscribe("soc0", Perf, PerfLevel, SourceSelector.All, subscriber), TestActor);
            ExpectMsg<SubscriptionActive>();
            transport.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(2, 5));
            subscriber.ExpectMsg<PerfLevelChanged>();

            await CoordinatedShutdown.Get(other).Run(CoordinatedShutdown.UnknownReason.Instance);
            await other.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(10));

            subscriber.ExpectMsg<PlatformStopped>();
            subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            // Ordered, not abrupt: every enabled source was disabled before the system went away.
            var notifies = firmware.NotifyCommands(Perf, PerfLevelNotify).Select(c => c.Notify).ToList();
            Assert.Equal([0u, 1u, 2u, 3u], notifies.Where(n => !n.Enable).Select(n => n.Source).Order().ToArray());
            Assert.False(transport.Platform.IsAttached);
        }
        finally
        {
            await other.Terminate();
        }
    }
}

/// <summary>Requests that arrive while a handle shuts down (long timeouts keep it in that state until the test lets it go).</summary>
public sealed class ShutdownRequestsSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    scmi.command-timeout = 10s
    scmi.shutdown.disable-deadline = 10s
    """))
{
    [Fact]
    public async Task Requests_during_shutdown_are_refused_with_clear_answers()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        p.Firmware.Answer = c => c.Notify.Enable ? ScmiStatus.Success : null; // the test answers the disable itself

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        Assert.Equal(PlatformState.ShuttingDown, Stats(p).State);

        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(1), subscriber), TestActor);
        Assert.IsType<SubscriptionFailure.Stopped>(ExpectMsg<SubscriptionFailed>().Reason);
        p.Handle.Tell(new Unsubscribe(p.Id, id), TestActor);
        ExpectMsg<UnsubscribeFailed>();
        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(TestVendor.Descriptor(), TestVendor.Description())), TestActor);
        ExpectMsg<ProtocolRegistrationFailed>();
        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        Assert.False(ExpectMsg<ProtocolDeregistered>().WasRegistered);
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 0, 1));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // still waiting for the disable

        // A second StopPlatform is answered too, when the shutdown completes.
        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        RecordedCommand? disable = null;
        AwaitCondition(() => (disable = p.Firmware.Commands.FirstOrDefault(c => c.Notify == (0u, false))) is not null,
            TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));
        Assert.Equal(IngestResult.NotANotification, p.Platform.Respond(disable!.Header.Encode(), ScmiStatus.Success));

        var first = ExpectMsg<PlatformShutdownComplete>();
        var second = ExpectMsg<PlatformShutdownComplete>();
        Assert.Equal(first.FinalStats, second.FinalStats);
        Assert.Equal(PlatformState.Stopped, first.FinalStats.State);
        Assert.Equal(1, first.FinalStats.NotRunning);
        Assert.True(first.FinalStats.AddsUp);
        subscriber.ExpectMsg<PlatformStopped>();
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>
    /// Every Subscribe is answered to its sender. One whose enable is still outstanding when the
    /// shutdown begins must be answered too (SubscriptionFailed(Stopped) is the clear answer), not
    /// left without reply because the handle ignores the late bind result while shutting down.
    /// </summary>
    [Fact]
    public async Task A_subscribe_in_flight_when_shutdown_begins_is_still_answered()
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        p.Firmware.Answer = _ => null;
        var requester = CreateTestProbe();
        var subscriber = CreateTestProbe();
        p.Handle.Tell(new Subscribe(p.Id, Perf, PerfLevel, SourceSelector.Id(0), subscriber), requester);
        RecordedCommand? enable = null;
        AwaitCondition(() => (enable = p.Firmware.Commands.FirstOrDefault()) is not null, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        Assert.Equal(PlatformState.ShuttingDown, Stats(p).State);
        p.Firmware.Answer = _ => ScmiStatus.Success;
        p.Platform.Respond(enable!.Header.Encode(), ScmiStatus.Success);

        Assert.Equal(PlatformState.Stopped, ExpectMsg<PlatformShutdownComplete>().FinalStats.State);
        subscriber.ExpectMsg<PlatformStopped>();
        var answer = requester.ExpectMsg<object>(m => m is SubscriptionFailed or SubscriptionActive, TimeSpan.FromSeconds(1),
            "the Subscribe that was binding when the shutdown began got no answer");
        if (answer is SubscriptionFailed failed) Assert.IsType<SubscriptionFailure.Stopped>(failed.Reason);
        Assert.Equal([(0u, true), (0u, false)], PerfLevelNotifies(p));
    }

    /// <summary>Likewise every Unsubscribe: one whose disable is outstanding when the shutdown begins.</summary>
    [Fact]
    public async Task An_unsubscribe_in_flight_when_shutdown_begins_is_still_answered()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        p.Firmware.Answer = _ => null;
        var requester = CreateTestProbe();
        p.Handle.Tell(new Unsubscribe(p.Id, id), requester);
        RecordedCommand? disable = null;
        AwaitCondition(() => (disable = p.Firmware.Commands.FirstOrDefault(c => c.Notify == (0u, false))) is not null,
            TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        Assert.Equal(PlatformState.ShuttingDown, Stats(p).State);
        p.Platform.Respond(disable!.Header.Encode(), ScmiStatus.Success);

        Assert.Equal(PlatformState.Stopped, ExpectMsg<PlatformShutdownComplete>().FinalStats.State);
        requester.ExpectMsg<object>(m => m is Unsubscribed or UnsubscribeFailed, TimeSpan.FromSeconds(1),
            "the Unsubscribe whose disable was outstanding when the shutdown began got no answer");
        Assert.Equal([(0u, true), (0u, false)], PerfLevelNotifies(p)); // disabled exactly once
    }
}
