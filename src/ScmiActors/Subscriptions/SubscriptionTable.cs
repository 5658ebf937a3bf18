using ScmiActors.Messages;

namespace ScmiActors.Subscriptions;

/// <summary>Where a subscription is in its life (see <see cref="SubscriptionTable{TRef}"/>).</summary>
internal enum SubscriptionState { Pending, Binding, Active, Unbinding }

/// <summary>One subscription of a handle; its state changes only through <see cref="SubscriptionTable{TRef}"/>.</summary>
internal sealed class SubscriptionEntry<TRef>(SubscriptionId id, byte protocol, byte evt, SourceSelector source, TRef subscriber)
    where TRef : class
{
    public SubscriptionId Id { get; } = id;
    public byte Protocol { get; } = protocol;
    public byte Event { get; } = evt;
    public SourceSelector Source { get; } = source;
    public TRef Subscriber { get; } = subscriber;
    public SubscriptionState State { get; internal set; } = SubscriptionState.Pending;

    /// <summary>The registration generation it was bound under; control-plane answers of another one are stale.</summary>
    public int Generation { get; internal set; }

    /// <summary>
    /// Who is owed SubscriptionActive/Failed while binding: the Subscribe's sender, or the subscriber once it
    /// was pending; null once settled. An unsubscribing subscription owes nobody that any more.
    /// </summary>
    public TRef? ReplyTo { get; set; }

    public TRef? UnsubscribeReplyTo { get; set; }

    /// <summary>The subscriber terminated: nothing more is sent to it.</summary>
    public bool SubscriberGone { get; internal set; }
}

/// <summary>
/// A handle's subscriptions by id and how many of them each subscriber holds (so it is watched
/// once, and unwatched with its last one). Plain state with checked transitions:
/// Pending → Binding → Active → Unbinding → removed; Binding → Unbinding (cancelled);
/// Binding/Active → Pending (deregistration). Anything else is a bug in the caller and throws
/// <see cref="InvalidOperationException"/>. It decides nothing and sends nothing.
/// </summary>
internal sealed class SubscriptionTable<TRef> where TRef : class
{
    private readonly Dictionary<SubscriptionId, SubscriptionEntry<TRef>> _entries = new();
    private readonly Dictionary<TRef, int> _watched = new();
    private long _nextId;

    public int Count => _entries.Count;

    public IEnumerable<SubscriptionEntry<TRef>> Entries => _entries.Values;

    public bool Contains(SubscriptionId id) => _entries.ContainsKey(id);

    public SubscriptionEntry<TRef>? Find(SubscriptionId id) => _entries.GetValueOrDefault(id);

    /// <summary>The next number no subscription uses (a caller may have chosen it).</summary>
    public SubscriptionId NextId()
    {
        SubscriptionId id;
        do id = new SubscriptionId(++_nextId);
        while (_entries.ContainsKey(id));
        return id;
    }

    public int CountIn(SubscriptionState state) => _entries.Values.Count(e => e.State == state);

    /// <summary>Adds a pending subscription; true when its subscriber was not watched yet (the caller watches it).</summary>
    public bool Add(SubscriptionEntry<TRef> entry)
    {
        if (entry.State != SubscriptionState.Pending || entry.SubscriberGone)
            throw new InvalidOperationException($"subscription {entry.Id} is added as {entry.State}; only a new pending one can be");
        if (!_entries.TryAdd(entry.Id, entry)) throw new InvalidOperationException($"subscription {entry.Id} exists already");
        _watched.TryGetValue(entry.Subscriber, out var n);
        _watched[entry.Subscriber] = n + 1;
        return n == 0;
    }

    /// <summary>Removes it; true when that was its subscriber's last watched subscription (the caller unwatches it).</summary>
    public bool Remove(SubscriptionEntry<TRef> entry)
    {
        if (!_entries.Remove(entry.Id)) throw new InvalidOperationException($"subscription {entry.Id} is not in the table");
        // A terminated subscriber's watch count was dropped already (SubscriberTerminated).
        if (!_watched.TryGetValue(entry.Subscriber, out var n)) return false;
        if (n > 1)
        {
            _watched[entry.Subscriber] = n - 1;
            return false;
        }
        _watched.Remove(entry.Subscriber);
        return true;
    }

    public void BeginBinding(SubscriptionEntry<TRef> entry, int generation, TRef replyTo)
    {
        Require(entry, SubscriptionState.Pending);
        entry.State = SubscriptionState.Binding;
        entry.Generation = generation;
        entry.ReplyTo = replyTo;
    }

    public void MarkActive(SubscriptionEntry<TRef> entry)
    {
        Require(entry, SubscriptionState.Binding);
        entry.State = SubscriptionState.Active;
        entry.ReplyTo = null;
    }

    public void BeginUnbinding(SubscriptionEntry<TRef> entry)
    {
        Require(entry, SubscriptionState.Binding, SubscriptionState.Active);
        entry.State = SubscriptionState.Unbinding;
    }

    /// <summary>Its protocol was deregistered: it waits for the next registration.</summary>
    public void BackToPending(SubscriptionEntry<TRef> entry)
    {
        Require(entry, SubscriptionState.Binding, SubscriptionState.Active);
        entry.State = SubscriptionState.Pending;
        entry.ReplyTo = null;
    }

    /// <summary>
    /// The subscriber terminated: its subscriptions are marked gone and it is no longer watched.
    /// Returns them, or nothing if it was not watched (a stale or repeated Terminated).
    /// </summary>
    public IReadOnlyList<SubscriptionEntry<TRef>> SubscriberTerminated(TRef subscriber)
    {
        if (!_watched.Remove(subscriber)) return [];
        var entries = _entries.Values.Where(e => e.Subscriber.Equals(subscriber)).ToList();
        foreach (var entry in entries) entry.SubscriberGone = true;
        return entries;
    }

    /// <summary>Each live subscriber that still has a subscription, once; an unbinding one has ended (Unsubscribed).</summary>
    public IEnumerable<TRef> LiveSubscribers() =>
        _entries.Values.Where(e => e.State != SubscriptionState.Unbinding && !e.SubscriberGone).Select(e => e.Subscriber).Distinct();

    public bool IsWatched(TRef subscriber) => _watched.ContainsKey(subscriber);

    private void Require(SubscriptionEntry<TRef> entry, params SubscriptionState[] allowed)
    {
        if (!_entries.TryGetValue(entry.Id, out var held) || !ReferenceEquals(held, entry))
            throw new InvalidOperationException($"subscription {entry.Id} is not in the table");
        if (Array.IndexOf(allowed, entry.State) < 0)
            throw new InvalidOperationException($"subscription {entry.Id} is {entry.State}, not {string.Join(" or ", allowed)}");
    }
}
