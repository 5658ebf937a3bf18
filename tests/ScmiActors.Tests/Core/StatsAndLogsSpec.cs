using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.DependencyInjection;
using Akka.Event;
using Microsoft.Extensions.DependencyInjection;
using ScmiActors.Diagnostics;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>What operators see: log lines (EventFilter), stats, and System.Diagnostics.Metrics.</summary>
public sealed class StatsAndLogsSpec(ITestOutputHelper output) : CoreSpec(output)
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromMilliseconds(200); // ScmiTestKit's config
    private static readonly Regex DroppedWarning = new(@"Protocol 0x90 dropped (\d+) notifications \(queue full\)");

    // ---- logs ------------------------------------------------------------------------------------

    [Fact]
    public async Task Ready_is_logged_once_when_the_handle_has_connected()
    {
        await EventFilter.Info(new Regex(@"Platform soc0 ready \(8 protocols described\)")).ExpectOneAsync(async () =>
        {
            await StartPlatformAsync();
        });
    }

    [Fact]
    public async Task Init_failure_is_logged_as_an_error_once()
    {
        await EventFilter.Error(contains: "failed to initialise").ExpectOneAsync(async () =>
        {
            await StartPlatformAsync(connected: Task.FromException(new IOException("no doorbell")));
        });
    }

    [Fact]
    public async Task Registration_is_logged_with_the_protocols_shape()
    {
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        EventFilter.Info(new Regex(@"Protocol 0x13 registered: perf v4\.0, 2 events, 4 sources, queue 4096 bytes"))
            .ExpectOne(() => RegisterPerf(p));
        EventFilter.Info(contains: "0x13 deregistered").ExpectOne(() =>
        {
            p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
            ExpectMsg<ProtocolDeregistered>();
        });
    }

    [Fact]
    public async Task Messages_of_no_registered_protocol_or_of_the_reserved_type_are_warned_once_per_interval()
    {
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));
        var unknownProtocol = ScmiHeader.Notification(0x90, 0);
        var reservedType = (uint)(1 << 8) | ((uint)Perf << 10); // message type 1: reserved
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(IngestResult.UnknownProtocol, p.Platform.Send(unknownProtocol, new byte[4]));
            Assert.Equal(IngestResult.ReservedMessageType, p.Platform.Send(reservedType, new byte[4]));
        }

        // Every rejection is in some warning, and there are far fewer warnings than rejections.
        var pattern = new Regex(@"rejected (\d+) notifications of unregistered protocols and (\d+) of the reserved message type");
        long unknown = 0, reserved = 0;
        var count = 0;
        while (unknown < 50 || reserved < 50)
        {
            var text = warnings.FishForMessage<Warning>(w => pattern.IsMatch(w.Message.ToString()!), TimeSpan.FromSeconds(5)).Message.ToString()!;
            var m = pattern.Match(text);
            unknown += long.Parse(m.Groups[1].Value);
            reserved += long.Parse(m.Groups[2].Value);
            count++;
        }
        Assert.Equal((50, 50), (unknown, reserved));
        Assert.True(count <= 3, $"{count} warnings for 100 rejections");
        // Quiet intervals log nothing.
        var later = warnings.ReceiveWhile(DropLogInterval * 2.5, m => m as Warning);
        Assert.DoesNotContain(later, w => pattern.IsMatch(w!.Message.ToString()!));
    }

    [Fact]
    public async Task Drops_are_warned_once_per_interval_not_once_per_event()
    {
        using var decoder = new DecoderGate(blockOn: 0);
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        RegisterVendor(p, TestVendor.Descriptor(decoder.OnDecode), TestVendor.Description(queueBytes: 64));
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));

        PostVendor(p, 0, 0);
        Assert.True(decoder.WaitEntered(TimeSpan.FromSeconds(3))); // the queue can only fill from now on
        PostVendor(p, 0, 1);
        var clock = Stopwatch.StartNew();
        const int burst = 500;
        for (uint v = 0; v < burst; v++) Assert.Equal(IngestResult.DroppedQueueFull, PostVendor(p, 0, 2 + v));
        var burstTook = clock.Elapsed;

        // The warnings come at ticks of the drop log and together account for every drop. (How soon
        // a tick fires on a loaded CI machine is scheduling, not behaviour: the waits are generous.)
        var dropWarnings = new List<string>();
        var logged = 0L;
        while (logged < burst)
        {
            var warning = warnings.FishForMessage<Warning>(w => DroppedWarning.IsMatch(w.Message.ToString()!), TimeSpan.FromSeconds(5));
            var text = warning.Message.ToString()!;
            dropWarnings.Add(text);
            logged += long.Parse(DroppedWarning.Match(text).Groups[1].Value);
        }
        Assert.Equal(burst, logged);
        // One per interval: a burst shorter than an interval straddles at most one tick.
        var intervalsTouched = 1 + (int)Math.Ceiling(burstTook / DropLogInterval);
        Assert.True(dropWarnings.Count <= intervalsTouched,
            $"{dropWarnings.Count} warnings for a burst of {burstTook.TotalMilliseconds} ms: {string.Join(" | ", dropWarnings)}");

        // Quiet intervals log nothing.
        var later = warnings.ReceiveWhile(DropLogInterval * 2.5, m => m as Warning);
        Assert.DoesNotContain(later, w => DroppedWarning.IsMatch(w!.Message.ToString()!));

        decoder.Release();
        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(TestVendor.Id)!.InQueue));
        Assert.Equal(burst, stats.For(TestVendor.Id)!.DroppedQueueFull);
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Shutdown_complete_is_logged_once_with_the_accounting()
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 1));
        await EventFilter.Info(new Regex(@"Platform soc0 shutdown complete: 1 received, accounting adds up")).ExpectOneAsync(async () =>
        {
            await Scmi.StopPlatformAsync(p.Id);
        });
    }

    // ---- stats -----------------------------------------------------------------------------------

    [Fact]
    public async Task Stats_through_the_registry_list_every_registered_protocol()
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        Scmi.Handles.Tell(new GetStats(p.Id), TestActor);
        var stats = ExpectMsg<PlatformStats>();
        Assert.Equal(p.Id, stats.PlatformId);
        Assert.Equal(PlatformState.Ready, stats.State);
        Assert.Null(stats.FailureReason);
        Assert.Equal(p.Description.Protocols.Keys.Order(), stats.Protocols.Select(x => x.Protocol));
        Assert.All(stats.Protocols, x => Assert.True(x.Registered));
        Assert.Equal(0, stats.Received);
        Assert.True(stats.AddsUp);

        Scmi.Handles.Tell(new GetStats("no-such-platform"), TestActor);
        Assert.Equal("no-such-platform", ExpectMsg<PlatformNotFound>().PlatformId);
    }

    // ---- metrics ---------------------------------------------------------------------------------

    [Fact]
    public async Task Metrics_observe_delivered_notifications_by_platform_and_protocol()
    {
        var id = $"metrics-{Guid.NewGuid():N}";
        using var meter = new ScmiMeterListener(Scmi.Metrics.Meter); // this system's meter: other tests' systems have their own
        var p = await StartPlatformAsync(id);
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        for (uint i = 0; i < 3; i++) PostPerfLevel(p, 1, i);
        p.Platform.SendNotification(0xF0, 0, []); // unknown protocol
        p.Platform.SendNotification(Perf, 9, []); // unknown event of a registered protocol
        p.Platform.SendNotification(Perf, PerfLevel, new byte[11]); // one byte short: malformed
        for (var i = 0; i < 3; i++) subscriber.ExpectMsg<PerfLevelChanged>();
        AwaitStats(p, s => Assert.Equal((3L, 1L), (s.For(Perf)!.Delivered, s.For(Perf)!.Malformed)));

        AwaitAssert(() =>
        {
            var m = meter.Observe();
            Assert.Equal(3, m.Sum("scmi.notifications.delivered", id, Perf));
            Assert.Equal(4, m.Sum("scmi.notifications.queued", id, Perf)); // the short one is queued, then malformed
            Assert.Equal(3, m.Sum("scmi.notifications.decoded", id, Perf));
            Assert.Equal(0, m.Sum("scmi.notifications.delivered", id, Sensor));
            Assert.Equal(1, m.Sum("scmi.notifications.lost", id, null, "unknown_protocol"));
            Assert.Equal(1, m.Sum("scmi.notifications.lost", id, Perf, "unknown_event"));
            Assert.Equal(1, m.Sum("scmi.notifications.lost", id, Perf, "malformed"));
            Assert.Equal(0, m.Sum("scmi.notifications.lost", id, Perf, "queue_full"));
        }, TimeSpan.FromSeconds(3));

        await Scmi.StopPlatformAsync(p.Id);
        // A stopped platform is no longer reported (it unregisters as its handle stops, just after answering).
        AwaitAssert(() => Assert.Equal(0, meter.Observe().Count(id)), TimeSpan.FromSeconds(3));
    }

    /// <summary>
    /// Observable counters must be monotonic. The per-protocol stats add up across registrations;
    /// the meter should say the same, and not fall back when the first registration retires.
    /// </summary>
    [Fact]
    public async Task Metrics_counters_stay_monotonic_across_deregistration_and_registration_again()
    {
        var id = $"metrics-{Guid.NewGuid():N}";
        using var meter = new ScmiMeterListener(Scmi.Metrics.Meter);
        var p = await StartPlatformAsync(id, options: new(RegisterDescribedProtocols: false));
        RegisterPerf(p);
        var firstActor = ChildOf(p, "protocol-13-g1");
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        for (uint i = 0; i < 3; i++) PostPerfLevel(p, 0, i);
        for (var i = 0; i < 3; i++) subscriber.ExpectMsg<PerfLevelChanged>();
        AwaitAssert(() => Assert.Equal(3, meter.Observe().Sum("scmi.notifications.delivered", id, Perf)), TimeSpan.FromSeconds(3));

        var watcher = CreateTestProbe();
        watcher.Watch(firstActor);
        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        ExpectMsg<ProtocolDeregistered>();
        subscriber.ExpectMsg<SubscriptionPending>();
        watcher.ExpectTerminated(firstActor); // the first registration has retired

        RegisterPerf(p);
        subscriber.ExpectMsg<SubscriptionActive>();
        for (uint i = 0; i < 2; i++) PostPerfLevel(p, 0, i);
        for (var i = 0; i < 2; i++) subscriber.ExpectMsg<PerfLevelChanged>();
        AwaitStats(p, s => Assert.Equal(5, s.For(Perf)!.Delivered));

        AwaitAssert(() =>
        {
            var m = meter.Observe();
            Assert.Equal(5, m.Sum("scmi.notifications.delivered", id, Perf));
            Assert.Equal(5, m.Sum("scmi.notifications.queued", id, Perf));
        }, TimeSpan.FromSeconds(3));
    }

    /// <summary>
    /// Two nodes in one process (the two-node spec, a test runner) each report their own platforms
    /// only, even under the same platform id: each system's extension creates its own instruments on
    /// its own meter, from its host's IMeterFactory when the system has services (Akka.Hosting, or
    /// here a DependencyResolverSetup), else a meter of its own. A listener that picks one system's
    /// meter (what a per-host exporter does through the factory's scope) sees that system alone.
    /// </summary>
    [Fact]
    public async Task Metrics_of_two_systems_in_one_process_report_their_own_platforms_only()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var setup = BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString("akka.loglevel = WARNING\nscmi.command-timeout = 500ms"))
            .And(DependencyResolverSetup.Create(services));
        var other = ActorSystem.Create("scmi-other", setup);
        var otherScmi = ScmiNotifications.Get(other);
        using var mine = new ScmiMeterListener(Scmi.Metrics.Meter);
        using var theirs = new ScmiMeterListener(otherScmi.Metrics.Meter);
        var id = $"metrics-{Guid.NewGuid():N}"; // the same id on both nodes
        try
        {
            // The node with services uses its host's factory; the TestKit system (no services) has a meter of its own.
            Assert.Same(services.GetRequiredService<IMeterFactory>(), otherScmi.Metrics.Meter.Scope);
            Assert.Null(Scmi.Metrics.Meter.Scope);
            Assert.NotSame(Scmi.Metrics.Meter, otherScmi.Metrics.Meter);

            var p = await StartPlatformAsync(id);
            var transport = InMemoryTransport.Create();
            var firmware = new FakeFirmware(transport.Platform);
            var description = TestPlatforms.Soc0(id);
            var q = new TestPlatform(id, await otherScmi.StartPlatformAsync(id, transport.Agent, description), transport, firmware, description);

            for (uint i = 0; i < 3; i++) Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, i));
            for (uint i = 0; i < 5; i++) Assert.Equal(IngestResult.Queued, PostPerfLevel(q, 0, i));

            AwaitAssert(() =>
            {
                Assert.Equal(3, mine.Observe().Sum("scmi.notifications.queued", id, Perf));
                Assert.Equal(5, theirs.Observe().Sum("scmi.notifications.queued", id, Perf));
                Assert.Equal(3, mine.Observe().Sum("scmi.notifications.unmatched", id, Perf));
                Assert.Equal(5, theirs.Observe().Sum("scmi.notifications.unmatched", id, Perf));
            }, TimeSpan.FromSeconds(3));
        }
        finally
        {
            await other.Terminate();
        }
        // A terminated system reports nothing; the other one goes on.
        AwaitAssert(() => Assert.Equal(0, theirs.Observe().Count(id)), TimeSpan.FromSeconds(3));
        Assert.Equal(3, mine.Observe().Sum("scmi.notifications.queued", id, Perf));
    }
}

