using System.Collections.Immutable;
using Akka.Event;
using ScmiActors.Dispatch;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using ScmiActors.Tests.Support;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>
/// The handle's subscription decisions, driven without an ActorSystem: what each request is answered,
/// what the event sources are told, and who is watched. Actors are strings; the port records.
/// </summary>
public sealed class SubscriptionControlTests
{
    private const string Platform = "soc0";
    private const byte Vendor = TestVendor.Id;

    private readonly ProtocolRegistrations<string> _protocols = new();
    private readonly Port _port = new();
    private readonly SubscriptionControl<string> _control;

    public SubscriptionControlTests() => _control = new SubscriptionControl<string>(Platform, _protocols, _port, NoLogger.Instance);

    private Registration<string> Register(PlatformProtocol? description = null)
    {
        description ??= TestVendor.Description(sources: 4);
        var generation = _protocols.NextGeneration();
        var runtime = new ProtocolRuntime(Platform, TestVendor.Descriptor(), description,
            new ProtocolCounters(Vendor, new ProtocolRing(4096)), generation);
        var registration = new Registration<string>(runtime, $"protocol-g{generation}", generation);
        _protocols.Add(registration);
        _control.Registered(registration);
        return registration;
    }

    private void Subscribe(long id, uint source, string subscriber = "alice", string caller = "caller", byte evt = 0) =>
        _control.Subscribe(new SubscriptionId(id), Vendor, evt, SourceSelector.Id(source), subscriber, caller);

    private static SubscriptionId Id(long id) => new(id);

    [Fact]
    public void A_subscription_to_an_unregistered_protocol_is_pending_and_binds_when_it_registers()
    {
        Subscribe(1, source: 2);
        Assert.Equal([("caller", (object)new SubscriptionPending(Platform, Id(1)))], _port.Told);
        Assert.Equal(["watch alice"], _port.Calls);
        _port.Clear();

        Register();
        Assert.Equal(["create src-g1-e0-s2", "add src-g1-e0-s2 #1 alice g1"], _port.Calls);
        Assert.Equal(SubscriptionState.Binding, _control.Table.Find(Id(1))!.State);

        // After SubscriptionPending, the answer goes to the subscriber, not to whoever asked.
        _control.Bound(new SubscriberBound(Id(1), 1));
        Assert.Equal([("alice", (object)new SubscriptionActive(Platform, Id(1)))], _port.Told);
    }

    [Fact]
    public void One_source_actor_serves_every_subscription_of_its_source_and_a_stale_answer_is_ignored()
    {
        Register();
        Subscribe(1, source: 1);
        Subscribe(2, source: 1, subscriber: "bob");
        Assert.Single(_port.Calls, c => c.StartsWith("create"));

        _control.Bound(new SubscriberBound(Id(1), Generation: 7));
        Assert.Empty(_port.Told);
        _control.Bound(new SubscriberBound(Id(1), 1));
        _control.Bound(new SubscriberBound(Id(1), 1)); // a duplicate: answered once
        Assert.Equal([("caller", (object)new SubscriptionActive(Platform, Id(1)))], _port.Told);
    }

