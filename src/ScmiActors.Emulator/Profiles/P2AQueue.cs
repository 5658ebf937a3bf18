namespace ScmiActors.Emulator.Profiles;

/// <summary>Where a P2A slot is in its cycle, as firmware with a completion doorbell sees it.</summary>
public enum P2ASlotState
{
    /// <summary>Nothing written is waiting for the agent: the next message may be written.</summary>
    Idle,

    /// <summary>The caller was told to write a message and has not said how it went.</summary>
    Writing,

    /// <summary>A message is in the slot; the platform waits for the agent's {0xA0, slot}.</summary>
    Busy,
}

/// <summary>What <see cref="P2AQueue.Offer"/> decided.</summary>
public enum P2AOffer
{
    /// <summary>The slot is idle and nothing is queued: write it now (the queue keeps no copy).</summary>
    WriteNow,

    /// <summary>Kept in the queue until a completion doorbell frees the slot.</summary>
    Queued,

    /// <summary>It did not fit in the queue's words: dropped, newest first, as i.MX does (no retry).</summary>
    Dropped,
}

/// <summary>
/// The i.MX System Manager's per-agent P2A queue (peers/imx-sm quirks 2 and 4): a message is written
/// into the slot only when the agent's completion doorbell for the last one has come; meanwhile
/// messages wait in a queue of <see cref="CapacityWords"/> 32-bit words, header word included
/// (a message takes 1 + ⌈payload/4⌉), and a message that does not fit is dropped. The message in the
/// slot is not in the queue. A plain state machine (<see cref="P2ASlotState"/>): a transition the
/// caller must not make throws; a doorbell the agent should not have rung is counted, never thrown.
/// Not thread-safe: the host's P2A lock guards it.
/// </summary>
public sealed class P2AQueue
{
    private readonly LinkedList<(uint Header, byte[] Payload)> _queue = new();

    public P2AQueue(int capacityWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityWords, 2);
        CapacityWords = capacityWords;
    }

    public int CapacityWords { get; }

    public P2ASlotState State { get; private set; } = P2ASlotState.Idle;

    /// <summary>Messages waiting (not counting the one in the slot).</summary>
    public int Count => _queue.Count;

    /// <summary>Words the waiting messages take.</summary>
    public int Words { get; private set; }

    /// <summary>Messages dropped because they did not fit.</summary>
    public long Dropped { get; private set; }

    /// <summary>Completion doorbells that came while no message was waiting for one.</summary>
    public long UnexpectedCompletions { get; private set; }

    /// <summary>Waiting messages whose header matches (e.g. notifications, not delayed responses).</summary>
    public int CountWhere(Func<uint, bool> headerMatches) => _queue.Count(m => headerMatches(m.Header));

    /// <summary>Words a message takes in the queue: its header word and its payload rounded up to words.</summary>
    public static int WordsOf(int payloadBytes) => 1 + (payloadBytes + 3) / 4;

    /// <summary>A new message from the firmware: write it now, queue it, or drop it.</summary>
    public P2AOffer Offer(uint header, ReadOnlySpan<byte> payload)
    {
        var words = WordsOf(payload.Length);
        if (State == P2ASlotState.Idle && _queue.Count == 0 && words <= CapacityWords)
        {
            State = P2ASlotState.Writing;
            return P2AOffer.WriteNow;
        }
        if (Words + words > CapacityWords)
        {
            Dropped++;
            return P2AOffer.Dropped;
        }
        _queue.AddLast((header, payload.ToArray()));
        Words += words;
        return P2AOffer.Queued;
    }

    /// <summary>When idle, takes the oldest waiting message to write now (the state becomes Writing).</summary>
    public bool TryTakeNext(out uint header, out byte[] payload)
    {
        header = 0;
        payload = [];
        if (State != P2ASlotState.Idle || _queue.First is not { } first) return false;
        (header, payload) = first.Value;
        _queue.RemoveFirst();
        Words -= WordsOf(payload.Length);
        State = P2ASlotState.Writing;
        return true;
    }

    /// <summary>The message being written is in the slot: wait for its completion doorbell.</summary>
    public void Written() => Move(P2ASlotState.Writing, P2ASlotState.Busy);

    /// <summary>The message being written was not (lost at the slot): the slot is idle again.</summary>
    public void WriteFailed() => Move(P2ASlotState.Writing, P2ASlotState.Idle);

    /// <summary>The message taken with <see cref="TryTakeNext"/> could not be written for want of an agent: it goes back to the head.</summary>
    public void PutBack(uint header, byte[] payload)
    {
        Move(P2ASlotState.Writing, P2ASlotState.Idle);
        _queue.AddFirst((header, payload));
        Words += WordsOf(payload.Length);
    }

    /// <summary>The agent rang {0xA0, slot}: true when a message was waiting for it (the slot is idle now), else counted as unexpected.</summary>
    public bool Completed()
    {
        if (State != P2ASlotState.Busy)
        {
            UnexpectedCompletions++;
            return false;
        }
        State = P2ASlotState.Idle;
        return true;
    }

    /// <summary>The agent went: every waiting message is dropped (their headers returned, for counting) and the slot is idle.</summary>
    public IReadOnlyList<uint> Clear()
    {
        var headers = _queue.Select(m => m.Header).ToList();
        _queue.Clear();
        Words = 0;
        State = P2ASlotState.Idle;
        return headers;
    }

    private void Move(P2ASlotState from, P2ASlotState to)
    {
        if (State != from) throw new InvalidOperationException($"P2A slot is {State}, not {from}: cannot become {to}");
        State = to;
    }
}
