using ScmiActors.Transport.Raw;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Transports;

/// <summary>The fake kernel's queue rules on their own, so the transport tests can lean on them.</summary>
public sealed class RawKernelQueuesTests
{
    private long _now;
    private readonly RawKernelQueues _kernel;

    public RawKernelQueuesTests() =>
        _kernel = new RawKernelQueues(RawFakeDebugfs.DefaultLimits with { TxMaxMsg = 2 }, () => _now);

    private static byte[] Reply(ushort token, byte tag) =>
        [.. BitConverter.GetBytes(ScmiHeader.Command(0x13, 0x07, token)), 0, 0, 0, 0, tag];

    private static byte[] Notification(byte tag) => [.. BitConverter.GetBytes(ScmiHeader.Notification(0x13, 0)), tag];

    private List<byte> Tags(RawQueue queue)
    {
        var tags = new List<byte>();
        while (_kernel.TryTake(queue, out var message)) tags.Add(message[^1]);
        return tags;
    }

    [Fact]
    public void A_full_notification_queue_overwrites_its_oldest_entry()
    {
        for (byte i = 1; i <= 5; i++) _kernel.Notify(Notification(i));

        Assert.Equal([4, 5], Tags(RawQueue.Notifications));
        Assert.Equal(3, _kernel.Overwritten);
    }

    [Fact]
    public void A_full_reply_queue_drops_the_new_reply()
    {
        for (byte i = 1; i <= 3; i++)
        {
            _kernel.CommandTaken(ScmiHeader.Command(0x13, 0x07, i));
            _kernel.Reply(Reply(i, i));
        }

        Assert.Equal([1, 2], Tags(RawQueue.Replies));
        Assert.Equal(1, _kernel.RepliesDropped);
    }

    [Fact]
    public void Replies_after_the_timeout_or_for_no_command_go_to_errors_which_overwrite_their_oldest()
    {
        _kernel.CommandTaken(ScmiHeader.Command(0x13, 0x07, 1));
        _now += RawFakeDebugfs.DefaultLimits.MaxRxTimeoutMs; // exactly the timeout still counts
        _kernel.Reply(Reply(1, 1));
        _kernel.CommandTaken(ScmiHeader.Command(0x13, 0x07, 2));
        _now += RawFakeDebugfs.DefaultLimits.MaxRxTimeoutMs + 1;
        _kernel.Reply(Reply(2, 2));
        _kernel.Reply(Reply(7, 3));
        _kernel.Reply(Reply(8, 4));

        Assert.Equal([1], Tags(RawQueue.Replies));
        Assert.Equal([3, 4], Tags(RawQueue.Errors));
        Assert.Equal(1, _kernel.Overwritten);
    }

    [Fact]
    public void Messages_are_cut_to_max_msg_size_plus_the_header()
    {
        var limit = RawFakeDebugfs.DefaultLimits.MaxMessageBytes;
        _kernel.Notify(new byte[limit + 9]);
        _kernel.Notify(new byte[limit]);

        Assert.True(_kernel.TryTake(RawQueue.Notifications, out var cut));
        Assert.Equal(limit, cut.Length);
        Assert.True(_kernel.TryTake(RawQueue.Notifications, out var whole));
        Assert.Equal(limit, whole.Length);
        Assert.Equal(1, _kernel.Truncated);
    }
}