/// <summary>
/// A MeterListener on one ActorSystem's ScmiActors meter (<c>ScmiNotifications.Metrics.Meter</c>), or on
/// every meter of that name when none is given; <see cref="Observe"/> collects one round of observable instruments.
/// </summary>
public sealed class ScmiMeterListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _lock = new();
    private List<Measured> _round = new();

    public ScmiMeterListener(Meter? meter = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meter is null ? instrument.Meter.Name == ScmiMetrics.MeterName : ReferenceEquals(instrument.Meter, meter))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            lock (_lock) _round.Add(new Measured(instrument.Name, value, map));
        });
        _listener.Start();
    }

    public Round Observe()
    {
        lock (_lock)
        {
            _round = new List<Measured>();
            _listener.RecordObservableInstruments();
            return new Round(_round);
        }
    }

    public void Dispose() => _listener.Dispose();

    public sealed record Measured(string Instrument, long Value, Dictionary<string, object?> Tags);

    public sealed class Round(List<Measured> measurements)
    {
        public IReadOnlyList<Measured> Measurements { get; } = measurements;

        public long Sum(string instrument, string platform, byte? protocol, string? outcome = null) =>
            Measurements.Where(m => m.Instrument == instrument
                                    && Equals(m.Tags.GetValueOrDefault("scmi.platform"), platform)
                                    && (m.Tags.GetValueOrDefault("scmi.protocol") is { } p ? Convert.ToInt32(p) : (int?)null) == protocol
                                    && (outcome is null || Equals(m.Tags.GetValueOrDefault("scmi.outcome"), outcome)))
                .Sum(m => m.Value);

        public int Count(string platform) => Measurements.Count(m => Equals(m.Tags.GetValueOrDefault("scmi.platform"), platform));
    }
}
