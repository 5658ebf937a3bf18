using System.Collections.Immutable;

namespace ScmiActors.Subscriptions;

/// <summary>Which grouped NOTIFY target a <see cref="NotifyGroupState{TWaiter}"/> is about (i.MX BBM: one RTC).</summary>
internal readonly record struct NotifyGroupKey(byte Protocol, byte Event, uint Group);

/// <summary>What <see cref="NotifyGroupState{TWaiter}.Completed"/> decided: whom to answer, and the next union to send, if any.</summary>
internal sealed record NotifyGroupStep<TWaiter>(IReadOnlyList<TWaiter> Answer, ImmutableSortedSet<uint>? SendNext);

/// <summary>
/// One group of sources whose NOTIFY command sets all their enables at once (an
/// <see cref="Wire.NotifyGroup"/>; i.MX BBM_RTC_NOTIFY replaces the three enables of one RTC). Keeps
/// the union of the sources wanted and sends it whole, one request on the wire at a time: a request
/// that arrives while one is outstanding waits, and every request that waited goes out together as
/// one union when the outstanding one completes, so the last request on the wire carries the final
/// union. A refused (or unanswered) request takes the sources it was enabling out of the union, so
/// no later request claims a kind the platform refused; a disable always leaves the union.
/// Each source has at most one request outstanding (its source actor runs one step at a time):
/// anything else is an <see cref="InvalidOperationException"/>. Plain class: the platform link
/// actor is its glue, the tests drive it directly.
/// </summary>
/// <typeparam name="TWaiter">Who is answered when the request that carried its change completes.</typeparam>
internal sealed class NotifyGroupState<TWaiter>
{
    private readonly SortedSet<uint> _wanted = new();
    private List<Change>? _onTheWire;
    private List<Change> _waiting = new();

    private readonly record struct Change(uint Source, bool Enable, TWaiter Waiter);

    /// <summary>The sources that should be on: the last union sent, plus changes still waiting.</summary>
    public IReadOnlyCollection<uint> Wanted => _wanted;

    /// <summary>The union of the request on the wire, or null when none is.</summary>
    public ImmutableSortedSet<uint>? Sending { get; private set; }

    /// <summary>Changes waiting for the request on the wire to complete.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Nothing wanted, nothing on the wire: the state can be forgotten.</summary>
    public bool IsEmpty => _wanted.Count == 0 && _onTheWire is null;

    /// <summary>
    /// A source's enable or disable. Returns the union to send now, or null when a request is on the
    /// wire (the change goes out with the next one).
    /// </summary>
    /// <exception cref="InvalidOperationException">The source already has a request outstanding, or is enabled twice / disabled while off.</exception>
    public ImmutableSortedSet<uint>? Request(uint source, bool enable, TWaiter waiter)
    {
        if (HasOutstanding(source))
            throw new InvalidOperationException($"source {source} already has a NOTIFY request outstanding");
        if (enable && _wanted.Contains(source))
            throw new InvalidOperationException($"source {source} is already enabled");
        if (!enable && !_wanted.Contains(source))
            throw new InvalidOperationException($"source {source} is not enabled");

        if (enable) _wanted.Add(source);
        else _wanted.Remove(source);
        var change = new Change(source, enable, waiter);
        if (_onTheWire is not null)
        {
            _waiting.Add(change);
            return null;
        }
        _onTheWire = [change];
        return Sending = _wanted.ToImmutableSortedSet();
    }

    /// <summary>
    /// The request on the wire completed. Its waiters are answered with its outcome; on failure its
    /// enables leave the union. If changes were waiting, they go out now as one request with the union.
    /// </summary>
    /// <exception cref="InvalidOperationException">No request is on the wire.</exception>
    public NotifyGroupStep<TWaiter> Completed(bool succeeded)
    {
        var done = _onTheWire ?? throw new InvalidOperationException("no NOTIFY request of this group is on the wire");
        _onTheWire = null;
        Sending = null;
        if (!succeeded)
            foreach (var change in done)
                if (change.Enable) _wanted.Remove(change.Source);

        ImmutableSortedSet<uint>? next = null;
        if (_waiting.Count > 0)
        {
            _onTheWire = _waiting;
            _waiting = new List<Change>();
            next = Sending = _wanted.ToImmutableSortedSet();
        }
        return new NotifyGroupStep<TWaiter>(done.Select(c => c.Waiter).ToArray(), next);
    }

    private bool HasOutstanding(uint source) =>
        (_onTheWire?.Exists(c => c.Source == source) ?? false) || _waiting.Exists(c => c.Source == source);
}
