using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>Protocol registration and deregistration.</summary>
public sealed class RegistrationSpec(ITestOutputHelper output) : CoreSpec(output)
{
    [Fact]
    public async Task Deregistration_puts_subscriptions_back_to_pending_and_registration_again_reactivates_them()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        var id = SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        PostPerfLevel(p, 1, 1);
        PostPerfLevel(p, 1, 2);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 1);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 2);
        AwaitStats(p, s => Assert.Equal(2, s.For(Perf)!.Delivered));

        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        Assert.True(ExpectMsg<ProtocolDeregistered>().WasRegistered);
        Assert.Equal(id, subscriber.ExpectMsg<SubscriptionPending>().Id);
        var between = Stats(p);
        Assert.Equal((0, 1), (between.ActiveSubscriptions, between.PendingSubscriptions));
        // Deregistration released the enable at the platform.
        AwaitAssert(() => Assert.Equal([(1u, true), (1u, false)], PerfLevelNotifies(p)), TimeSpan.FromSeconds(3));

        Assert.Equal(IngestResult.UnknownProtocol, PostPerfLevel(p, 1, 3));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        // Deregistering again: nothing was registered.
        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, Perf), TestActor);
        Assert.False(ExpectMsg<ProtocolDeregistered>().WasRegistered);

        RegisterPerf(p);
        Assert.Equal(id, subscriber.ExpectMsg<SubscriptionActive>().Id);
        Assert.Equal([(1u, true), (1u, false), (1u, true)], PerfLevelNotifies(p));
        PostPerfLevel(p, 1, 4);
        Assert.Equal(4u, subscriber.ExpectMsg<PerfLevelChanged>().PerformanceLevel);

        // The protocol's counters add up across both registrations.
        var stats = AwaitStats(p, s => Assert.Equal(3, s.For(Perf)!.Delivered));
        var perf = stats.For(Perf)!;
        Assert.True(perf.Registered);
        Assert.Equal(3, perf.Queued);
        Assert.Equal(3, perf.Decoded);
        Assert.Equal(1, stats.UnknownProtocol);
        Assert.Equal((1, 0), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
        AssertAddsUp(stats);

        // And still after the first registration's actor has retired.
        var final = await Scmi.StopPlatformAsync(p.Id);
        Assert.Equal(3, final.FinalStats.For(Perf)!.Delivered);
        Assert.Equal(4, final.FinalStats.Received - final.FinalStats.NotANotification);
        Assert.True(final.FinalStats.AddsUp);
    }

    [Fact]
    public async Task Deregistration_discards_the_queue_and_counts_it()
    {
        using var gate = new DecoderGate(blockOn: 1);
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        RegisterVendor(p, TestVendor.Descriptor(gate.OnDecode), TestVendor.Description());
        var subscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(0), subscriber);

        PostVendor(p, 0, 1);
        Assert.True(gate.WaitEntered(TimeSpan.FromSeconds(3)));
        for (uint v = 2; v <= 6; v++) Assert.Equal(IngestResult.Queued, PostVendor(p, 0, v));

        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, TestVendor.Id), TestActor);
        Assert.True(ExpectMsg<ProtocolDeregistered>().WasRegistered);
        subscriber.ExpectMsg<SubscriptionPending>();
        gate.Release();

        // The entry being decoded is finished; the five behind it are discarded, not delivered.
        var stats = AwaitStats(p, s => Assert.Equal(5, s.For(TestVendor.Id)!.Discarded));
        var vendor = stats.For(TestVendor.Id)!;
        Assert.False(vendor.Registered);
        Assert.Equal((6L, 1L, 0L), (vendor.Queued, vendor.Decoded, vendor.InQueue));
        AssertAddsUp(stats);
        var late = subscriber.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as VendorTestReport);
        Assert.True(late.Count <= 1,
            $"after SubscriptionPending only the entry already being decoded may arrive, got values {string.Join(", ", late.Select(r => r!.Value))}");
    }

    [Fact]
    public async Task Duplicate_and_mismatched_registrations_are_rejected()
    {
        var p = await StartPlatformAsync();
        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(StandardProtocols.Perf, p.Description.Protocols[Perf])), TestActor);
        Assert.Contains("already registered", ExpectMsg<ProtocolRegistrationFailed>().Reason);

        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(TestVendor.Descriptor(), p.Description.Protocols[Perf])), TestActor);
        ExpectMsg<ProtocolRegistrationFailed>(f => f.Protocol == TestVendor.Id);

        // The registered protocol is untouched.
        var subscriber = CreateTestProbe();
        SubscribeActive(p, Perf, PerfLevel, SourceSelector.Id(0), subscriber);
        PostPerfLevel(p, 0, 9);
        subscriber.ExpectMsg<PerfLevelChanged>(r => r.PerformanceLevel == 9);
    }

    [Fact]
    public async Task Vendor_protocol_registers_through_the_same_interface_and_delivers()
    {
        var p = await StartPlatformAsync();
        RegisterVendor(p, TestVendor.Descriptor(), TestVendor.Description(sources: 2));
        var subscriber = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(1), subscriber);
        Assert.Equal([(1u, true)], VendorNotifies(p));

        Assert.Equal(IngestResult.Queued, PostVendor(p, 1, 77));
        var report = subscriber.ExpectMsg<VendorTestReport>();
        Assert.Equal((TestVendor.Id, (byte)0, 1u, 77u), (report.Protocol, report.Event, report.Source, report.Value));
        Assert.Equal(p.Id, report.PlatformId);
    }

    /// <summary>
    /// A deregistration's disables and a new registration's enables go through different
    /// event-source actors. When the old one is still busy (here: waiting for a route its stuck
    /// protocol actor cannot install), its disable reaches the platform after the new enable, and
    /// the platform ends up not notifying a source that has active subscriptions.
    /// </summary>
    [Fact]
    public async Task Registration_again_never_leaves_an_active_subscription_disabled_at_the_platform()
    {
        using var gate = new DecoderGate(blockOn: 1000);
        var p = await StartPlatformAsync(options: new(RegisterDescribedProtocols: false));
        var descriptor = TestVendor.Descriptor(gate.OnDecode);
        RegisterVendor(p, descriptor, TestVendor.Description());
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        SubscribeActive(p, TestVendor.Id, 0, SourceSelector.Id(1), a);
        var oldSource = ChildOf(p, "p90-g1-e0-s1");
        var watcher = CreateTestProbe();
        watcher.Watch(oldSource);

        PostVendor(p, 1, 1000); // the protocol actor is now stuck in decode
        Assert.True(gate.WaitEntered(TimeSpan.FromSeconds(3)));
        p.Handle.Tell(new Subscribe(p.Id, TestVendor.Id, 0, SourceSelector.Id(1), b), TestActor); // waits for its route

        p.Handle.Tell(new DeregisterProtocolEvents(p.Id, TestVendor.Id), TestActor);
        ExpectMsg<SubscriptionPending>();
        Assert.True(ExpectMsg<ProtocolDeregistered>().WasRegistered);
        a.ExpectMsg<SubscriptionPending>();

        RegisterVendor(p, descriptor, TestVendor.Description());
        a.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        b.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));

        // Let the first registration's source actor finish whatever it still does, then look at the platform.
        watcher.ExpectTerminated(oldSource, TimeSpan.FromSeconds(5));
        gate.Release();
        var notifies = VendorNotifies(p);
        Assert.True(notifies.Last() == (1u, true),
            $"source 1 has two active subscriptions but the platform's last NOTIFY for it was a disable: {string.Join(", ", notifies)}");

        PostVendor(p, 1, 5);
        ReceiveReportsUntil<VendorTestReport>(a, r => r.Value == 5);
        ReceiveReportsUntil<VendorTestReport>(b, r => r.Value == 5);
    }
}
