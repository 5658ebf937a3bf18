using Akka.Event;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Subscriptions;

/// <summary>
/// The handle's decisions about subscriptions: validating a Subscribe against its registered protocol,
/// binding and unbinding through the event-source actors, settling what each request is owed, and
/// what a subscriber's termination or a protocol's (de)registration does to its subscriptions. It owns
/// the <see cref="SubscriptionTable{TRef}"/> and acts only through the <see cref="IControlPlane{TRef}"/>
/// port. The answering rule is the one at the top of the subscriptions section of PlatformMessages.cs:
/// a request is answered to its sender exactly once; later news goes to the subscriber, never after its end.
/// </summary>
internal sealed class SubscriptionControl<TRef>(string platformId, ProtocolRegistrations<TRef> registrations,
    IControlPlane<TRef> port, ILoggingAdapter log) where TRef : class
{
    public SubscriptionTable<TRef> Table { get; } = new();

    public void Subscribe(SubscriptionId? chosen, byte protocol, byte evt, SourceSelector source, TRef subscriber, TRef replyTo)
    {
        if (chosen is { } id && Table.Contains(id))
        {
            port.Tell(replyTo, new SubscriptionFailed(platformId, id, new SubscriptionFailure.DuplicateId()));
            return;
        }
        var entry = new SubscriptionEntry<TRef>(chosen ?? Table.NextId(), protocol, evt, source, subscriber);
        if (Table.Add(entry)) port.Watch(subscriber);
        port.Recorded(entry);
        if (registrations.Find(protocol) is { } registration) Bind(entry, registration, replyTo);
        else port.Tell(replyTo, new SubscriptionPending(platformId, entry.Id));
    }

    public void Unsubscribe(SubscriptionId id, TRef replyTo)
    {
        if (Table.Find(id) is not { } entry)
        {
            port.Tell(replyTo, new UnsubscribeFailed(platformId, id, "no such subscription"));
            return;
        }
        switch (entry.State)
        {
            case SubscriptionState.Pending:
                Remove(entry);
                port.Tell(replyTo, new Unsubscribed(platformId, id));
                break;
            case SubscriptionState.Unbinding:
                port.Tell(replyTo, new UnsubscribeFailed(platformId, id, "already being unsubscribed"));
                break;
            case SubscriptionState.Binding:
                // The enable may still succeed: the source then disables again before it answers Unbound.
                Cancel(entry, "unsubscribed before it became active");
                entry.UnsubscribeReplyTo = replyTo;
                StartUnbind(entry);
                break;
            case SubscriptionState.Active:
                entry.UnsubscribeReplyTo = replyTo;
                StartUnbind(entry);
                break;
        }
    }

    // Only a binding subscription is owed SubscriptionActive: an unsubscribing one was answered Cancelled already.
    public void Bound(SubscriberBound bound)
    {
        if (Current(bound.Id, bound.Generation, SubscriptionState.Binding) is not { } entry) return;
        var replyTo = entry.ReplyTo;
        Table.MarkActive(entry);
        Send(entry, replyTo, new SubscriptionActive(platformId, entry.Id));
    }

    // An unsubscribing one waits for its SubscriberUnbound, which the source sends after this.
    public void BindFailed(SubscriberBindFailed failed)
    {
        if (Current(failed.Id, failed.Generation, SubscriptionState.Binding) is not { } entry) return;
        Fail(entry, entry.ReplyTo, failed.Reason);
    }

    public void Unbound(SubscriberUnbound unbound)
    {
        if (Current(unbound.Id, unbound.Generation, SubscriptionState.Unbinding) is not { } entry) return;
        Remove(entry);
        Send(entry, entry.UnsubscribeReplyTo, new Unsubscribed(platformId, entry.Id));
    }

    /// <summary>
    /// A watched subscriber terminated: while running, its subscriptions unbind (a binding one's Subscribe is
    /// settled Cancelled); while stopping they are dropped, as the release disables everything anyway.
    /// False if it was not a watched subscriber.
    /// </summary>
    public bool SubscriberTerminated(TRef subscriber, bool running)
    {
        var entries = Table.SubscriberTerminated(subscriber);
        if (entries.Count == 0) return false;
        foreach (var entry in entries)
        {
            if (!running || entry.State == SubscriptionState.Pending)
            {
                Table.Remove(entry);
                port.Forgotten(entry);
                continue;
            }
            if (entry.State == SubscriptionState.Binding) Cancel(entry, "the subscriber terminated");
            if (entry.State != SubscriptionState.Unbinding) StartUnbind(entry);
        }
        return true;
    }

    /// <summary>A protocol was registered: its pending subscriptions bind, answered to their subscribers.</summary>
    public void Registered(Registration<TRef> registration)
    {
        foreach (var entry in Table.Entries.Where(e => e.Protocol == registration.Protocol && e.State == SubscriptionState.Pending).ToList())
            Bind(entry, registration, entry.Subscriber);
    }

    /// <summary>
    /// Its protocol was deregistered (its sources release on their own): unbinding subscriptions end, the
    /// others wait for the next registration.
    /// </summary>
    public void Deregistered(byte protocol)
    {
        foreach (var entry in Table.Entries.Where(e => e.Protocol == protocol).ToList())
        {
            switch (entry.State)
            {
                case SubscriptionState.Unbinding:
                    // The Subscribe was answered when the unsubscribe began.
                    Remove(entry);
                    Send(entry, entry.UnsubscribeReplyTo, new Unsubscribed(platformId, entry.Id));
                    break;
                case SubscriptionState.Binding:
                    // The answer the Subscribe is owed; what follows goes to the subscriber.
                    var replyTo = entry.ReplyTo;
                    Table.BackToPending(entry);
                    Send(entry, replyTo, new SubscriptionPending(platformId, entry.Id));
                    break;
                case SubscriptionState.Active:
                    Table.BackToPending(entry);
                    Send(entry, entry.Subscriber, new SubscriptionPending(platformId, entry.Id));
                    break;
            }
        }
    }

    /// <summary>
    /// For an ordered stop: the answers requests in flight are owed (Stopped for a Subscribe, Unsubscribed for
    /// an Unsubscribe), taken so they are told once, after the drain.
    /// </summary>
    public IReadOnlyList<(TRef To, object Reply)> TakeOwedReplies()
    {
        var owed = new List<(TRef, object)>();
        foreach (var entry in Table.Entries)
        {
            if (entry.State == SubscriptionState.Binding && entry.ReplyTo is { } r)
            {
                owed.Add((r, new SubscriptionFailed(platformId, entry.Id, new SubscriptionFailure.Stopped())));
                entry.ReplyTo = null;
            }
            if (entry.State == SubscriptionState.Unbinding && entry.UnsubscribeReplyTo is { } u)
            {
                owed.Add((u, new Unsubscribed(platformId, entry.Id)));
                entry.UnsubscribeReplyTo = null;
            }
        }
        return owed;
    }

    /// <summary>
    /// Subscriptions a previous incarnation of this platform had (on another node, before a take-over or
    /// hand-off): each comes back pending, its subscriber is told SubscriptionPending, and it binds as
    /// soon as its protocol is registered (SubscriptionActive or SubscriptionFailed follows to the
    /// subscriber), without the subscriber asking again. An id already in the table is left alone.
    /// </summary>
    public void Restore(IEnumerable<(SubscriptionId Id, byte Protocol, byte Event, SourceSelector Source, TRef Subscriber)> restored)
    {
        foreach (var (id, protocol, evt, source, subscriber) in restored)
        {
            if (Table.Contains(id)) continue;
            var entry = new SubscriptionEntry<TRef>(id, protocol, evt, source, subscriber);
            if (Table.Add(entry)) port.Watch(subscriber);
            port.Tell(subscriber, new SubscriptionPending(platformId, id));
            if (registrations.Find(protocol) is { } registration) Bind(entry, registration, subscriber);
        }
    }

    /// <summary>
    /// The handle moves to another node (its shard is handed off): every subscription that has not ended is
    /// told SubscriptionPending, and the next incarnation restores it (<see cref="Restore"/>).
    /// </summary>
    public void TellSubscribersMoving()
    {
        foreach (var entry in Table.Entries.Where(e => e.State != SubscriptionState.Unbinding && !e.SubscriberGone))
            port.Tell(entry.Subscriber, new SubscriptionPending(platformId, entry.Id));
    }

    /// <summary>Once to each live subscriber that still has a subscription.</summary>
    public void TellSubscribersStopped()
    {
        var stopped = new PlatformStopped(platformId);
        foreach (var subscriber in Table.LiveSubscribers()) port.Tell(subscriber, stopped);
    }

    /// <summary>The event-source actor of one source, created on first use (for subscriptions and all-sources holds).</summary>
    public TRef SourceActor(Registration<TRef> registration, EventDescriptor evt, uint source)
    {
        var key = (evt.EventId, SourceSelector.Id(source));
        if (registration.EventSources.TryGetValue(key, out var actor)) return actor;
        return registration.EventSources[key] = port.CreateSourceActor(registration, evt, source);
    }

    private TRef AllSourcesActor(Registration<TRef> registration, EventDescriptor evt, uint count)
    {
        var key = (evt.EventId, SourceSelector.All);
        if (registration.EventSources.TryGetValue(key, out var actor)) return actor;
        var protocol = registration.Runtime.Description;
        var notifiable = new List<uint>();
        for (uint s = 0; s < count; s++)
            if (protocol.CanNotify(evt.EventId, s)) notifiable.Add(s);
        return registration.EventSources[key] = port.CreateAllSourcesActor(registration, evt, notifiable.ToArray());
    }

    /// <summary>Validates against the registered protocol and hands the subscription to its event-source actor.</summary>
    private void Bind(SubscriptionEntry<TRef> entry, Registration<TRef> registration, TRef replyTo)
    {
        var descriptor = registration.Runtime.Descriptor.FindEvent(entry.Event);
        if (descriptor is null)
        {
            Fail(entry, replyTo, new SubscriptionFailure.NoSuchEvent(entry.Protocol, entry.Event));
            return;
        }
        var protocol = registration.Runtime.Description;
        var count = descriptor.SourceCount(protocol);
        TRef target;
        if (entry.Source is SourceSelector.OneSource one)
        {
            if (one.Source >= count)
            {
                Fail(entry, replyTo, new SubscriptionFailure.SourceOutOfRange(one.Source, count));
                return;
            }
            if (!protocol.CanNotify(descriptor.EventId, one.Source))
            {
                Fail(entry, replyTo, new SubscriptionFailure.NotSupportedByPlatform($"source {one.Source} of {descriptor.Name} cannot notify"));
                return;
            }
            target = SourceActor(registration, descriptor, one.Source);
        }
        else
        {
            if (!AnyNotifiable(protocol, descriptor, count))
            {
                Fail(entry, replyTo, new SubscriptionFailure.NotSupportedByPlatform($"no source of {descriptor.Name} can notify"));
                return;
            }
            target = AllSourcesActor(registration, descriptor, count);
        }
        Table.BeginBinding(entry, registration.Generation, replyTo);
        port.AddSubscriber(target, entry.Id, entry.Subscriber, registration.Generation);
    }

    private static bool AnyNotifiable(PlatformProtocol protocol, EventDescriptor descriptor, uint count)
    {
        if (!protocol.CannotNotify.TryGetValue(descriptor.EventId, out var blocked)) return count > 0;
        for (uint s = 0; s < count; s++)
            if (!blocked.Contains(s)) return true;
        return false;
    }

    private void StartUnbind(SubscriptionEntry<TRef> entry)
    {
        Table.BeginUnbinding(entry);
        var registration = registrations.Find(entry.Protocol)
            ?? throw new InvalidOperationException($"subscription {entry.Id} unbinds, but protocol 0x{entry.Protocol:X2} is not registered");
        port.RemoveSubscriber(registration.EventSources[(entry.Event, entry.Source)], entry.Id, entry.Generation);
    }

    private void Fail(SubscriptionEntry<TRef> entry, TRef? replyTo, SubscriptionFailure reason)
    {
        Remove(entry);
        log.Info("Subscription {Subscription} to {Protocol}/{Event}/{Source} failed: {Reason}", entry.Id.ToString(),
            $"0x{entry.Protocol:X2}", entry.Event, entry.Source.ToString(), reason.ToString());
        Send(entry, replyTo, new SubscriptionFailed(platformId, entry.Id, reason));
    }

    /// <summary>Settles what a binding subscription's Subscribe is owed, once it can no longer become active.</summary>
    private void Cancel(SubscriptionEntry<TRef> entry, string why)
    {
        Send(entry, entry.ReplyTo, new SubscriptionFailed(platformId, entry.Id, new SubscriptionFailure.Cancelled(why)));
        entry.ReplyTo = null;
    }

    private void Remove(SubscriptionEntry<TRef> entry)
    {
        if (Table.Remove(entry)) port.Unwatch(entry.Subscriber);
        port.Forgotten(entry);
    }

    /// <summary>Tells <paramref name="to"/>, unless it is the subscription's subscriber and that has terminated.</summary>
    private void Send(SubscriptionEntry<TRef> entry, TRef? to, object message)
    {
        if (to is null || entry.SubscriberGone && to.Equals(entry.Subscriber)) return;
        port.Tell(to, message);
    }

    /// <summary>The subscription an answer of the control plane is about, if it still waits for it.</summary>
    private SubscriptionEntry<TRef>? Current(SubscriptionId id, int generation, SubscriptionState expected) =>
        Table.Find(id) is { } entry && entry.Generation == generation && entry.State == expected ? entry : null;
}
