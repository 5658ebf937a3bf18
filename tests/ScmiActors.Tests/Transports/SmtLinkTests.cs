using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// The SMT link between two processes (TRANSPORTS.md §1), both ends over a real area file and a real
/// seqpacket socket: commands and responses on the A2P slot, notifications on the P2A slot, the
/// doorbell's protocol checks and the ends of the link.
/// </summary>
public sealed class SmtLinkTests
{
    private const byte Perf = ScmiProtocolId.Perf;
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    private static uint Command(byte messageId, ushort token) => ScmiHeader.Command(Perf, messageId, token);

    [Fact]
    public async Task A_command_is_answered_in_the_A2P_slot_with_its_header_and_flags_echoed()
    {
        using var link = await SmtTestLink.StartAsync();
        var received = new TaskCompletionSource<(uint, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Platform.OnCommand((header, payload) =>
        {
            received.TrySetResult((header, payload));
            link.Platform.Respond(header, ScmiStatus.Success, Words(0x1234, 0xCAFEF00D));
        });
        var command = Command(ScmiCommands.Perf.LevelGet, token: 0x2A5);

        link.Agent.SendCommand(command, Words(3));

        var (seenHeader, seenPayload) = await received.Task.WaitAsync(Bound);
        Assert.Equal(command, seenHeader);
        Assert.Equal(Words(3), seenPayload);
        await Eventually.TrueAsync(() => link.Receiver.Count == 1, "the response is posted");
        var (header, payload) = link.Receiver.Messages[0];
        Assert.Equal(command, header); // echoed whole: the link matches it by token
        Assert.Equal(0x2A5, ScmiHeader.TokenOf(header));
        Assert.Equal(Words(0, 0x1234, 0xCAFEF00D), payload);

        var slot = link.Agent.Area!.SlotBytes(SmtLayout.DefaultA2PSlot);
        Assert.Equal(SmtLayout.StatusFree, BinaryPrimitives.ReadUInt32LittleEndian(slot[SmtLayout.StatusOffset..]));
        Assert.Equal(SmtLayout.FlagIntrEnabled, BinaryPrimitives.ReadUInt32LittleEndian(slot[SmtLayout.FlagsOffset..]));
        Assert.Equal(4u + 12, BinaryPrimitives.ReadUInt32LittleEndian(slot[SmtLayout.LengthOffset..]));
        var stats = link.Agent.Stats;
        Assert.Equal((1L, 1L, 0L, 0L), (stats.CommandsSent, stats.Responses, stats.SlotTimeouts, stats.UnexpectedResponses));
        Assert.Equal((1L, 1L), (link.Platform.Stats.CommandsReceived, link.Platform.Stats.ResponsesSent));
    }

    [Fact]
    public async Task Queued_commands_go_out_one_at_a_time_in_order_each_after_the_previous_response()
    {
        using var link = await SmtTestLink.StartAsync();
        var commands = new List<uint>();
        var commandsLock = new Lock();
        link.Platform.OnCommand((header, _) => { lock (commandsLock) commands.Add(header); });
        int Seen() { lock (commandsLock) return commands.Count; }

        for (ushort token = 0; token < 5; token++) link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, token), Words(token));

        for (var i = 0; i < 5; i++)
        {
            await Eventually.TrueAsync(() => Seen() == i + 1, $"command {i} reaches the platform");
            // Only one in flight: the next is written only when this one is answered.
            Assert.Equal(i + 1, link.Agent.Stats.CommandsSent);
            uint header;
            lock (commandsLock) header = commands[i];
            Assert.Equal((ushort)i, ScmiHeader.TokenOf(header));
            link.Platform.Respond(header, ScmiStatus.Success, Words((uint)(100 + i)));
        }

