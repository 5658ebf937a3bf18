using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Transport.Raw;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// The raw-mode transport against the fake debugfs (named pipes, one message per open/close) and the
/// fake kernel queues behind it: the rules of TRANSPORTS.md §2 without an Arm board.
/// </summary>
public sealed class RawModeTransportTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private const byte Perf = 0x13;

    private readonly RawFakeDebugfs _fake = new();
    private readonly RawTestReceiver _receiver = new();
    private RawModeTransport? _transport;

    public void Dispose()
    {
        // Bounded too: a transport that hangs must fail its test, not stall the run.
        if (_transport is { } transport) Task.Run(transport.Dispose).Wait(Bound);
        _fake.Dispose();
    }

    private async Task<RawModeTransport> ConnectAsync(RawFakeDebugfs fake, bool startFake = true, bool readCommands = true, RawModeOptions? options = null)
    {
        var transport = new RawModeTransport(fake.OpenInstance(), options ?? fake.Options);
        _transport ??= transport;
        transport.Attach(_receiver);
        // On the pool: a blocking open would hang inside ConnectAsync itself, and must fail the test instead.
        await Task.Run(() => transport.ConnectAsync(CancellationToken.None)).WaitAsync(Bound);
        if (startFake) fake.Start(transport, readCommands);
        return transport;
    }

    private static byte[] Message(uint header, params int[] words)
    {
        var bytes = new byte[4 + 4 * words.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, header);
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 + 4 * i), words[i]);
        return bytes;
    }

    private static byte[] Notification(byte eventId, params int[] words) => Message(ScmiHeader.Notification(Perf, eventId), words);

    [Fact]
    public async Task Connect_writes_reset_and_starts_one_reader_per_queue()
    {
        Assert.False(_fake.ResetWritten);

        var transport = await ConnectAsync(_fake, startFake: false);

        Assert.True(_fake.ResetWritten);
        Assert.Equal(3, transport.RunningReaders);
        Assert.True(transport.HasCommandPath);
    }

    [Fact]
    public async Task A_command_is_one_write_of_our_header_and_its_reply_is_matched_by_token()
    {
        var transport = await ConnectAsync(_fake);
        var first = ScmiHeader.Command(Perf, 0x07, token: 5);
        var second = ScmiHeader.Command(Perf, 0x07, token: 9);

        transport.SendCommand(first, Message(0, 1).AsSpan(4));
        var written1 = await _fake.NextCommandAsync(Bound);
        transport.SendCommand(second, Message(0, 2).AsSpan(4));
        var written2 = await _fake.NextCommandAsync(Bound);

        Assert.Equal(Message(first, 1), written1);
        Assert.Equal(Message(second, 2), written2);

        // Answered in the other order: only the token pairs a reply with its command.
        _fake.Kernel.Reply(Message(second, 0, 200));
        _fake.Kernel.Reply(Message(first, 0, 100));
        var pending = new Dictionary<ushort, int> { [5] = 100, [9] = 200 };
        for (var i = 0; i < 2; i++)
        {
            var reply = await _receiver.NextAsync(Bound);
            Assert.True(pending.Remove(ScmiHeader.TokenOf(reply.Header), out var expected), $"no pending command for {ScmiHeader.Parse(reply.Header)}");
            Assert.Equal(MessageType.Command, ScmiHeader.TypeOf(reply.Header));
            Assert.Equal(expected, BinaryPrimitives.ReadInt32LittleEndian(reply.Payload.AsSpan(4)));
        }
        Assert.Empty(pending);

        var stats = transport.Stats;
        Assert.Equal((2L, 2L, 0L, 0L), (stats.CommandsWritten, stats.Replies, stats.WriteErrors, stats.LateReplies));
        Assert.Null(_fake.Fault);
    }

    [Fact]
    public async Task Notifications_are_posted_byte_exact_and_in_order()
    {
        var transport = await ConnectAsync(_fake);
        byte[][] sent = [Notification(0), Notification(1, 7), Notification(0, 1, 2, 3), Notification(1, -1, int.MaxValue)];

        foreach (var message in sent) _fake.Kernel.Notify(message);

        foreach (var message in sent) Assert.Equal(message, (await _receiver.NextAsync(Bound)).Bytes);
        Assert.Equal(4, transport.Stats.Notifications);
        Assert.Null(_fake.Fault);
    }

    [Fact]
    public async Task Each_EOF_ends_one_message_whatever_the_writes()
    {
        var transport = await ConnectAsync(_fake);
        _fake.SplitWrites = true; // a message in two writes is still one message: only EOF ends it
        _fake.Pause();
        var a = Notification(0, 11, 12);
        var b = Notification(1, 21, 22, 23);
        _fake.Kernel.Notify(a);
        _fake.Kernel.Notify(b); // back to back in the kernel's queue

        _fake.Resume();

        Assert.Equal(a, (await _receiver.NextAsync(Bound)).Bytes);
        Assert.Equal(b, (await _receiver.NextAsync(Bound)).Bytes);
        await _fake.WaitDrainedAsync(RawQueue.Notifications, Bound);
        Assert.Equal(2, _receiver.Count);
        Assert.Equal(2, transport.Stats.Notifications);
        Assert.Null(_fake.Fault);
    }

    [Fact]
    public async Task A_message_longer_than_the_limit_is_cut_and_counted_and_one_at_the_limit_is_counted_as_maybe_cut()
    {
        var transport = await ConnectAsync(_fake);
        var limit = RawFakeDebugfs.DefaultLimits.MaxMessageBytes;
        var overlong = Notification(0, Enumerable.Range(1, (limit + 40) / 4).ToArray());

        // A file that hands over more than the kernel's limit: the reader keeps the first bytes and counts.
        _fake.Kernel.InjectUncut(RawQueue.Notifications, overlong);
        Assert.Equal(overlong[..limit], (await _receiver.NextAsync(Bound)).Bytes);
        Assert.Equal((1L, 0L), (transport.Stats.Truncated, transport.Stats.AtSizeLimit));

        // The kernel cuts silently; all the reader can tell is that the message fills the limit.
        _fake.Kernel.Notify(overlong);
        Assert.Equal(overlong[..limit], (await _receiver.NextAsync(Bound)).Bytes);
        Assert.Equal(1, _fake.Kernel.Truncated);
        Assert.Equal((1L, 1L, 2L), (transport.Stats.Truncated, transport.Stats.AtSizeLimit, transport.Stats.Notifications));
    }

    [Fact]
    public async Task A_late_reply_comes_through_errors_is_counted_and_still_posted()
    {
        var transport = await ConnectAsync(_fake);
        var header = ScmiHeader.Command(Perf, 0x07, token: 3);
        transport.SendCommand(header, []);
        await _fake.NextCommandAsync(Bound);

        _fake.AdvanceClock(RawFakeDebugfs.DefaultLimits.MaxRxTimeoutMs + 1);
        _fake.Kernel.Reply(Message(header, 0, 42));

        var late = await _receiver.NextAsync(Bound);
        Assert.Equal(Message(header, 0, 42), late.Bytes);
        Assert.Equal((1L, 0L), (transport.Stats.LateReplies, transport.Stats.Replies));

        // Anything else in errors is no reply: counted, not posted.
        _fake.Kernel.InjectUncut(RawQueue.Errors, Notification(0, 1));
        await _fake.WaitDrainedAsync(RawQueue.Errors, Bound);
        // Drained means read, not yet counted: the reader counts once it has seen the message's end of file.
        await Eventually.TrueAsync(() => transport.Stats.ErrorsNotReplies == 1, "the non-reply in errors is counted");
        Assert.Equal(1, _receiver.Count);
        Assert.Equal((1L, 1L), (transport.Stats.LateReplies, transport.Stats.ErrorsNotReplies));
    }

    [Fact]
    public async Task Overwritten_notifications_are_fewer_posts_and_the_losses_are_reported_undetectable()
    {
        using var fake = new RawFakeDebugfs(RawFakeDebugfs.DefaultLimits with { TxMaxMsg = 4 });
        using var transport = await ConnectAsync(fake);
        fake.Pause();
        for (var i = 0; i < 10; i++) fake.Kernel.Notify(Notification(0, i));

        fake.Resume();

        for (var i = 6; i < 10; i++) Assert.Equal(Notification(0, i), (await _receiver.NextAsync(Bound)).Bytes);
        await fake.WaitDrainedAsync(RawQueue.Notifications, Bound);
        Assert.Equal(4, _receiver.Count);
        Assert.Equal(6, fake.Kernel.Overwritten); // the fake knows; the agent cannot
        var stats = transport.Stats;
        Assert.Equal(4, stats.Notifications);
        Assert.False(stats.NotificationLossesDetectable);
        Assert.Null(stats.NotificationLosses);
        Assert.Contains("notification-losses=undetectable", stats.ToString(), StringComparison.Ordinal);
        Assert.Null(fake.Fault);
    }

    [Fact]
    public async Task Dispose_stops_the_readers_within_a_bound_while_the_pipes_are_idle()
    {
        // Pipes never written: a blocking open or read would hang here for good.
        var transport = await ConnectAsync(_fake, startFake: false);
        Assert.Equal(3, transport.RunningReaders);

        var clock = Stopwatch.StartNew();
        await Task.Run(transport.Dispose).WaitAsync(Bound);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {clock.Elapsed}");
        Assert.Equal(0, transport.RunningReaders);
        Assert.Throws<InvalidOperationException>(() => transport.SendCommand(ScmiHeader.Command(Perf, 0, 0), []));
    }

    [Fact]
    public async Task Dispose_also_stops_readers_whose_pipe_writer_has_left()
    {
        var transport = await ConnectAsync(_fake);
        _fake.Kernel.Notify(Notification(0, 1));
        await _receiver.NextAsync(Bound); // the notification pipe now reports a hang-up until its next writer

        var clock = Stopwatch.StartNew();
        await Task.Run(transport.Dispose).WaitAsync(Bound);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {clock.Elapsed}");
        Assert.Equal(0, transport.RunningReaders);
    }

    [Fact]
    public async Task A_refused_write_throws_naming_the_errno_instead_of_blocking()
    {
        // No window: every command goes straight to the pipe, as to a kernel with endless waiters.
        var transport = await ConnectAsync(_fake, readCommands: false, options: _fake.Options with { MaxCommandsInFlight = int.MaxValue });
        var payload = new byte[RawFakeDebugfs.DefaultLimits.MaxMsgSize];

        // Nobody reads the command pipe: it fills and the next write is refused at once.
        InvalidOperationException? refused = null;
        for (var i = 0; i < 10_000 && refused is null; i++)
        {
            try
            {
                transport.SendCommand(ScmiHeader.Command(Perf, 0x07, (ushort)(i & ScmiHeader.MaxToken)), payload);
            }
            catch (InvalidOperationException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("EAGAIN", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, transport.Stats.WriteErrors);
        Assert.True(transport.Stats.CommandsWritten > 0);

        var tooLong = Assert.Throws<InvalidOperationException>(() => transport.SendCommand(ScmiHeader.Command(Perf, 0x07, 1), new byte[payload.Length + 1]));
        Assert.Contains("max_msg_size", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(2, transport.Stats.WriteErrors);
    }

    [Fact]
    public async Task Past_the_kernels_waiters_commands_wait_and_go_out_as_replies_come_back()
    {
        // One waiter (so the fake's pipe never joins two commands) and a kernel timeout of 1 s: no command
        // expires from the window before the test lets it.
        using var fake = new RawFakeDebugfs(RawFakeDebugfs.DefaultLimits with { MaxRxTimeoutMs = 1000 });
        var transport = await ConnectAsync(fake, options: fake.Options with { MaxCommandsInFlight = 1, CommandQueue = 2 });
        var headers = Enumerable.Range(1, 3).Select(t => ScmiHeader.Command(Perf, 0x07, (ushort)t)).ToArray();
        foreach (var h in headers) transport.SendCommand(h, Message(0, 1).AsSpan(4));

        // One written, two waiting; a fourth has no room and is refused, not written.
        Assert.Equal((1, 2), transport.Window);
        var refused = Assert.Throws<InvalidOperationException>(() => transport.SendCommand(ScmiHeader.Command(Perf, 0x07, 4), Message(0, 1).AsSpan(4)));
        Assert.Contains("wait for the kernel's 1 in flight", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Message(headers[0], 1), await fake.NextCommandAsync(Bound));

        // Its reply frees the place: the next waiting command goes out, in order.
        fake.Kernel.Reply(Message(headers[0], 0));
        Assert.Equal(Message(headers[1], 1), await fake.NextCommandAsync(Bound));

        // A command never answered frees its place once the kernel surely gave up on it (2 x max_rx_timeout_ms + slack).
        Assert.Equal(Message(headers[2], 1), await fake.NextCommandAsync(Bound));
        await Eventually.TrueAsync(() => transport.Window == (0, 0), "the unanswered command expires from the window");
        Assert.Equal(3, transport.Stats.CommandsWritten);
        Assert.Equal(0, transport.Stats.WriteErrors);
    }

    [Fact]
    public async Task Messages_while_detached_and_runts_are_counted_not_posted()
    {
        var transport = await ConnectAsync(_fake);
        _fake.Kernel.InjectUncut(RawQueue.Notifications, [1, 2]);
        await _fake.WaitDrainedAsync(RawQueue.Notifications, Bound);
        transport.Detach();
        _fake.Kernel.Notify(Notification(0, 1));
        await _fake.WaitDrainedAsync(RawQueue.Notifications, Bound);
        // Drained means read, not yet counted: the reader counts once it has seen the message's end of file.
        await Eventually.TrueAsync(() => transport.Stats.NotAttached == 1, "the message while detached is counted");

        Assert.Equal(0, _receiver.Count);
        Assert.Equal((1L, 1L), (transport.Stats.Malformed, transport.Stats.NotAttached));
    }

    [Fact]
    public async Task Connect_fails_with_a_clear_error_when_a_queue_file_cannot_be_opened()
    {
        var instance = _fake.OpenInstance();
        File.Delete(instance.ErrorsPath);
        using var transport = new RawModeTransport(instance, _fake.Options);

        var error = await Assert.ThrowsAsync<RawModeException>(() => Task.Run(() => transport.ConnectAsync(CancellationToken.None)).WaitAsync(Bound));

        Assert.Contains(instance.ErrorsPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("ENOENT", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, transport.RunningReaders);
    }
}
