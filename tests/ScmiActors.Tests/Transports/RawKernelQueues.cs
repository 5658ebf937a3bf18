using ScmiActors.Transport.Raw;
using ScmiActors.Wire;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// The second fake: the kernel's three raw queues and their rules (TRANSPORTS.md §2), as a plain class.
/// Depth tx_max_msg each; notification and errors queues overwrite their oldest unread entry when full
/// (no counter the agent can see — <see cref="Overwritten"/> is the fake's own knowledge), the reply queue
/// drops the new reply; every message is cut to max_msg_size + 4 header bytes; a reply counts only within
/// max_rx_timeout_ms of its command, a later one goes to errors. Time is the caller's clock, so tests
/// decide what is late without sleeping.
/// </summary>
internal sealed class RawKernelQueues(RawModeLimits limits, Func<long> nowMs)
{
    private readonly Lock _lock = new();
    private readonly Queue<byte[]>[] _queues = [new(), new(), new()];
    private readonly Dictionary<ushort, long> _sentAtMs = new();

    public RawModeLimits Limits { get; } = limits;

    /// <summary>Notifications and errors overwritten while unread: what the agent cannot know.</summary>
    public long Overwritten { get; private set; }

    /// <summary>Replies dropped because the reply queue was full.</summary>
    public long RepliesDropped { get; private set; }

    public long Truncated { get; private set; }

    /// <summary>Raised (outside the lock) after anything is queued.</summary>
    public event Action? Queued;

    public void Notify(ReadOnlySpan<byte> message) => Enqueue(RawQueue.Notifications, Cut(message));

    /// <summary>The kernel took a command (one write): its reply is awaited from now on.</summary>
    public void CommandTaken(uint header)
    {
        lock (_lock) _sentAtMs[ScmiHeader.TokenOf(header)] = nowMs();
    }

    /// <summary>The platform's reply: to the reply queue within the timeout, else to errors as late.</summary>
    public void Reply(ReadOnlySpan<byte> message)
    {
        var token = ScmiHeader.TokenOf(BitConverter.ToUInt32(message[..4]));
        bool inTime;
        lock (_lock)
        {
            inTime = _sentAtMs.Remove(token, out var sentAt) && nowMs() - sentAt <= Limits.MaxRxTimeoutMs;
        }
        Enqueue(inTime ? RawQueue.Replies : RawQueue.Errors, Cut(message));
    }

    /// <summary>Bypasses the cap: what a kernel that did not cut would hand over (the reader's own guard is then tested).</summary>
    public void InjectUncut(RawQueue queue, byte[] message) => Enqueue(queue, message);

    public bool TryTake(RawQueue queue, out byte[] message)
    {
        lock (_lock) return _queues[(int)queue].TryDequeue(out message!);
    }

    public int Count(RawQueue queue)
    {
        lock (_lock) return _queues[(int)queue].Count;
    }

    private byte[] Cut(ReadOnlySpan<byte> message)
    {
        if (message.Length <= Limits.MaxMessageBytes) return message.ToArray();
        lock (_lock) Truncated++;
        return message[..Limits.MaxMessageBytes].ToArray();
    }

    private void Enqueue(RawQueue queue, byte[] message)
    {
        lock (_lock)
        {
            var q = _queues[(int)queue];
            if (q.Count >= Limits.TxMaxMsg)
            {
                if (queue == RawQueue.Replies)
                {
                    RepliesDropped++;
                    return;
                }
                q.Dequeue();
                Overwritten++;
            }
            q.Enqueue(message);
        }
        Queued?.Invoke();
    }
}
