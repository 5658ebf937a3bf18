using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Emulation;

/// <summary>The emulated platform driving a real handle over an in-memory transport.</summary>
public sealed class EmulatorEndToEndSpec(ITestOutputHelper output)
    : ScmiTestKit(output, ConfigurationFactory.ParseString("scmi.command-timeout = 2s")) // slow answers take up to 300 ms
{
    private sealed record Running(string Id, InMemoryTransport Transport, EmulatedPlatform Emulator, IActorRef Handle, PlatformDescription Description);

    private async Task<Running> StartAsync(string id, EmulatorScenario scenario, string? hocon = null)
    {
        var description = EmulatorPlatforms.Emu(hocon, id);
        var transport = InMemoryTransport.Create();
        var emulator = new EmulatedPlatform(transport.Platform, description, scenario);
        var handle = await Scmi.StartPlatformAsync(id, transport.Agent, description);
        return new Running(id, transport, emulator, handle, description);
    }

    private void Subscribe(Running r, byte protocol, byte evt, SourceSelector source, IActorRef subscriber)
    {
        r.Handle.Tell(new Subscribe(r.Id, protocol, evt, source, subscriber), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
    }

    private PlatformStats StatsOf(Running r)
    {
        r.Handle.Tell(new GetStats(r.Id), TestActor);
        return ExpectMsg<PlatformStats>();
    }

    /// <summary>Waits until every queue is empty and everything queued was decoded or counted malformed.</summary>
    private PlatformStats Quiescent(Running r, params byte[] protocols)
    {
        PlatformStats stats = null!;
        AwaitAssert(() =>
        {
            stats = StatsOf(r);
            foreach (var protocol in protocols)
            {
                var p = stats.For(protocol)!;
                Assert.Equal(0, p.InQueue);
                Assert.Equal(p.Queued, p.Decoded + p.Malformed);
            }
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        return stats;
    }

    [Fact]
    public async Task Subscriber_receives_the_reports_the_emulator_generates_and_stats_add_up()
    {
        var r = await StartAsync("emu-live", EmulatorPlatforms.Quiet with { PerfLevelPerSecond = 50 });
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        Subscribe(r, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe);
        for (uint d = 0; d < 4; d++) Assert.True(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, d));

        emulator.Start();
        var domains = new HashSet<uint>();
        for (var i = 0; i < 20; i++)
        {
            var report = probe.ExpectMsg<PerfLevelChanged>(TimeSpan.FromSeconds(5));
            Assert.InRange(report.DomainId, 0u, 3u);
            Assert.InRange(report.PerformanceLevel, 100u, 2000u);
            Assert.Equal(report.DomainId, report.Source);
            domains.Add(report.DomainId);
        }
        Assert.True(domains.Count > 1);
        await emulator.StopAsync();
        Assert.Null(emulator.LoopFault);

        var stopped = await Scmi.StopPlatformAsync(r.Id);
        probe.FishForMessage(m => m is PlatformStopped, TimeSpan.FromSeconds(5));
        var stats = stopped.FinalStats;
        Assert.True(stats.AddsUp);
        var perf = stats.For(ScmiProtocolId.Perf)!;
        var sent = emulator.GetStats().For(ScmiProtocolId.Perf);
        Assert.Equal(sent.Queued, perf.Queued);
        Assert.Equal(sent.Sent, perf.Received);
        Assert.Equal(perf.Queued, perf.Decoded);
        Assert.Equal(perf.Decoded, perf.Delivered);
        // The ordered shutdown disabled every source at the platform.
        for (uint d = 0; d < 4; d++) Assert.False(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, d));
    }

    private const string BigQueues = """
        scmi.platforms.emu-faults {
          transport = emulated
          protocols {
            base   { version = "2.0" }
            power  { version = "3.0", domains = 8, queue-bytes = 1048576 }
            perf   { version = "4.0", domains = 4, queue-bytes = 1048576 }
            clock  { version = "3.0", clocks = 8, queue-bytes = 1048576 }
            sensor {
              version = "3.0"
              sensors = 8
              axes { "5" = 3 }
              queue-bytes = 1048576
            }
          }
        }
        """;

    [Fact]
    public async Task Injected_faults_reconcile_with_the_dispatcher_counters()
    {
        const EmulatorFault faults = EmulatorFault.Malformed | EmulatorFault.Oversized | EmulatorFault.UnknownProtocolsAndEvents
            | EmulatorFault.OutOfRangeSources;
        var r = await StartAsync("emu-faults", EmulatorPlatforms.Quiet with { Faults = faults, FaultProbability = 0.3, Seed = 11 }, BigQueues);
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        byte[] protocols = [ScmiProtocolId.Power, ScmiProtocolId.Perf, ScmiProtocolId.Clock, ScmiProtocolId.Sensor];
        Subscribe(r, ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, SourceSelector.All, probe);
        Subscribe(r, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe);
        Subscribe(r, ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, SourceSelector.All, probe);
        Subscribe(r, ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SourceSelector.All, probe);

        Assert.True(emulator.Step(500) > 500);
        var stats = Quiescent(r, protocols);
        var sent = emulator.GetStats();

        foreach (var protocol in protocols)
        {
            var handle = stats.For(protocol)!;
            var emu = sent.For(protocol);
            Assert.Equal(emu.Queued, handle.Queued);
            Assert.Equal(emu.PayloadTooLarge, handle.RejectedPayloadTooLarge);
            Assert.Equal(emu.Injected(EmulatorFault.Oversized), handle.RejectedPayloadTooLarge);
            Assert.Equal(emu.UnknownEvent, handle.RejectedUnknownEvent);
            Assert.Equal(emu.Injected(EmulatorFault.Malformed), handle.MalformedTooShort);
            Assert.Equal(emu.Injected(EmulatorFault.OutOfRangeSources), handle.MalformedSourceOutOfRange);
            Assert.Equal(0, handle.MalformedTooLong);
            Assert.Equal(0, handle.DroppedQueueFull);
            Assert.Equal(handle.Decoded, handle.Delivered);
            Assert.True(handle.Malformed > 0 && handle.Rejected > 0, $"0x{protocol:X2}: {handle}");
        }
        Assert.Equal(sent.Count(IngestResult.UnknownProtocol), stats.UnknownProtocol);
        Assert.True(stats.UnknownProtocol > 0);

        var stopped = await Scmi.StopPlatformAsync(r.Id);
        Assert.True(stopped.FinalStats.AddsUp);
    }

    [Fact]
    public async Task A_storm_overflows_the_queue_and_the_protocol_recovers()
    {
        var r = await StartAsync("emu-storm", EmulatorPlatforms.Quiet with
        {
            Faults = EmulatorFault.Storm, StormEvery = TimeSpan.FromMilliseconds(10), StormBurst = 20_000, PerfLevelPerSecond = 0,
        });
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        Subscribe(r, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(2), probe);

        Assert.Equal(20_000, emulator.Step());
        var stats = Quiescent(r, ScmiProtocolId.Perf);
        var perf = stats.For(ScmiProtocolId.Perf)!;
        var sent = emulator.GetStats().For(ScmiProtocolId.Perf);
        Assert.True(perf.DroppedQueueFull > 0, "a storm far above the budget drops");
        Assert.Equal(sent.DroppedQueueFull, perf.DroppedQueueFull);
        Assert.Equal(sent.Queued, perf.Queued);
        Assert.Equal(20_000, perf.Queued + perf.DroppedQueueFull);
        Assert.Equal(perf.Decoded, perf.Delivered);

        var stopped = await Scmi.StopPlatformAsync(r.Id);
        probe.FishForMessage(m => m is PlatformStopped, TimeSpan.FromSeconds(5));
        Assert.True(stopped.FinalStats.AddsUp);
    }

    [Fact]
    public async Task A_platform_that_keeps_sending_after_stop_reaches_nobody()
    {
        var r = await StartAsync("emu-after-stop", EmulatorPlatforms.Quiet with { Faults = EmulatorFault.KeepSendingAfterStop, PerfLevelPerSecond = 50 });
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        Subscribe(r, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(1), probe);
        Assert.True(emulator.Step(20) > 0);
        probe.ExpectMsg<PerfLevelChanged>();

        var stopped = await Scmi.StopPlatformAsync(r.Id);
        probe.FishForMessage(m => m is PlatformStopped, TimeSpan.FromSeconds(5));
        Assert.False(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 1));
        // The handle detaches the transport as it stops, just after it answered StopPlatform.
        AwaitAssert(() => Assert.False(r.Transport.Platform.IsAttached), TimeSpan.FromSeconds(5));

        var posted = emulator.Step(100);
        Assert.True(posted > 0);
        var perf = emulator.GetStats().For(ScmiProtocolId.Perf);
        Assert.Equal(posted, perf.NotRunning);
        Assert.Equal(posted, perf.Injected(EmulatorFault.KeepSendingAfterStop));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.True(stopped.FinalStats.AddsUp);
    }

    [Fact]
    public async Task Slow_responses_still_complete_subscriptions_and_shutdown()
    {
        var r = await StartAsync("emu-slow", EmulatorPlatforms.Quiet with
        {
            Faults = EmulatorFault.SlowResponses, SlowResponseMin = TimeSpan.FromMilliseconds(50), SlowResponseMax = TimeSpan.FromMilliseconds(150),
        });
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        Subscribe(r, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe);
        Assert.True(emulator.GetStats().ResponsesDelayed >= 4);
        emulator.Step(50);
        probe.ExpectMsg<PerfLevelChanged>();

        var stopped = await Scmi.StopPlatformAsync(r.Id);
        Assert.True(stopped.FinalStats.AddsUp);
        for (uint d = 0; d < 4; d++) Assert.False(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, d));
    }

    [Fact]
    public async Task A_missing_response_fails_the_subscription_though_the_platform_enabled_it()
    {
        var r = await StartAsync("emu-missing", EmulatorPlatforms.Quiet with
        {
            Faults = EmulatorFault.MissingResponses, MissingResponseProbability = 1, PerfLevelPerSecond = 50,
        });
        await using var emulator = r.Emulator;
        var probe = CreateTestProbe();
        r.Handle.Tell(new Subscribe(r.Id, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(0), probe), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>(TimeSpan.FromSeconds(5));
        Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason);
        Assert.True(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0));
        Assert.Equal(1, emulator.GetStats().ResponsesWithheld);

        // The platform sends what the agent does not know it enabled: decoded, delivered to nobody.
        Assert.True(emulator.Step(50) > 0);
        var perf = Quiescent(r, ScmiProtocolId.Perf).For(ScmiProtocolId.Perf)!;
        Assert.Equal(emulator.GetStats().For(ScmiProtocolId.Perf).Queued, perf.Decoded);
        Assert.Equal(0, perf.Delivered);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.True((await Scmi.StopPlatformAsync(r.Id)).FinalStats.AddsUp);
    }
}
