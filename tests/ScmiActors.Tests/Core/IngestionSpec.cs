using System.Runtime.CompilerServices;
using Akka.Actor;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>The ingestion gate: every outcome reachable and counted, malformed input contained, protocols independent.</summary>
public sealed class IngestionSpec(ITestOutputHelper output) : CoreSpec(output)
{
    private static byte[] SensorTrip(uint sensor, uint desc) => TestPlatforms.Words(0, sensor, desc);

    [Fact]
    public async Task Each_outcome_of_a_running_gate_is_reachable_and_counted_exactly()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);
        var firmwareAnswers = p.Firmware.Commands.Count; // each answer is a response through the gate

        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 1));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 3, 2));
        Assert.Equal(IngestResult.UnknownProtocol, p.Platform.SendNotification(ScmiProtocolId.Voltage, 0, TestPlatforms.Words(0, 0, 0)));
        Assert.Equal(IngestResult.UnknownProtocol, p.Platform.SendNotification(0xF0, 0, []));
        Assert.Equal(IngestResult.UnknownEvent, p.Platform.SendNotification(Perf, 2, TestPlatforms.PerfLevel(0, 1)));
        Assert.Equal(IngestResult.UnknownEvent, p.Platform.SendNotification(Perf, 0xFF, []));
        Assert.Equal(IngestResult.PayloadTooLarge, p.Platform.SendNotification(Perf, PerfLevel, new byte[13]));
        Assert.Equal(IngestResult.NotANotification, p.Platform.Send(ScmiHeader.Command(Perf, PerfLevelNotify, 999), TestPlatforms.Words(0)));
        Assert.Equal(IngestResult.NotANotification,
            p.Platform.Send(new ScmiHeader(PerfLevelNotify, MessageType.DelayedResponse, Perf, 998).Encode(), TestPlatforms.Words(0)));
        Assert.Equal(IngestResult.ReservedMessageType, p.Platform.Send(new ScmiHeader(PerfLevel, MessageType.Reserved, Perf, 0).Encode(),
            TestPlatforms.PerfLevel(0, 1)));

        Assert.Equal(1u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        Assert.Equal(2u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // nothing rejected reached the subscriber

        var stats = AwaitStats(p, s => Assert.Equal(2, s.For(Perf)!.Delivered));
        var perf = stats.For(Perf)!;
        Assert.Equal((2L, 0L), (perf.Queued, perf.DroppedQueueFull));
        Assert.Equal((2L, 1L), (perf.RejectedUnknownEvent, perf.RejectedPayloadTooLarge));
        Assert.Equal(2, stats.UnknownProtocol);
        Assert.Equal(1, stats.ReservedMessageType);
        Assert.Equal(firmwareAnswers + 2, stats.NotANotification);
        Assert.Equal(0, stats.NotRunning);
        Assert.Equal(firmwareAnswers + 10, stats.Received);
        AssertAddsUp(stats);
        // The two stray responses were counted by the link and completed nothing.
        Assert.Equal(2, LinkStatsOf(p).UnmatchedResponses);
        Assert.Equal(0, LinkStatsOf(p).PendingCommands);
    }

    [Fact]
    public async Task A_transport_stamp_is_kept_and_an_unstamped_post_is_stamped_by_the_gate_at_arrival()
    {
        var p = await StartCapturedAsync();
        AwaitReady(p);
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);

        Assert.Equal(IngestResult.Queued, p.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 1), timestampNs: 12345));
        var before = ScmiClock.NowNs();
        Assert.Equal(IngestResult.Queued, p.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 2)));
        var message = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(message, TestPlatforms.PerfLevelHeader);
        TestPlatforms.PerfLevel(0, 3).CopyTo(message, 4);
        Assert.Equal(IngestResult.Queued, GateOf(p).PostMessage(message));
        var after = ScmiClock.NowNs();

        Assert.Equal(12345, subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 1).TimestampNs);
        Assert.InRange(subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 2).TimestampNs, before, after);
        Assert.InRange(subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 3).TimestampNs, before, after);
    }

    [Fact]
    public async Task Posts_before_connect_and_after_stop_are_NotRunning()
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var p = await StartCapturedAsync(connected: connected.Task);
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 0, 1));

        connected.SetResult();
        var gate = GateOf(p);
        AwaitReady(p);
        Assert.True(gate.IsRunning);
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 2));

        var complete = await Scmi.StopPlatformAsync(p.Id);
        Assert.Equal(1, complete.FinalStats.Received);
        Assert.True(complete.FinalStats.AddsUp);

        // The transport is detached (as the handle stops, just after answering), and the gate itself,
        // should a transport still hold it, is closed.
        AwaitCondition(() => !p.Platform.IsAttached, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));
        Assert.Equal(IngestResult.NotRunning, PostPerfLevel(p, 0, 3));
        Assert.False(gate.IsRunning);
        Assert.Equal(IngestResult.NotRunning, gate.Post(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(0, 4), ScmiClock.NowNs()));
        Assert.Equal(IngestResult.NotRunning, gate.Post(ScmiHeader.Notification(0xF0, 0), [], ScmiClock.NowNs()));
        Assert.Equal(2, Volatile.Read(ref gate.Counters.NotRunning));
    }

    [Fact]
    public async Task Queue_full_drops_the_newest_and_counts_each_drop()
    {
        using var decoder = new DecoderGate(blockOn: 0);
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        // 64 bytes: two entries of 16 + 12 bytes.
        RegisterVendor(p, TestVendor.Descriptor(decoder.OnDecode), TestVendor.Description(queueBytes: 64));
        var subscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(0), subscriber);

        Assert.Equal(IngestResult.Queued, PostVendor(p, 0, 0));
        Assert.True(decoder.WaitEntered(TimeSpan.FromSeconds(3))); // entry 0 is held until its decode ends
        Assert.Equal(IngestResult.Queued, PostVendor(p, 0, 1));
        var results = Enumerable.Range(2, 50).Select(v => PostVendor(p, 0, (uint)v)).ToList();
        Assert.All(results, r => Assert.Equal(IngestResult.DroppedQueueFull, r));
        decoder.Release();

        // Drop-newest: the two oldest are delivered, in order.
        Assert.Equal(0u, subscriber.ExpectMsg<VendorTestReport>().Value);
        Assert.Equal(1u, subscriber.ExpectMsg<VendorTestReport>().Value);
        // Room again once drained.
        AwaitStats(p, s => Assert.Equal(0, s.For(TestVendor.Id)!.InQueue));
        Assert.Equal(IngestResult.Queued, PostVendor(p, 0, 99));
        Assert.Equal(99u, subscriber.ExpectMsg<VendorTestReport>().Value);

        var stats = AwaitStats(p, s => Assert.Equal(3, s.For(TestVendor.Id)!.Delivered));
        var vendor = stats.For(TestVendor.Id)!;
        Assert.Equal((3L, 50L, 53L), (vendor.Queued, vendor.DroppedQueueFull, vendor.Received));
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Tight_loop_into_a_64_byte_queue_drops_and_every_post_is_accounted_for()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Perf, d => d with { QueueBytes = 64 });
        var p = await StartPlatformAsync(description: description);
        AwaitReady(p);
        var counts = new OutcomeCounter();
        const int posts = 20_000;
        for (var i = 0; i < posts; i++) counts.Add(PostPerfLevel(p, (uint)(i & 3), (uint)i));

        Assert.Equal(posts, counts[IngestResult.Queued] + counts[IngestResult.DroppedQueueFull]);
        Assert.True(counts[IngestResult.DroppedQueueFull] > 0, counts.ToString());
        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue));
        var perf = stats.For(Perf)!;
        Assert.Equal(counts[IngestResult.Queued], perf.Queued);
        Assert.Equal(counts[IngestResult.DroppedQueueFull], perf.DroppedQueueFull);
        Assert.Equal(posts, perf.Received);
        Assert.Equal(posts, stats.Received);
        Assert.Equal(perf.Queued, perf.Decoded);
        Assert.Equal(perf.Decoded, perf.Unmatched); // nobody subscribed
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task Malformed_payloads_are_counted_and_never_delivered()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.All, subscriber);
        SubscribeActive(p, Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.All, subscriber);

        Assert.Equal(IngestResult.Queued, p.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(1, 10)[..11])); // a byte short
        Assert.Equal(IngestResult.Queued, p.Platform.Send(TestPlatforms.PerfLevelHeader, []));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 4, 11));          // source == count
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0x1_0001, 12));   // not truncated to source 1
        Assert.Equal(IngestResult.Queued, p.Platform.SendNotification(Sensor, ScmiEvents.Sensor.TripPointEvent, SensorTrip(8, 1)));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 1, 13));          // the only valid one

        // Had anything malformed been delivered, it would come first.
        Assert.Equal(13u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(Perf)!.InQueue + s.For(Sensor)!.InQueue));
        var perf = stats.For(Perf)!;
        Assert.Equal((2L, 2L, 1L, 1L), (perf.MalformedTooShort, perf.MalformedSourceOutOfRange, perf.Decoded, perf.Delivered));
        Assert.Equal(0, perf.Unmatched);
        Assert.Equal(1, stats.For(Sensor)!.MalformedSourceOutOfRange);
        AssertAddsUp(stats);
        Assert.Equal(PlatformState.Ready, stats.State);
    }

    [Fact]
    public async Task Random_garbage_never_throws_and_every_message_is_accounted_for()
    {
        var p = await StartPlatformAsync();
        AwaitReady(p);
        var random = new Random(20_56);
        var counts = new OutcomeCounter();
        var buffer = new byte[1200];
        random.NextBytes(buffer);
        const int posts = 5_000;
        for (var i = 0; i < posts; i++)
        {
            var header = (uint)random.NextInt64(0, 1L << 32);
            if (i % 2 == 0) // half are notifications of (mostly) real protocols and events
                header = (header & 0xFFFC_0000u) | (uint)(random.Next(0x10, 0x19) << 10) | 0x300u | (uint)random.Next(3);
            var length = random.Next(3) == 0 ? random.Next(0, 1200) : random.Next(0, 24);
            counts.Add(p.Platform.Send(header, buffer.AsSpan(0, length)));
        }

        var stats = AwaitStats(p, s => Assert.All(s.Protocols, x => Assert.Equal(0, x.InQueue)));
        Assert.Equal(posts, stats.Received);
        Assert.Equal(counts[IngestResult.Queued], stats.Protocols.Sum(x => x.Queued));
        Assert.Equal(counts[IngestResult.DroppedQueueFull], stats.Protocols.Sum(x => x.DroppedQueueFull));
        Assert.Equal(counts[IngestResult.UnknownEvent], stats.Protocols.Sum(x => x.RejectedUnknownEvent));
        Assert.Equal(counts[IngestResult.PayloadTooLarge], stats.Protocols.Sum(x => x.RejectedPayloadTooLarge));
        Assert.Equal(counts[IngestResult.UnknownProtocol], stats.UnknownProtocol);
        Assert.Equal(counts[IngestResult.ReservedMessageType], stats.ReservedMessageType);
        Assert.Equal(counts[IngestResult.NotANotification], stats.NotANotification);
        Assert.True(counts[IngestResult.Queued] > 100, counts.ToString());
        AssertAddsUp(stats);
        Assert.Equal(PlatformState.Ready, stats.State);
        Assert.Equal(counts[IngestResult.NotANotification], LinkStatsOf(p).UnmatchedResponses);
    }

    [Fact]
    public async Task A_flood_on_one_protocol_does_not_delay_another()
    {
        var description = TestPlatforms.Soc0().WithProtocol(Sensor, d => d with { QueueBytes = 256 });
        var p = await StartPlatformAsync(description: description);
        var sensorReports = new StrongBox<long>();
        var sensorSubscriber = Sys.ActorOf(CountingSubscriber.Props(sensorReports));
        var perfSubscriber = CreateTestProbe();
        SubscribeActive(p, Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.All, sensorSubscriber);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), perfSubscriber);

        var flood = new PostingThread(i => p.Platform.SendNotification(Sensor, ScmiEvents.Sensor.TripPointEvent, SensorTrip((uint)(i & 7), (uint)i))).Start();
        var perfResults = new List<IngestResult>();
        try
        {
            // The sensor queue is at its limit ...
            AwaitCondition(() => flood.Counts[IngestResult.DroppedQueueFull] > 0, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
            // ... and every perf event is still delivered, one after the other, while the flood goes on.
            for (uint level = 0; level < 100; level++)
            {
                perfResults.Add(PostPerfLevel(p, 0, level));
                Assert.Equal(level, perfSubscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
            }
            Assert.True(flood.Counts[IngestResult.DroppedQueueFull] > 0);
        }
        finally
        {
            flood.Stop();
        }
        Assert.Null(flood.Error);
        Assert.All(perfResults, r => Assert.Equal(IngestResult.Queued, r));

        var stats = AwaitStats(p, s => Assert.Equal(0, s.For(Sensor)!.InQueue));
        Assert.Equal((100L, 0L), (stats.For(Perf)!.Delivered, stats.For(Perf)!.DroppedQueueFull));
        Assert.Equal(flood.Counts[IngestResult.DroppedQueueFull], stats.For(Sensor)!.DroppedQueueFull);
        Assert.Equal(flood.Counts[IngestResult.Queued], stats.For(Sensor)!.Queued);
        Assert.Equal(stats.For(Sensor)!.Delivered, stats.For(Sensor)!.Decoded);
        AwaitCondition(() => Volatile.Read(ref sensorReports.Value) == stats.For(Sensor)!.Delivered, TimeSpan.FromSeconds(3));
        AssertAddsUp(stats);
    }

    [Fact]
    public async Task A_protocol_whose_consumer_is_stuck_does_not_delay_another()
    {
        using var decoder = new DecoderGate(blockOn: 7);
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(decoder.OnDecode), TestVendor.Description());
        var perfSubscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(2), perfSubscriber);

        PostVendor(p, 0, 7);
        Assert.True(decoder.WaitEntered(TimeSpan.FromSeconds(3)));
        for (uint level = 0; level < 20; level++)
        {
            Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 2, level));
            Assert.Equal(level, perfSubscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        }
        Assert.Equal(PlatformState.Ready, Stats(p).State); // the handle answers too
        decoder.Release();
        // Decoded moves before the entry leaves the ring (in-queue), so a snapshot taken between the two
        // does not add up yet: wait for both.
        AwaitStats(p, s =>
        {
            Assert.Equal(1, s.For(TestVendor.Id)!.Decoded);
            AssertAddsUp(s);
        });
    }
    [Fact]
    public async Task After_a_burst_the_lingering_turn_unschedules_so_the_next_post_wakes_the_actor()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);

        // A burst posted at once: the drain takes several entries, empties the ring and lingers a turn.
        for (uint level = 0; level < 10; level++) Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, level));
        for (uint level = 0; level < 10; level++) Assert.Equal(level, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        // Once the linger turn found nothing it must have cleared the wake flag: a lone post after the
        // burst is then woken by the gate, not left in a ring whose actor believes itself scheduled.
        AwaitStats(p, s => Assert.Equal(10, s.For(Perf)!.Delivered));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 99));
        Assert.Equal(99u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);
        AssertAddsUp(AwaitStats(p, s => Assert.Equal(11, s.For(Perf)!.Delivered)));
    }
}