    [Fact]
    public void A_subscription_the_protocol_cannot_serve_fails_and_its_subscriber_is_unwatched()
    {
        Register(TestVendor.Description(sources: 4) with
        {
            CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(0, [3]),
        });
        Subscribe(1, source: 9);
        Subscribe(2, source: 3);
        Subscribe(3, source: 0, evt: 5);

        var reasons = _port.Told.Select(t => ((SubscriptionFailed)t.Message).Reason).ToList();
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(9, 4), reasons[0]);
        Assert.IsType<SubscriptionFailure.NotSupportedByPlatform>(reasons[1]);
        Assert.Equal(new SubscriptionFailure.NoSuchEvent(Vendor, 5), reasons[2]);
        Assert.Equal(0, _control.Table.Count);
        Assert.Equal(["watch alice", "unwatch alice", "watch alice", "unwatch alice", "watch alice", "unwatch alice"], _port.Calls);
    }

    [Fact]
    public void All_sources_go_to_one_actor_with_the_sources_that_can_notify_and_fail_if_none_can()
    {
        Register(TestVendor.Description(sources: 3) with
        {
            CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(0, [1]),
        });
        _control.Subscribe(Id(1), Vendor, 0, SourceSelector.All, "alice", "caller");
        Assert.Equal(["watch alice", "create all-g1-e0 [0,2]", "add all-g1-e0 #1 alice g1"], _port.Calls);

        var protocols = new ProtocolRegistrations<string>();
        var none = new SubscriptionControl<string>(Platform, protocols, _port, NoLogger.Instance);
        var runtime = new ProtocolRuntime(Platform, TestVendor.Descriptor(), TestVendor.Description(sources: 1) with
        {
            CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(0, [0]),
        }, new ProtocolCounters(Vendor, new ProtocolRing(4096)), 1);
        protocols.Add(new Registration<string>(runtime, "protocol", 1));
        _port.Clear();
        none.Subscribe(Id(1), Vendor, 0, SourceSelector.All, "alice", "caller");
        Assert.IsType<SubscriptionFailure.NotSupportedByPlatform>(((SubscriptionFailed)_port.Told.Single().Message).Reason);
    }

    [Fact]
    public void A_chosen_id_in_use_is_refused_without_touching_the_first()
    {
        Subscribe(1, source: 0);
        _port.Clear();
        Subscribe(1, source: 1, subscriber: "bob", caller: "other");
        Assert.Equal([("other", (object)new SubscriptionFailed(Platform, Id(1), new SubscriptionFailure.DuplicateId()))], _port.Told);
        Assert.Empty(_port.Calls);
        Assert.Equal("alice", _control.Table.Find(Id(1))!.Subscriber);
    }

    [Fact]
    public void A_bind_failure_fails_the_subscribe()
    {
        Register();
        Subscribe(1, source: 0);
        var reason = new SubscriptionFailure.PlatformRejected(ScmiStatus.Denied);
        _control.BindFailed(new SubscriberBindFailed(Id(1), reason, 1));
        Assert.Equal([("caller", (object)new SubscriptionFailed(Platform, Id(1), reason))], _port.Told);
        Assert.Contains("unwatch alice", _port.Calls);
        Assert.Null(_control.Table.Find(Id(1)));
    }

    [Fact]
    public void An_unsubscribe_while_binding_cancels_the_subscribe_at_once_and_answers_after_the_unbind()
    {
        Register();
        Subscribe(1, source: 0);
        _port.Clear();

        _control.Unsubscribe(Id(1), "unsubscriber");
        Assert.Equal([("caller", (object)new SubscriptionFailed(Platform, Id(1),
            new SubscriptionFailure.Cancelled("unsubscribed before it became active")))], _port.Told);
        Assert.Equal(["remove src-g1-e0-s0 #1 g1"], _port.Calls);

        // The enable succeeding late changes nothing; a second unsubscribe is refused.
        _control.Bound(new SubscriberBound(Id(1), 1));
        _control.Unsubscribe(Id(1), "again");
        Assert.Equal(new UnsubscribeFailed(Platform, Id(1), "already being unsubscribed"), _port.Told[^1].Message);

        _control.Unbound(new SubscriberUnbound(Id(1), 1));
        Assert.Equal(("unsubscriber", (object)new Unsubscribed(Platform, Id(1))), _port.Told[^1]);
        Assert.Equal(3, _port.Told.Count);
        Assert.Equal("unwatch alice", _port.Calls[^1]);
    }

    [Fact]
    public void Unsubscribing_a_pending_or_unknown_subscription_is_answered_at_once()
    {
        Subscribe(1, source: 0);
        _port.Clear();
        _control.Unsubscribe(Id(1), "caller");
        _control.Unsubscribe(Id(1), "caller");
        Assert.Equal([
            ("caller", (object)new Unsubscribed(Platform, Id(1))),
            ("caller", new UnsubscribeFailed(Platform, Id(1), "no such subscription")),
        ], _port.Told);
        Assert.Equal(["unwatch alice"], _port.Calls);
    }

    [Fact]
    public void Deregistration_answers_what_is_owed_and_makes_the_rest_pending()
    {
        Register();
        Subscribe(1, source: 0, caller: "c1");                 // stays binding
        Subscribe(2, source: 1, caller: "c2");                 // becomes active
        _control.Bound(new SubscriberBound(Id(2), 1));
        Subscribe(3, source: 2, caller: "c3");                 // being unsubscribed
        _control.Bound(new SubscriberBound(Id(3), 1));
        _control.Unsubscribe(Id(3), "u3");
        _port.Clear();

        _protocols.Deregister(Vendor);
        _control.Deregistered(Vendor);

        Assert.Equal(3, _port.Told.Count);
        Assert.Contains(("c1", (object)new SubscriptionPending(Platform, Id(1))), _port.Told);
        Assert.Contains(("alice", (object)new SubscriptionPending(Platform, Id(2))), _port.Told);
        Assert.Contains(("u3", (object)new Unsubscribed(Platform, Id(3))), _port.Told);
        Assert.Equal(2, _control.Table.CountIn(SubscriptionState.Pending));
        // A late answer of the old generation finds nothing to settle.
        _control.Bound(new SubscriberBound(Id(1), 1));
        Assert.Equal(3, _port.Told.Count);
    }

    [Fact]
    public void A_terminated_subscriber_is_told_nothing_while_its_subscriptions_unbind()
    {
        Register();
        Subscribe(1, source: 0, caller: "alice");   // binding, asked by the subscriber itself
        Subscribe(2, source: 1, caller: "other");   // binding, asked by someone else
        Subscribe(3, source: 2);
        _control.Bound(new SubscriberBound(Id(3), 1));
        _port.Clear();

        Assert.True(_control.SubscriberTerminated("alice", running: true));
        Assert.Equal([("other", (object)new SubscriptionFailed(Platform, Id(2), new SubscriptionFailure.Cancelled("the subscriber terminated")))],
            _port.Told);
        Assert.Equal(["remove src-g1-e0-s0 #1 g1", "remove src-g1-e0-s1 #2 g1", "remove src-g1-e0-s2 #3 g1"], _port.Calls);

        _control.Unbound(new SubscriberUnbound(Id(1), 1));
        Assert.Single(_port.Told);
        Assert.DoesNotContain("unwatch alice", _port.Calls); // DeathWatch ended with the termination
        Assert.False(_control.SubscriberTerminated("alice", running: true));
    }

    [Fact]
    public void While_stopping_a_terminated_subscriber_s_subscriptions_are_dropped_without_commands()
    {
        Register();
        Subscribe(1, source: 0);
        _control.Bound(new SubscriberBound(Id(1), 1));
        _port.Clear();

        Assert.True(_control.SubscriberTerminated("alice", running: false));
        Assert.Empty(_port.Calls);
        Assert.Empty(_port.Told);
        Assert.Equal(0, _control.Table.Count);
    }

    [Fact]
    public void A_stop_takes_the_owed_answers_once_and_tells_each_live_subscriber_once()
    {
        Register();
        Subscribe(1, source: 0, caller: "c1");
        Subscribe(2, source: 1, caller: "c2");
        _control.Bound(new SubscriberBound(Id(2), 1));
        _control.Unsubscribe(Id(2), "u2");
        Subscribe(3, source: 2, subscriber: "bob");
        Subscribe(4, source: 3, subscriber: "bob");
        _port.Clear();

        var owed = _control.TakeOwedReplies();
        Assert.Equal([
            ("c1", (object)new SubscriptionFailed(Platform, Id(1), new SubscriptionFailure.Stopped())),
            ("u2", new Unsubscribed(Platform, Id(2))),
            ("caller", new SubscriptionFailed(Platform, Id(3), new SubscriptionFailure.Stopped())),
            ("caller", new SubscriptionFailed(Platform, Id(4), new SubscriptionFailure.Stopped())),
        ], owed);
        Assert.Empty(_control.TakeOwedReplies());
        Assert.Empty(_port.Told); // the handle tells them at the end of the stop

        _control.TellSubscribersStopped();
        Assert.Equal([("alice", (object)new PlatformStopped(Platform)), ("bob", new PlatformStopped(Platform))], _port.Told);
    }

    /// <summary>Records what the control asks of the world.</summary>
    private sealed class Port : IControlPlane<string>
    {
        public List<string> Calls { get; } = new();
        public List<(string To, object Message)> Told { get; } = new();

        public void Clear()
        {
            Calls.Clear();
            Told.Clear();
        }

        public string CreateSourceActor(Registration<string> registration, EventDescriptor evt, uint source)
        {
            var name = $"src-g{registration.Generation}-e{evt.EventId}-s{source}";
            Calls.Add($"create {name}");
            return name;
        }

        public string CreateAllSourcesActor(Registration<string> registration, EventDescriptor evt, uint[] notifiable)
        {
            var name = $"all-g{registration.Generation}-e{evt.EventId}";
            Calls.Add($"create {name} [{string.Join(",", notifiable)}]");
            return name;
        }

        public void AddSubscriber(string source, SubscriptionId id, string subscriber, int generation) =>
            Calls.Add($"add {source} #{id.Value} {subscriber} g{generation}");

        public void RemoveSubscriber(string source, SubscriptionId id, int generation) => Calls.Add($"remove {source} #{id.Value} g{generation}");

        public void Watch(string subscriber) => Calls.Add($"watch {subscriber}");

        public void Unwatch(string subscriber) => Calls.Add($"unwatch {subscriber}");

        public void Tell(string to, object message) => Told.Add((to, message));

        /// <summary>What a handle that can move would keep in distributed data: "+#id" recorded, "-#id" forgotten.</summary>
        public List<string> Replicated { get; } = new();

        public void Recorded(SubscriptionEntry<string> entry) => Replicated.Add($"+#{entry.Id.Value}");

        public void Forgotten(SubscriptionEntry<string> entry) => Replicated.Add($"-#{entry.Id.Value}");
    }

    // ---- the replicated set, and a take-over's restore ------------------------------------------

    [Fact]
    public void Every_subscription_is_recorded_once_and_forgotten_when_it_ends_whichever_way()
    {
        Register();
        Subscribe(1, source: 1);
        Subscribe(2, source: 9); // out of range: fails at once
        Subscribe(3, source: 2, subscriber: "bob");
        Subscribe(1, source: 3); // a duplicate id: refused, the first one stays
        _control.Bound(new SubscriberBound(Id(1), 1));
        _control.Bound(new SubscriberBound(Id(3), 1));
        Assert.Equal(["+#1", "+#2", "-#2", "+#3"], _port.Replicated);

        _control.Unsubscribe(Id(1), "caller");
        Assert.Equal(["+#1", "+#2", "-#2", "+#3"], _port.Replicated); // not before it is unbound
        _control.Unbound(new SubscriberUnbound(Id(1), 1));
        _control.SubscriberTerminated("bob", running: false);
        Assert.Equal(["+#1", "+#2", "-#2", "+#3", "-#1", "-#3"], _port.Replicated);
    }

    [Fact]
    public void Restored_subscriptions_are_told_pending_and_bind_when_their_protocol_registers_without_being_recorded_again()
    {
        _control.Restore([(Id(5), Vendor, (byte)0, SourceSelector.Id(1), "alice"), (Id(6), Vendor, (byte)0, SourceSelector.Id(2), "bob")]);
        Assert.Equal([("alice", (object)new SubscriptionPending(Platform, Id(5))), ("bob", new SubscriptionPending(Platform, Id(6)))], _port.Told);
        Assert.Equal(["watch alice", "watch bob"], _port.Calls);
        Assert.Empty(_port.Replicated);
        _port.Clear();

        Register();
        _control.Bound(new SubscriberBound(Id(5), 1));
        // Nobody asked: the answers go to the subscribers.
        Assert.Equal([("alice", (object)new SubscriptionActive(Platform, Id(5)))], _port.Told);

        // Restored again (a second read): what is in the table is left alone.
        _port.Clear();
        _control.Restore([(Id(5), Vendor, (byte)0, SourceSelector.Id(1), "alice")]);
        Assert.Empty(_port.Told);
        Assert.Equal(SubscriptionState.Active, _control.Table.Find(Id(5))!.State);
    }

    [Fact]
    public void A_restored_subscription_to_a_registered_protocol_binds_at_once_and_one_that_no_longer_fits_fails_to_its_subscriber()
    {
        Register();
        _control.Restore([(Id(7), Vendor, (byte)0, SourceSelector.Id(2), "alice"), (Id(8), Vendor, (byte)0, SourceSelector.Id(40), "bob")]);
        Assert.Contains("add src-g1-e0-s2 #7 alice g1", _port.Calls);
        Assert.Equal(new SubscriptionPending(Platform, Id(8)), _port.Told[1].Message);
        var failed = Assert.IsType<SubscriptionFailed>(_port.Told[2].Message);
        Assert.Equal(("bob", Id(8)), (_port.Told[2].To, failed.Id));
        Assert.IsType<SubscriptionFailure.SourceOutOfRange>(failed.Reason);
        Assert.Equal(["-#8"], _port.Replicated);
    }

    [Fact]
    public void A_handle_that_moves_tells_each_live_subscription_pending_and_nothing_to_an_ended_one()
    {
        Register();
        Subscribe(1, source: 1);
        Subscribe(2, source: 2, subscriber: "bob");
        Subscribe(3, source: 3, subscriber: "carol");
        _control.Bound(new SubscriberBound(Id(1), 1));
        _control.Bound(new SubscriberBound(Id(2), 1));
        _control.Bound(new SubscriberBound(Id(3), 1));
        _control.Unsubscribe(Id(2), "caller");
        _control.SubscriberTerminated("carol", running: true);
        _port.Clear();

        _control.TellSubscribersMoving();
        Assert.Equal([("alice", (object)new SubscriptionPending(Platform, Id(1)))], _port.Told);
    }
}
