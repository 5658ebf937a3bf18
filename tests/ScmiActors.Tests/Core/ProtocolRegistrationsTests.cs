using ScmiActors.Dispatch;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using ScmiActors.Tests.Support;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The handle's protocol table, driven without an ActorSystem: registration checks, deregistration leftovers, counters that never go down.</summary>
public sealed class ProtocolRegistrationsTests
{
    private const byte Vendor = TestVendor.Id;
    private readonly ProtocolRegistrations<string> _protocols = new();

    private Registration<string> Register(string actor, long dropped = 0)
    {
        var generation = _protocols.NextGeneration();
        var counters = new ProtocolCounters(Vendor, new ProtocolRing(4096)) { DroppedQueueFull = dropped };
        var registration = new Registration<string>(
            new ProtocolRuntime("soc0", TestVendor.Descriptor(), TestVendor.Description(), counters, generation), actor, generation);
        _protocols.Add(registration);
        return registration;
    }

    [Fact]
    public void Check_refuses_a_mismatched_or_registered_protocol_and_a_queue_out_of_bounds()
    {
        var descriptor = TestVendor.Descriptor();
        Assert.Null(_protocols.Check(descriptor, TestVendor.Description(), 4096));
        Assert.Contains("description for 0x91", _protocols.Check(descriptor, TestVendor.Description(id: 0x91), 4096));
        Assert.Contains("too small", _protocols.Check(descriptor, TestVendor.Description(), ProtocolRing.EntryOverhead * 4 - 1));
        Assert.Contains("too large", _protocols.Check(descriptor, TestVendor.Description(), ProtocolRing.MaxBudgetBytes + 1));
        Register("p1");
        Assert.Contains("already registered", _protocols.Check(descriptor, TestVendor.Description(), 4096));
        Assert.Throws<InvalidOperationException>(() => Register("again"));
    }

    [Fact]
    public void Each_registration_gets_a_new_generation()
    {
        var first = Register("p1");
        _protocols.Deregister(Vendor);
        _protocols.ProtocolActorStopped("p1");
        var second = Register("p2");
        Assert.True(second.Generation > first.Generation);
        Assert.Same(second, _protocols.Find(Vendor));
    }

    [Fact]
    public void A_deregistered_protocol_retires_its_actor_and_holds_a_new_registration_until_its_sources_are_gone()
    {
        var registration = Register("p1");
        registration.EventSources[(0, SourceSelector.Id(0))] = "s0";
        registration.EventSources[(0, SourceSelector.All)] = "all";

        Assert.Same(registration, _protocols.Deregister(Vendor));
        Assert.Null(_protocols.Deregister(Vendor));
        Assert.False(_protocols.IsRegistered(Vendor));
        Assert.True(_protocols.IsRetiring("p1"));
        Assert.True(_protocols.IsReleasingOld(Vendor));
        Assert.Equal(["all", "s0"], _protocols.OldSources.Order());
        // Two generations must not enable at once.
        Assert.Throws<InvalidOperationException>(() => Register("p2"));

        Assert.Equal((false, false), _protocols.OldSourceStopped("stranger"));
        Assert.Equal((true, false), _protocols.OldSourceStopped("s0"));
        Assert.Equal((true, true), _protocols.OldSourceStopped("all"));
        Assert.False(_protocols.IsReleasingOld(Vendor));
        Register("p2");
    }

    [Fact]
    public void Counters_of_ended_registrations_are_added_in_so_stats_never_go_down()
    {
        Register("p1", dropped: 5);
        Assert.Equal(5, _protocols.Stats().Single().DroppedQueueFull);
        Assert.True(_protocols.Stats().Single().Registered);

        _protocols.Deregister(Vendor);
        Assert.Equal(5, _protocols.Stats().Single().DroppedQueueFull); // retiring
        Assert.False(_protocols.Stats().Single().Registered);
        Assert.True(_protocols.ProtocolActorStopped("p1"));
        Assert.False(_protocols.ProtocolActorStopped("p1"));
        Assert.Equal(5, _protocols.Stats().Single().DroppedQueueFull); // retired

        Register("p2", dropped: 2);
        var stats = _protocols.Stats().Single();
        Assert.Equal(7, stats.DroppedQueueFull);
        Assert.True(stats.Registered);
        Assert.Equal(2, _protocols.AllCounters().Length);
    }
}
