using Akka.Actor;
using Akka.Event;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>A vendor decoder that throws is contained: counted, its protocol actor restarted, nothing else disturbed.</summary>
public sealed class SupervisionSpec(ITestOutputHelper output) : CoreSpec(output)
{
    private const uint Poison = 0xDEAD;

    [Fact]
    public async Task A_throwing_decoder_is_counted_and_the_events_after_it_are_still_delivered()
    {
        var hook = new DecoderGate(blockOn: uint.MaxValue) { ThrowOn = Poison };
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(hook.OnDecode), TestVendor.Description());
        var subscriber = CreateTestProbe();
        var perfSubscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.All, subscriber);
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), perfSubscriber);

        // Faults are counted, not logged one by one (the drop log reports them per interval).
        PostVendor(p, 1, 1);
        PostVendor(p, 2, Poison);
        PostVendor(p, 3, 2);
        PostVendor(p, 0, 3);
        Assert.Equal(1u, subscriber.ExpectMsg<VendorTestReport>().Value);
        Assert.Equal(2u, subscriber.ExpectMsg<VendorTestReport>().Value);
        Assert.Equal(3u, subscriber.ExpectMsg<VendorTestReport>().Value);

        // Still subscribed, still delivering, after the restart; other protocols never noticed.
        PostVendor(p, 1, 4);
        Assert.Equal(4u, subscriber.ExpectMsg<VendorTestReport>().Value);
        PostPerfLevel(p, 0, 5);
        Assert.Equal(5u, perfSubscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);

        var stats = AwaitStats(p, s => Assert.Equal(4, s.For(TestVendor.Id)!.Delivered));
        var vendor = stats.For(TestVendor.Id)!;
        Assert.Equal((5L, 4L, 1L), (vendor.Queued, vendor.Decoded, vendor.DecoderFaults));
        Assert.Equal(1, vendor.Malformed);
        Assert.Equal(PlatformState.Ready, stats.State);
        Assert.Equal(2, stats.ActiveSubscriptions);
        AssertAddsUp(stats);
        // Nothing was disabled by the fault.
        Assert.DoesNotContain(VendorNotifies(p), n => !n.Enable);

        var complete = await Scmi.StopPlatformAsync(p.Id);
        Assert.True(complete.FinalStats.AddsUp);
        Assert.Equal(1, complete.FinalStats.For(TestVendor.Id)!.DecoderFaults);
    }

    [Fact]
    public async Task Repeated_decoder_faults_never_wedge_the_queue()
    {
        var hook = new DecoderGate(blockOn: uint.MaxValue) { ThrowOn = Poison };
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(hook.OnDecode), TestVendor.Description());
        var subscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(0), subscriber);

        for (uint i = 0; i < 10; i++)
        {
            PostVendor(p, 0, Poison);
            PostVendor(p, 0, i);
        }
        for (uint i = 0; i < 10; i++) Assert.Equal(i, subscriber.ExpectMsg<VendorTestReport>().Value);
        var stats = AwaitStats(p, s => Assert.Equal(10, s.For(TestVendor.Id)!.DecoderFaults));
        Assert.Equal(10, stats.For(TestVendor.Id)!.Delivered);
        AssertAddsUp(stats);
    }

    /// <summary>
    /// The drain request of the ordered shutdown lives in the protocol actor's fields; a decoder
    /// fault restarts the actor and must not make it forget that the handle waits for the drain.
    /// Here the fault comes after the actor took the request (the first batch of 256 is still being
    /// delivered when DrainQueue arrives); without the answer the handle waits for its drain
    /// deadline and logs that it discarded queues, although everything was delivered.
    /// </summary>
    [Fact]
    public async Task A_decoder_fault_during_the_shutdown_drain_does_not_stall_the_shutdown()
    {
        using var hook = new DecoderGate(blockOn: 0) { ThrowOn = 280 };
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(hook.OnDecode), TestVendor.Description(queueBytes: 16384));
        var subscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(0), subscriber);
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));

        PostVendor(p, 0, 0);
        Assert.True(hook.WaitEntered(TimeSpan.FromSeconds(3)));
        for (uint v = 1; v < 300; v++) Assert.Equal(IngestResult.Queued, PostVendor(p, 0, v));

        p.Handle.Tell(new StopPlatform(p.Id), TestActor);
        Assert.Equal(PlatformState.ShuttingDown, Stats(p).State); // DrainQueue is in the protocol actor's mailbox
        hook.Release();

        var complete = ExpectMsg<PlatformShutdownComplete>(TimeSpan.FromSeconds(5));
        var vendor = complete.FinalStats.For(TestVendor.Id)!;
        Assert.Equal((300L, 299L, 1L, 0L), (vendor.Queued, vendor.Decoded, vendor.DecoderFaults, vendor.Discarded));
        Assert.True(complete.FinalStats.AddsUp);
        var reports = ReceiveReportsUntil<PlatformStopped>(subscriber, _ => true);
        Assert.Equal(299, reports.Count);

        var drainWarnings = warnings.ReceiveWhile(TimeSpan.FromMilliseconds(100), m => m as Warning)
            .Where(w => w!.Message.ToString()!.Contains("Drain deadline")).ToList();
        Assert.True(drainWarnings.Count == 0,
            "the drain finished (nothing was discarded) but the handle only learned of it at its drain deadline: " +
            string.Join(" | ", drainWarnings.Select(w => w!.Message.ToString())));
    }
}