        await Eventually.TrueAsync(() => link.Receiver.Count == 5, "five responses are posted");
        var responses = link.Receiver.Messages;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Command(ScmiCommands.Perf.LevelGet, (ushort)i), responses[i].Header);
            Assert.Equal(Words(0, (uint)(100 + i)), responses[i].Payload);
        }
        Assert.Equal(5, Seen());
        Assert.Equal((5L, 5L, 0L), (link.Agent.Stats.CommandsSent, link.Agent.Stats.Responses, link.Agent.Stats.SlotTimeouts));
    }

    [Fact]
    public async Task A_full_command_queue_refuses_with_a_clear_exception_and_counts_it()
    {
        using var link = await SmtTestLink.StartAsync(queueCapacity: 2);
        link.Platform.OnCommand((_, _) => { }); // never answers: the first stays in flight

        link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 1), []);
        link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 2), []);
        link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 3), []);
        var refused = Assert.Throws<InvalidOperationException>(() => link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 4), []));

        Assert.Contains("queue is full", refused.Message);
        Assert.Equal((1L, 1L), (link.Agent.Stats.CommandsSent, link.Agent.Stats.CommandsRefused));
        Assert.Throws<ArgumentException>(() => link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 5), new byte[SmtLayout.MaxPayload + 1]));
    }

    [Fact]
    public async Task An_unanswered_command_loses_the_A2P_slot_after_the_slot_timeout_and_the_next_command_goes()
    {
        using var link = await SmtTestLink.StartAsync(slotTimeout: TimeSpan.FromMilliseconds(30));
        var commands = new List<(uint Header, long At)>();
        var commandsLock = new Lock();
        link.Platform.OnCommand((header, _) =>
        {
            lock (commandsLock) commands.Add((header, Stopwatch.GetTimestamp()));
            if (ScmiHeader.TokenOf(header) == 2) link.Platform.Respond(header, ScmiStatus.Success); // the first is never answered
        });
        var first = Command(ScmiCommands.Perf.LevelGet, 1);
        var second = Command(ScmiCommands.Perf.LevelGet, 2);

        link.Agent.SendCommand(first, []);
        link.Agent.SendCommand(second, []);

        await Eventually.TrueAsync(() => link.Receiver.Count == 1, "the second command is answered");
        Assert.Equal(second, link.Receiver.Messages[0].Header);
        List<(uint Header, long At)> seen;
        lock (commandsLock) seen = commands.ToList();
        Assert.Equal([first, second], seen.Select(c => c.Header));
        Assert.True(Stopwatch.GetElapsedTime(seen[0].At, seen[1].At) >= TimeSpan.FromMilliseconds(25),
            $"the second went out {Stopwatch.GetElapsedTime(seen[0].At, seen[1].At).TotalMilliseconds} ms after the first");
        var stats = link.Agent.Stats;
        Assert.Equal((2L, 1L, 1L, 0L), (stats.CommandsSent, stats.Responses, stats.SlotTimeouts, stats.UnexpectedResponses));
    }

    [Fact]
    public async Task A_response_whose_doorbell_is_late_is_taken_from_the_FREE_slot_at_the_slot_timeout_not_lost()
    {
        using var heldUp = new ManualResetEventSlim(false);
        var inIsr = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var link = await SmtTestLink.StartAsync(slotTimeout: TimeSpan.FromMilliseconds(30));
        link.Receiver.BeforeRecord = () =>
        {
            if (inIsr.TrySetResult()) heldUp.Wait(Bound); // the receive thread stalls on the first message, like a long GC pause
        };
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Platform.OnCommand((header, _) =>
        {
            link.Platform.Respond(header, ScmiStatus.Success, Words(5));
            answered.TrySetResult();
        });
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        await inIsr.Task.WaitAsync(Bound);
        var command = Command(ScmiCommands.Perf.LevelGet, 3);

        link.Agent.SendCommand(command, []);
        await answered.Task.WaitAsync(Bound); // FREE is in the slot, {0xD0, 0} waits in the socket

        await Eventually.TrueAsync(() => link.Receiver.Count == 1, "the response is posted by the slot timer");
        Assert.Equal(command, link.Receiver.Messages[0].Header);
        Assert.Equal(Words(0, 5), link.Receiver.Messages[0].Payload);
        heldUp.Set();
        await Eventually.TrueAsync(() => link.Receiver.Count == 2, "the held-up notification is posted");
        // The response's own doorbell is absorbed: a second round trip is matched as usual.
        var next = Command(ScmiCommands.Perf.LevelGet, 4);
        link.Agent.SendCommand(next, []);
        await Eventually.TrueAsync(() => link.Receiver.Count == 3, "the next response is posted");
        Assert.Equal(next, link.Receiver.Messages[2].Header);
        var stats = link.Agent.Stats;
        Assert.Equal((2L, 1L, 0L, 0L), (stats.Responses, stats.ResponsesBeforeDoorbell, stats.SlotTimeouts, stats.UnexpectedResponses));
    }

    [Fact]
    public async Task Notifications_arrive_at_the_receiver_byte_exact_and_leave_the_slot_FREE()
    {
        using var link = await SmtTestLink.StartAsync();
        var maximal = Enumerable.Range(0, SmtLayout.MaxPayload).Select(i => (byte)(i * 7 + 1)).ToArray();
        (uint Header, byte[] Payload)[] sent =
        [
            (ScmiHeader.Notification(ScmiProtocolId.Power, 0), Words(2, 3, 0x40000000)), // SCMI-NOTES §1.2's example
            (ScmiHeader.Notification(Perf, 1), Words(0, 77)),
            (ScmiHeader.Notification(0x84, 0), []),
            (ScmiHeader.Notification(0x85, 2), maximal),
        ];

        for (var i = 0; i < sent.Length; i++)
        {
            Assert.True(link.Platform.TrySendNotification(sent[i].Header, sent[i].Payload));
            await Eventually.TrueAsync(() => link.Receiver.Count == i + 1, $"notification {i} is posted");
            if (i == 0)
            {
                // The area after the agent consumed SCMI-NOTES §1.2's POWER_STATE_CHANGED: FREE written, the message kept.
                byte[] expected =
                [
                    0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0,
                    0x00, 0x47, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0x40,
                ];
                Assert.Equal(expected, link.Platform.Area.SlotBytes(SmtLayout.DefaultP2ASlot)[..expected.Length].ToArray());
            }
        }

        var messages = link.Receiver.Messages;
        Assert.Equal(sent.Select(s => s.Header), messages.Select(m => m.Header));
        for (var i = 0; i < sent.Length; i++) Assert.Equal(sent[i].Payload, messages[i].Payload);
        Assert.Equal(SmtLayout.StatusFree, link.Platform.Area.ReadStatus(SmtLayout.DefaultP2ASlot));
        Assert.Equal((4L, 0L), (link.Agent.Stats.NotificationsReceived, link.Agent.Stats.SpuriousDoorbells));
        Assert.Equal((4L, 0L), (link.Platform.Stats.NotificationsSent, link.Platform.Stats.LostAtSlot));
    }

    [Fact]
    public async Task With_flags_0_as_SCP_sends_the_agent_never_rings_the_P2A_slot()
    {
        using var link = await SmtTestLink.StartAsync(new SmtPlatformOptions { NotificationFlags = 0 });
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        link.Platform.OnCommand((header, _) =>
        {
            link.Platform.Respond(header, ScmiStatus.Success);
            answered.TrySetResult();
        });

        for (var i = 0; i < 3; i++)
        {
            Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, (uint)i)));
            await Eventually.TrueAsync(() => link.Receiver.Count == i + 1, $"notification {i} is posted");
        }
        // A fence: doorbells arrive in order, so one the agent had rung would be counted before this command.
        link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 9), []);
        await answered.Task.WaitAsync(Bound);

        Assert.Equal(0, link.Platform.Stats.CompletionDoorbells);
        Assert.Equal(0, link.Agent.Stats.CompletionDoorbells);
        Assert.False(link.Platform.IsAwaitingCompletion());
    }

    [Fact]
    public async Task With_flags_1_as_iMX_sends_the_agent_rings_the_P2A_slot_after_freeing_it()
    {
        using var link = await SmtTestLink.StartAsync(new SmtPlatformOptions { NotificationFlags = SmtLayout.FlagIntrEnabled });
        var completedSlots = new List<int>();
        var completedLock = new Lock();
        link.Platform.OnCompletion(slot => { lock (completedLock) completedSlots.Add(slot); });

        for (var i = 0; i < 3; i++)
        {
            Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, (uint)i)));
            // i.MX writes its next message only after the completion doorbell: so does this platform end.
            await Eventually.TrueAsync(() => !link.Platform.IsAwaitingCompletion(), $"the completion of notification {i} arrives");
        }

        Assert.Equal(3, link.Receiver.Count);
        await Eventually.TrueAsync(() => { lock (completedLock) return completedSlots.Count == 3; }, "the completion handler ran three times");
        lock (completedLock) Assert.Equal([1, 1, 1], completedSlots);
        // Unexpected would count a completion that found its slot not FREE (the platform checks at arrival).
        Assert.Equal((3L, 0L), (link.Platform.Stats.CompletionDoorbells, link.Platform.Stats.UnexpectedCompletionDoorbells));
        Assert.Equal(3, link.Agent.Stats.CompletionDoorbells);
    }

    [Fact]
    public async Task A_busy_P2A_slot_makes_the_platform_drop_the_notification_and_count_it_and_once_freed_the_next_goes()
    {
        using var slowIsr = new ManualResetEventSlim(false);
        var inIsr = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var link = await SmtTestLink.StartAsync();
        link.Receiver.BeforeRecord = () =>
        {
            if (inIsr.TrySetResult()) slowIsr.Wait(Bound); // holds the receive thread on the first message only
        };

        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        await inIsr.Task.WaitAsync(Bound);
        // The first was freed before it was posted, so the second is written; the stalled receive
        // thread does not consume it, and the slot stays busy.
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 2)));
        Assert.Equal(SmtSendResult.LostAtBusySlot, link.Platform.SendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 3)));
        Assert.Equal((2L, 1L), (link.Platform.Stats.NotificationsSent, link.Platform.Stats.LostAtSlot));

        slowIsr.Set();
        await Eventually.TrueAsync(() => link.Receiver.Count == 2, "the second is posted");
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 4)));
        await Eventually.TrueAsync(() => link.Receiver.Count == 3, "the fourth is posted");

        Assert.Equal([Words(0, 1), Words(0, 2), Words(0, 4)], link.Receiver.Messages.Select(m => m.Payload));
        Assert.Equal((3L, 1L), (link.Platform.Stats.NotificationsSent, link.Platform.Stats.LostAtSlot));

        // Once the agent is gone nothing is written, and that is not a loss at the slot.
        link.Agent.Dispose();
        await link.Platform.AgentGone.WaitAsync(Bound);
        Assert.Equal(SmtSendResult.NoAgent, link.Platform.SendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 5)));
        Assert.Equal((3L, 1L), (link.Platform.Stats.NotificationsSent, link.Platform.Stats.LostAtSlot));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    public async Task In_a_burst_every_notification_is_either_received_or_counted_lost_at_the_slot(uint flags)
    {
        using var link = await SmtTestLink.StartAsync(new SmtPlatformOptions { NotificationFlags = flags });
        const int attempted = 5000;

        for (var i = 0; i < attempted; i++) link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, (uint)i));

        var platform = link.Platform.Stats;
        Assert.Equal(attempted, platform.NotificationsSent + platform.LostAtSlot);
        Assert.True(platform.NotificationsSent > 0);
        // The agent counts a notification before it posts it: wait for the receiver, then compare both.
        await Eventually.TrueAsync(() => link.Receiver.Count >= platform.NotificationsSent,
            $"the receiver gets all {platform.NotificationsSent} sent");
        Assert.Equal(platform.NotificationsSent, link.Agent.Stats.NotificationsReceived);
        Assert.Equal(platform.NotificationsSent, link.Receiver.Count);
        var values = link.Receiver.Messages.Select(m => BinaryPrimitives.ReadUInt32LittleEndian(m.Payload.AsSpan(4))).ToList();
        Assert.Equal(values.Order(), values); // arrival order is sending order
        Assert.Equal(0, link.Agent.Stats.SpuriousDoorbells);
    }

    [Fact]
    public async Task A_response_with_no_command_in_flight_is_counted_and_not_posted()
    {
        using var link = await SmtTestLink.StartAsync();

        link.Platform.Respond(Command(ScmiCommands.Perf.LevelGet, 7), ScmiStatus.Success);

        await Eventually.TrueAsync(() => link.Agent.Stats.UnexpectedResponses == 1, "the stray response is counted");
        Assert.Equal(0, link.Receiver.Count); // counted in the same call that would have posted it
        Assert.Equal(0, link.Agent.Stats.Responses);
        Assert.False(link.Agent.Disconnected.IsCompleted);
    }

    [Theory]
    [InlineData(new byte[] { SmtLayout.DoorbellToAgent, 1, 0 }, "3 bytes")]
    [InlineData(new byte[] { SmtLayout.DoorbellToAgent }, "1 bytes")]
    [InlineData(new byte[] { 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1, 0xD0, 1 }, "bytes, not 2")]
    [InlineData(new byte[] { 0x55, 1 }, "kind 0x55")]
    [InlineData(new byte[] { SmtLayout.DoorbellToPlatform, 1 }, "kind 0xA0")]
    [InlineData(new byte[] { SmtLayout.DoorbellToAgent, 7 }, "slot 7")]
    public async Task A_malformed_doorbell_is_a_counted_protocol_error_that_drops_the_link(byte[] packet, string detail)
    {
        using var link = await SmtTestLink.StartAsync();

        Assert.True(link.Platform.SendRawDoorbell(packet));

        var closed = await link.Agent.Disconnected.WaitAsync(Bound);
        Assert.Equal(SmtCloseReason.ProtocolError, closed.Reason);
        Assert.Contains(detail, closed.Detail);
        Assert.Equal(1, link.Agent.Stats.ProtocolErrors);
        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Platform.AgentGone.WaitAsync(Bound)).Reason);
        var refused = Assert.Throws<InvalidOperationException>(() => link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 1), []));
        Assert.Contains("down", refused.Message);
    }

    [Fact]
    public async Task A_malformed_doorbell_from_the_agent_side_drops_the_link_at_the_platform()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);
        var accepted = platform.AcceptAsync(CancellationToken.None);
        using var rogue = await SmtDoorbell.ConnectAsync(directory.SocketPath, CancellationToken.None).WaitAsync(Bound);
        await accepted.WaitAsync(Bound);

        rogue.Send(new byte[] { SmtLayout.DoorbellToAgent, 0 }); // the platform's kind, from the agent

        var gone = await platform.AgentGone.WaitAsync(Bound);
        Assert.Equal(SmtCloseReason.ProtocolError, gone.Reason);
        Assert.Equal(1, platform.Stats.ProtocolErrors);
    }

    [Fact]
    public async Task Disposing_the_agent_shows_the_platform_EOF()
    {
        using var link = await SmtTestLink.StartAsync();

        link.Agent.Dispose();

        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Platform.AgentGone.WaitAsync(Bound)).Reason);
        Assert.Equal(SmtCloseReason.Disposed, (await link.Agent.Disconnected.WaitAsync(Bound)).Reason);
        Assert.False(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1))); // no agent to ring
    }

    [Fact]
    public async Task Disposing_the_platform_shows_the_agent_EOF_and_removes_the_area_and_the_socket()
    {
        using var link = await SmtTestLink.StartAsync();

        link.Platform.Dispose();

        var closed = await link.Agent.Disconnected.WaitAsync(Bound);
        Assert.Equal(SmtCloseReason.PeerClosed, closed.Reason);
        Assert.False(File.Exists(link.Directory.AreaPath));
        Assert.False(File.Exists(link.Directory.SocketPath));
        Assert.Throws<InvalidOperationException>(() => link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, 1), []));
    }

    [Fact]
    public async Task Connecting_to_a_missing_socket_fails_with_a_message_that_names_it()
    {
        using var directory = new SmtTempDirectory();
        using var agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath));

        var error = await Assert.ThrowsAsync<IOException>(() => agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Contains(directory.SocketPath, error.Message);
        Assert.Contains("not found", error.Message);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public async Task Connecting_to_a_platform_whose_area_is_missing_fails_with_a_message_that_names_it()
    {
        using var directory = new SmtTempDirectory();
        using var listener = SmtDoorbell.Listen(directory.SocketPath); // a socket, but no area file
        using var agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Contains(directory.AreaPath, error.Message);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public async Task A_second_platform_on_the_same_paths_is_refused_with_a_clear_message()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);

        var error = Assert.Throws<IOException>(() => SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath));

        Assert.Contains("already exists", error.Message);
        Assert.True(File.Exists(directory.AreaPath)); // the first platform's area is untouched
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("notifications, flags 0")]
    [InlineData("notifications, flags 1")]
    [InlineData("responses")]
    public async Task The_receive_path_allocates_nothing_per_message(string traffic)
    {
        var receiver = new AllocationMeasuringReceiver(warmUp: 200, measured: 3000);
        var flags = traffic == "notifications, flags 1" ? SmtLayout.FlagIntrEnabled : 0;
        using var link = await SmtTestLink.StartAsync(new SmtPlatformOptions { NotificationFlags = flags }, receiver: receiver);
        link.Platform.OnCommand((header, _) => link.Platform.Respond(header, ScmiStatus.Success, Words(7)));
        var payload = Words(0, 1, 2);

        for (var i = 0; i < receiver.Total; i++)
        {
            if (traffic == "responses") link.Agent.SendCommand(Command(ScmiCommands.Perf.LevelGet, (ushort)(i & ScmiHeader.MaxToken)), payload);
            else Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), payload), $"notification {i} found the slot busy");
            var posted = i + 1;
            Assert.True(SpinWait.SpinUntil(() => receiver.Count >= posted && !link.Platform.IsAwaitingCompletion(), Bound),
                $"message {i} is posted");
        }

        // Per message means on every message: an allocation on the path would show 3000 times. What the
        // runtime allocates once, at a random message, is let through: a Lock's contention state the first
        // time SendCommand and the receive thread meet (56 then 152 bytes), a tier-up (56 bytes; gone
        // with DOTNET_TieredCompilation=0).
        var deltas = await receiver.Deltas.WaitAsync(Bound);
        var allocating = deltas.Select((bytes, i) => (bytes, i)).Where(d => d.bytes != 0).ToList();
        Assert.True(allocating.Count <= 2 && allocating.Sum(d => d.bytes) <= 512,
            $"{allocating.Count} of {deltas.Length} messages allocated: " + string.Join(", ", allocating.Select(d => $"message {d.i}: {d.bytes} bytes")));
        Assert.Equal(flags == 0 ? 0 : receiver.Total, link.Agent.Stats.CompletionDoorbells);
        Assert.Equal(traffic == "responses" ? receiver.Total : 0, link.Agent.Stats.Responses);
    }

    /// <summary>
    /// Runs on the agent's receive thread: reads that thread's allocation counter at every message
    /// into arrays allocated up front. Between two reads lies everything the thread did for one
    /// message (receive the doorbell, copy, free, ring, post); this receiver itself allocates nothing.
    /// </summary>
    private sealed class AllocationMeasuringReceiver(int warmUp, int measured) : IScmiReceiver
    {
        private readonly TaskCompletionSource<long[]> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _deltas = new long[measured];
        private long _last;
        private int _count;

        public int Total => warmUp + measured;
        public int Count => Volatile.Read(ref _count);

        /// <summary>Bytes the receive thread allocated between one message's post and the next's, for the measured messages.</summary>
        public Task<long[]> Deltas => _result.Task;

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
        {
            var now = GC.GetAllocatedBytesForCurrentThread();
            var index = _count - warmUp;
            if (index >= 0 && index < measured) _deltas[index] = now - _last;
            if (index == measured - 1) _result.TrySetResult(_deltas);
            _last = GC.GetAllocatedBytesForCurrentThread();
            Volatile.Write(ref _count, _count + 1);
            return IngestResult.Queued;
        }
    }
}
