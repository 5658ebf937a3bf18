using Akka.Actor;
using ScmiActors.Ingestion;

namespace ScmiActors.Dispatch;

/// <summary>
/// One subscriber as its protocol actor delivers to it: the ref, and the markers sent to it and
/// answered. Owned by the protocol actor (kept in <see cref="ProtocolRuntime"/>, so a restart keeps
/// the markers in flight).
/// </summary>
internal sealed class SubscriberFlow(IActorRef subscriber, long id)
{
    public IActorRef Subscriber { get; } = subscriber;
    public long Id { get; } = id;

    /// <summary>Deliveries since the last marker.</summary>
    public int Unmarked;

    /// <summary>Sequence number of the last marker sent (markers are numbered from 1).</summary>
    public long SentSeq;

    /// <summary>The highest marker sequence number answered: answers are cumulative, so a lost marker heals.</summary>
    public long AnsweredSeq;

    /// <summary>Markers sent and not answered (nor overtaken by a later answer).</summary>
    public long Outstanding => SentSeq - AnsweredSeq;

    /// <summary>When the window shut (ScmiClock ns).</summary>
    public long BlockedAtNs;

    /// <summary>
    /// Held the window shut past the stall timeout: delivered to without a window until its answers
    /// show it is back within one. Markers still go out, so that it can come back.
    /// </summary>
    public bool Exempt;
}

/// <summary>
/// Per-subscriber delivery windows: the back-pressure Linux gets for free. Its bottom half calls the
/// notifier chains synchronously, so a slow subscriber slows the worker, the kfifo fills and the
/// newest events are dropped and counted at the top half. A <c>Tell</c> breaks that chain, and an
/// unbounded subscriber mailbox turns a fast producer into latency and GC pauses for every protocol.
/// <para>The protocol actor restores the chain without asking subscribers to cooperate: after every
/// <see cref="MarkEvery"/> deliveries to a subscriber it appends Akka's <see cref="Identify"/>,
/// numbered, to that subscriber's mailbox. Every actor answers it automatically and in mailbox order,
/// locally and across nodes, so the answer to marker N means the subscriber has processed everything
/// before it (and that markers before N are answered or lost: a marker lost with a remote connection
/// costs nothing once a later one is answered). With <see cref="MaxMarks"/> markers outstanding
/// (about one window of deliveries behind), the protocol actor stops draining its ring until an
/// answer comes back; meanwhile the ring fills and the gate drops newest, counted, as the design's
/// ISR contract says. Nothing accepted is lost.</para>
/// <para>Invariant: <see cref="Blocked"/> counts exactly the flows that are shut (not exempt, at
/// least <see cref="MaxMarks"/> outstanding); every change goes through <see cref="Change"/>.</para>
/// </summary>
internal sealed class DeliveryWindows
{
    /// <summary>Markers in flight per subscriber: a window is split into this many parts.</summary>
    public const int MaxMarks = ScmiSettings.MinSubscriberWindow;

    // Marker ids pack the flow id (high bits) and the marker's sequence number (low 40 bits) into
    // one long, which Akka serializes natively when the subscriber is on another node.
    private const int SeqBits = 40;
    private const long SeqMask = (1L << SeqBits) - 1;
    private const long MaxFlowId = (1L << (63 - SeqBits)) - 1;

    private readonly Dictionary<IActorRef, SubscriberFlow> _byRef = [];
    private readonly Dictionary<long, SubscriberFlow> _byId = [];
    private long _lastId;

    /// <param name="window">Deliveries a subscriber may have unprocessed (rounded down to a multiple of
    /// <see cref="MaxMarks"/>, at least <see cref="MaxMarks"/>); null: unbounded, no markers.</param>
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
            flow = new SubscriberFlow(subscriber, NextId());
            _byRef.Add(subscriber, flow);
            _byId.Add(flow.Id, flow);
        }
        return flow;
    }

    /// <summary>
    /// Counts one delivery; returns the marker to send now (the caller tells it to the subscriber
    /// with itself as sender), or null.
    /// </summary>
    public Identify? Delivered(SubscriberFlow flow)
    {
        if (Window is null || ++flow.Unmarked < MarkEvery) return null;
        flow.Unmarked = 0;
        var wasShut = IsShut(flow);
        flow.SentSeq++;
        Change(flow, wasShut);
        return new Identify((flow.Id << SeqBits) | (flow.SentSeq & SeqMask));
    }

    /// <summary>
    /// A marker came back. Returns the flow when the answer moved it forward, or null (a subscriber no
    /// longer routed, or an answer overtaken by a later one).
    /// </summary>
    public SubscriberFlow? Answered(object? messageId)
    {
        if (messageId is not long id || !_byId.TryGetValue(id >> SeqBits, out var flow)) return null;
        // The low bits of the sequence number: the full one is the nearest to what was sent.
        var seq = (flow.SentSeq & ~SeqMask) | (id & SeqMask);
        if (seq > flow.SentSeq) seq -= 1L << SeqBits;
        if (seq <= flow.AnsweredSeq) return null;
        var wasShut = IsShut(flow);
        flow.AnsweredSeq = seq;
        if (flow.Exempt && flow.Outstanding < MaxMarks) flow.Exempt = false; // back within its window
        Change(flow, wasShut);
        return flow;
    }

    /// <summary>Exempts the subscribers whose window has been shut since <paramref name="cutoffNs"/> or longer.</summary>
    public List<SubscriberFlow> ExemptStalled(long cutoffNs)
    {
        var stalled = new List<SubscriberFlow>();
        foreach (var flow in _byRef.Values)
        {
            if (!IsShut(flow) || flow.BlockedAtNs > cutoffNs) continue;
            flow.Exempt = true;
            Change(flow, wasShut: true);
            stalled.Add(flow);
        }
        return stalled;
    }

    /// <summary>When the longest-shut window shut, or null when none is shut.</summary>
    public long? OldestBlockedAtNs()
    {
        long? oldest = null;
        foreach (var flow in _byRef.Values)
            if (IsShut(flow) && (oldest is null || flow.BlockedAtNs < oldest))
                oldest = flow.BlockedAtNs;
        return oldest;
    }

    /// <summary>Forgets the subscribers no route delivers to any more (their answers are then ignored).</summary>
    public void RetainOnly(HashSet<SubscriberFlow> routed)
    {
        if (routed.Count == _byRef.Count) return; // routed flows are always known ones
        foreach (var flow in _byRef.Values.Where(f => !routed.Contains(f)).ToList())
        {
            if (IsShut(flow)) Blocked--;
            _byRef.Remove(flow.Subscriber);
            _byId.Remove(flow.Id);
        }
    }

    private static bool IsShut(SubscriberFlow flow) => !flow.Exempt && flow.Outstanding >= MaxMarks;

    /// <summary>Keeps <see cref="Blocked"/> equal to the number of shut flows after a change to one.</summary>
    private void Change(SubscriberFlow flow, bool wasShut)
    {
        var shut = IsShut(flow);
        if (shut == wasShut) return;
        if (shut)
        {
            Blocked++;
            flow.BlockedAtNs = ScmiClock.NowNs();
        }
        else
        {
            Blocked--;
        }
    }

    private long NextId()
    {
        // Ids are only compared while both flows exist; wrap around past the packed width, skipping live ones.
        do
        {
            _lastId = _lastId == MaxFlowId ? 1 : _lastId + 1;
        } while (_byId.ContainsKey(_lastId));
        return _lastId;
    }
}
