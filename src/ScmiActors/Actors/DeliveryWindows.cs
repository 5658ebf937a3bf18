using Akka.Actor;

namespace ScmiActors.Actors;

/// <summary>
/// One subscriber as its protocol actor delivers to it: the ref, and how many deliveries it may
/// still have unprocessed. Owned by the protocol actor (kept in <see cref="ProtocolRuntime"/>, so a
/// restart keeps the count of markers in flight).
/// </summary>
internal sealed class SubscriberFlow(IActorRef subscriber, long id)
{
    public IActorRef Subscriber { get; } = subscriber;
    public long Id { get; } = id;

    /// <summary>Akka's <see cref="Identify"/>, made once: every actor answers it in mailbox order.</summary>
    public Identify Marker { get; } = new(id);

    /// <summary>Deliveries since the last marker.</summary>
    public int Unmarked;

    /// <summary>Markers sent and not answered yet.</summary>
    public int Outstanding;

    /// <summary>When <see cref="Outstanding"/> reached the limit (ScmiClock ns).</summary>
    public long BlockedAtNs;

    /// <summary>
    /// Held the window shut past the stall timeout: delivered to without a window (and no more
    /// markers) until one of its markers comes back.
    /// </summary>
    public bool Exempt;
}

/// <summary>
/// Per-subscriber delivery windows: the back-pressure Linux gets for free. Its bottom half calls the
/// notifier chains synchronously, so a slow subscriber slows the worker, the kfifo fills and the
/// newest events are dropped and counted at the top half. A <c>Tell</c> breaks that chain, and an
/// unbounded subscriber mailbox turns a fast producer into latency and GC pauses for every protocol.
/// <para>The protocol actor restores the chain without asking subscribers to cooperate: after every
/// <see cref="MarkEvery"/> deliveries to a subscriber it appends Akka's <see cref="Identify"/> to
/// that subscriber's mailbox. Every actor answers it automatically and in mailbox order, locally and
/// across nodes, so an unanswered marker means the subscriber has not yet processed what came before
/// it. With <see cref="MaxMarks"/> markers unanswered (about one window of deliveries behind), the
/// protocol actor stops draining its ring until a marker returns; meanwhile the ring fills and the
/// gate drops newest, counted, exactly as the design's ISR contract says. Nothing accepted is lost.</para>
/// </summary>
internal sealed class DeliveryWindows
{
    /// <summary>Markers in flight per subscriber: a window is split into this many parts.</summary>
    public const int MaxMarks = 4;

    private readonly Dictionary<IActorRef, SubscriberFlow> _byRef = [];
    private readonly Dictionary<long, SubscriberFlow> _byId = [];
    private long _nextId;

    /// <param name="window">Deliveries a subscriber may have unprocessed; null: unbounded (no markers).</param>
    public DeliveryWindows(int? window)
    {
        Window = window;
        MarkEvery = window is { } w ? Math.Max(1, w / MaxMarks) : int.MaxValue;
    }

    public int? Window { get; }
    public int MarkEvery { get; }

    /// <summary>Subscribers whose window is shut (and not exempt): while above 0 the protocol actor does not drain.</summary>
    public int Blocked { get; private set; }

    public IEnumerable<SubscriberFlow> Flows => _byRef.Values;

    public SubscriberFlow For(IActorRef subscriber)
    {
        if (!_byRef.TryGetValue(subscriber, out var flow))
        {
            flow = new SubscriberFlow(subscriber, ++_nextId);
            _byRef.Add(subscriber, flow);
            _byId.Add(flow.Id, flow);
        }
        return flow;
    }

    /// <summary>
    /// Counts one delivery; returns true when a marker must be sent now (the caller sends
    /// <see cref="SubscriberFlow.Marker"/> with itself as sender).
    /// </summary>
    public bool Delivered(SubscriberFlow flow)
    {
        if (++flow.Unmarked < MarkEvery) return false;
        flow.Unmarked = 0;
        if (flow.Exempt) return false;
        if (++flow.Outstanding == MaxMarks)
        {
            flow.BlockedAtNs = Ingestion.ScmiClock.NowNs();
            Blocked++;
        }
        return true;
    }

    /// <summary>A marker came back; returns the flow, or null for one of a subscriber no longer routed.</summary>
    public SubscriberFlow? Answered(object? messageId)
    {
        if (messageId is not long id || !_byId.TryGetValue(id, out var flow) || flow.Outstanding == 0) return null;
        if (flow.Exempt) flow.Exempt = false;
        else if (flow.Outstanding == MaxMarks) Blocked--;
        flow.Outstanding--;
        return flow;
    }

    /// <summary>Exempts the subscribers that have held their window shut since <paramref name="cutoffNs"/> or longer.</summary>
    public List<SubscriberFlow> ExemptStalled(long cutoffNs)
    {
        var stalled = new List<SubscriberFlow>();
        foreach (var flow in _byRef.Values)
        {
            if (flow.Exempt || flow.Outstanding < MaxMarks || flow.BlockedAtNs > cutoffNs) continue;
            flow.Exempt = true;
            Blocked--;
            stalled.Add(flow);
        }
        return stalled;
    }

    /// <summary>The earliest time a shut window started, or null when none is shut.</summary>
    public long? OldestBlockedAtNs()
    {
        long? oldest = null;
        foreach (var flow in _byRef.Values)
            if (!flow.Exempt && flow.Outstanding >= MaxMarks && (oldest is null || flow.BlockedAtNs < oldest))
                oldest = flow.BlockedAtNs;
        return oldest;
    }

    /// <summary>Forgets the subscribers no route delivers to any more (their markers are then ignored).</summary>
    public void RetainOnly(HashSet<SubscriberFlow> routed)
    {
        if (routed.Count == _byRef.Count) return;
        foreach (var flow in _byRef.Values.Where(f => !routed.Contains(f)).ToList())
        {
            if (!flow.Exempt && flow.Outstanding >= MaxMarks) Blocked--;
            _byRef.Remove(flow.Subscriber);
            _byId.Remove(flow.Id);
        }
    }
}
