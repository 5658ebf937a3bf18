namespace ScmiActors.Subscriptions;

/// <summary>
/// The one way a source actor waits for replies to what it sent (NOTIFY commands to the platform
/// link, holds to source actors, routes to the protocol actor): it owns which correlation keys are
/// still outstanding, the replies that matched them, and what to do when the wait ends, either
/// because every key was answered or because the actor expired it (its step timer fired, or the
/// replier is gone). A reply whose key is not outstanding (late after an expiry, a duplicate, or
/// never asked for) matches nothing and is left to the caller. One wait at a time, as the actors
/// run one step at a time. The actor keeps the mailbox mechanics (timer, stash, behaviour); this
/// keeps the bookkeeping, so tests drive it without an ActorSystem. Its sets exist only while a wait
/// runs: a source actor waits rarely and a node holds hundreds of thousands of them.
/// </summary>
/// <typeparam name="TKey">What correlates a reply with its request (a ticket, a source id).</typeparam>
/// <typeparam name="TReply">The reply message.</typeparam>
internal sealed class PendingReplies<TKey, TReply> where TKey : notnull
{
    private readonly Func<TReply, TKey> _keyOf;
    private HashSet<TKey>? _outstanding;
    private List<TReply>? _replies;
    private Action<SettledReplies<TKey, TReply>>? _then;

    /// <param name="keyOf">The correlation a reply carries (echoed from its request).</param>
    public PendingReplies(Func<TReply, TKey> keyOf) => _keyOf = keyOf;

    public bool IsWaiting => _then is not null;

    /// <summary>Keys of the current wait not answered yet.</summary>
    public IReadOnlyCollection<TKey> Outstanding => (IReadOnlyCollection<TKey>?)_outstanding ?? [];

    /// <summary>Replies matched so far in the current wait, in arrival order.</summary>
    public IReadOnlyList<TReply> Replies => (IReadOnlyList<TReply>?)_replies ?? [];

    /// <summary>
    /// Starts waiting for one reply per key (a key given twice is awaited once); <paramref name="then"/>
    /// runs exactly once, when the wait settles. With no keys it settles at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">A wait is already in progress: its replies would be mixed up.</exception>
    public void Begin(IEnumerable<TKey> keys, Action<SettledReplies<TKey, TReply>> then)
    {
        if (IsWaiting) throw new InvalidOperationException("A wait for replies is already in progress.");
        var outstanding = _outstanding = new HashSet<TKey>(keys);
        _replies = new List<TReply>(outstanding.Count);
        _then = then;
        if (outstanding.Count == 0) Settle();
    }

    /// <summary>Matches a reply by its key; the last outstanding one settles the wait.</summary>
    public ReplyMatch Offer(TReply reply)
    {
        if (_outstanding is not { } outstanding || !outstanding.Remove(_keyOf(reply))) return ReplyMatch.Unmatched;
        _replies!.Add(reply);
        if (outstanding.Count > 0) return ReplyMatch.Awaiting;
        Settle();
        return ReplyMatch.Settled;
    }

    /// <summary>
    /// Settles the wait now, what is still outstanding reported missing; later replies to it are
    /// unmatched. False when nothing is awaited (the wait already settled).
    /// </summary>
    public bool Expire()
    {
        if (!IsWaiting) return false;
        Settle();
        return true;
    }

    /// <summary>Forgets the wait without running its continuation: nobody is to be answered any more.</summary>
    public void Clear()
    {
        _outstanding = null;
        _replies = null;
        _then = null;
    }

    private void Settle()
    {
        var then = _then!;
        var settled = new SettledReplies<TKey, TReply>(Replies.ToArray(), Outstanding.ToArray());
        // Cleared first, so the continuation may begin the next wait (steps chain).
        Clear();
        then(settled);
    }
}

internal enum ReplyMatch
{
    /// <summary>Not awaited: late, duplicate or unknown. The caller decides (ignore, stash, give back).</summary>
    Unmatched,
    /// <summary>Matched; other keys are still outstanding.</summary>
    Awaiting,
    /// <summary>Matched the last outstanding key; the continuation has run.</summary>
    Settled,
}

/// <summary>How a wait ended: the replies in arrival order, and the keys nobody answered (none when complete).</summary>
internal sealed record SettledReplies<TKey, TReply>(IReadOnlyList<TReply> Replies, IReadOnlyList<TKey> Missing)
{
    public bool Complete => Missing.Count == 0;
}
