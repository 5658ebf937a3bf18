using System.Buffers.Binary;
using ScmiActors.Emulator;
using ScmiActors.Tests.Emulation;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using Xunit;
using static ScmiActors.Tests.Transports.SmtTestLink;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// Who may use an SMT link: the area and the socket are the owner's alone, a platform serves one agent
/// at a time and refuses a second one clearly, and (agents in turn) serves the next once the last went.
/// </summary>
public sealed class SmtAgentsTests
{
    private const byte Perf = ScmiProtocolId.Perf;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    private static UnixFileMode ModeOf(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the SMT link is Unix only");
        return File.GetUnixFileMode(path);
    }

    private static SmtAgentTransport NewAgent(SmtTempDirectory directory) =>
        new(new SmtAgentOptions(directory.AreaPath, directory.SocketPath) { SlotTimeout = Bound });

    private static async Task<RecordingReceiver> ConnectAsync(SmtAgentTransport agent, Func<CancellationToken, Task> accept)
    {
        using var cts = new CancellationTokenSource(Bound);
        var accepted = accept(cts.Token);
        await agent.ConnectAsync(cts.Token).WaitAsync(Bound);
        await accepted.WaitAsync(Bound);
        var receiver = new RecordingReceiver();
        agent.Attach(receiver);
        return receiver;
    }

    [Fact]
    public void The_area_and_the_socket_are_the_owners_alone_and_no_private_directory_is_left()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);

        Assert.Equal(OwnerOnly, ModeOf(directory.AreaPath));
        Assert.Equal(OwnerOnly, ModeOf(directory.SocketPath));
        // The socket was bound in a private directory beside it, then moved: nothing else remains.
        Assert.Equal(["link.smt", "link.sock"], Directory.GetFileSystemEntries(directory.Path).Select(e => Path.GetFileName(e)).Order().ToArray());
    }

    [Fact]
    public async Task The_emulator_hosts_area_and_socket_are_the_owners_alone()
    {
        using var directory = new SmtTempDirectory();
        await using var host = SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, EmulatorPlatforms.Emu(), EmulatorPlatforms.Quiet);

        Assert.Equal(OwnerOnly, ModeOf(directory.AreaPath));
        Assert.Equal(OwnerOnly, ModeOf(directory.SocketPath));
    }

    [Fact]
    public async Task A_listening_socket_moved_into_place_still_refuses_a_second_platform_on_its_path()
    {
        using var directory = new SmtTempDirectory();
        using var first = SmtDoorbell.Listen(directory.SocketPath);

        var error = Assert.Throws<IOException>(() => SmtDoorbell.Listen(directory.SocketPath));

        Assert.Contains("already exists", error.Message);
        Assert.Single(Directory.GetFileSystemEntries(directory.Path)); // the socket only, no private directory left
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_second_agent_is_refused_while_the_first_keeps_its_notifications_and_responses()
    {
        using var link = await StartAsync();
        link.Platform.OnCommand((header, _) => link.Platform.Respond(header, ScmiStatus.Success, Words(7)));
        using var second = NewAgent(link.Directory);

        var error = await Assert.ThrowsAsync<SmtAgentRefusedException>(() => second.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Equal($"SMT platform at {link.Directory.SocketPath} already serves an agent", error.Message);
        Assert.False(second.IsConnected);
        Assert.Equal(1, link.Platform.Stats.AgentsRefused);
        Assert.Equal(1, link.Platform.Stats.AgentsLinked);
        // The first agent is untouched: a notification and a response still reach it.
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        var command = ScmiHeader.Command(Perf, ScmiCommands.Perf.LevelGet, 5);
        link.Agent.SendCommand(command, Words(0));
        await Eventually.TrueAsync(() => link.Receiver.Count == 2, "a notification and a response for the first agent");
        Assert.Contains(link.Receiver.Messages, m => m.Header == command);
        Assert.True(link.Agent.IsConnected);
        Assert.Equal(0, link.Receiver.LossCount);
    }

    [Fact]
    public async Task Without_agents_in_turn_an_agent_after_the_first_one_went_is_refused()
    {
        using var link = await StartAsync();
        link.Agent.Dispose();
        await link.Platform.AgentGone.WaitAsync(Bound);
        using var next = NewAgent(link.Directory);

        await Assert.ThrowsAsync<SmtAgentRefusedException>(() => next.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(1, link.Platform.Stats.AgentsRefused);
        Assert.Throws<InvalidOperationException>(() => link.Platform.AcceptAsync(CancellationToken.None).GetAwaiter().GetResult());
    }

    [Fact]
    public async Task With_agents_in_turn_the_next_agent_finds_the_area_reset_and_is_served()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath,
            new SmtPlatformOptions { AgentsInTurn = true, NotificationFlags = SmtLayout.FlagIntrEnabled });
        var left = new TaskCompletionSource<SmtAgentLeft>(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.OnAgentLeft(l => left.TrySetResult(l));
        using var first = NewAgent(directory);
        await ConnectAsync(first, platform.AcceptAsync);
        first.Dispose();
        var gone = await left.Task.WaitAsync(Bound);

        Assert.Equal(1, gone.Agent);
        Assert.Equal(SmtCloseReason.PeerClosed, gone.Closed.Reason);
        Assert.False(platform.IsAgentLinked);
        for (var slot = 0; slot < platform.Area.SlotCount; slot++) Assert.Equal(SmtLayout.StatusFree, platform.Area.ReadStatus(slot));
        Assert.Equal(SmtSendResult.NoAgent, platform.SendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));

        using var second = NewAgent(directory);
        var received = await ConnectAsync(second, platform.AcceptAsync);
        Assert.True(platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 2)));
        await Eventually.TrueAsync(() => received.Count == 1, "the second agent's notification");
        // Its completion doorbell frees the slot for the next one (flags 1: nothing awaited from the first agent is left).
        await Eventually.TrueAsync(() => !platform.IsAwaitingCompletion(), "the second agent's completion doorbell");
        Assert.True(platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 3)));
        await Eventually.TrueAsync(() => received.Count == 2, "the second notification");
        Assert.Equal(2, platform.Stats.AgentsLinked);
        Assert.Equal(0, platform.Stats.AgentsRefused);
        Assert.Equal(0, platform.Stats.LostAtSlot);
    }

    [Fact]
    public async Task With_agents_in_turn_a_notification_left_unread_does_not_block_the_next_agent()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath, new SmtPlatformOptions { AgentsInTurn = true });
        var left = new TaskCompletionSource<SmtAgentLeft>(TaskCreationOptions.RunContinuationsAsynchronously);
        platform.OnAgentLeft(l => left.TrySetResult(l));
        // A rogue first agent: a bare socket that never reads, so the notification stays in the slot.
        var rogue = await SmtDoorbell.ConnectAsync(directory.SocketPath, CancellationToken.None).WaitAsync(Bound);
        await platform.AcceptAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.True(platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        Assert.Equal(SmtSendResult.LostAtBusySlot, platform.SendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 2)));
        rogue.Dispose();

        Assert.Equal([SmtLayout.DefaultP2ASlot], (await left.Task.WaitAsync(Bound)).UnreadP2ASlots);
        using var next = NewAgent(directory);
        var received = await ConnectAsync(next, platform.AcceptAsync);
        Assert.True(platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 3)));
        await Eventually.TrueAsync(() => received.Count == 1, "the next agent's notification");
        Assert.Equal(Words(0, 3), received.Messages[0].Payload);
    }

    [Fact]
    public async Task With_agents_in_turn_a_second_agent_is_still_refused_while_one_is_linked()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath, new SmtPlatformOptions { AgentsInTurn = true });
        using var first = NewAgent(directory);
        var received = await ConnectAsync(first, platform.AcceptAsync);
        using var second = NewAgent(directory);

        await Assert.ThrowsAsync<SmtAgentRefusedException>(() => second.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(1, platform.Stats.AgentsRefused);
        Assert.True(platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        await Eventually.TrueAsync(() => received.Count == 1, "the first agent still served");
    }

    [Fact]
    public async Task An_emulator_with_agents_in_turn_forgets_the_gone_agents_enables_and_serves_the_next_and_the_counts_add_up()
    {
        using var directory = new SmtTempDirectory();
        await using var host = SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, EmulatorPlatforms.Emu(), EmulatorPlatforms.Quiet,
            new SmtPlatformOptions { AgentsInTurn = true });
        var emulator = host.Emulator;
        ushort token = 0;

        async Task EnableLevelAsync(SmtAgentTransport agent, RecordingReceiver receiver)
        {
            var header = ScmiHeader.Command(Perf, ScmiCommands.Perf.NotifyLevel, ++token);
            agent.SendCommand(header, Words(0, 1));
            await Eventually.TrueAsync(() => receiver.Messages.Any(m => m.Header == header), "the NOTIFY answer");
            Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(receiver.Messages.Single(m => m.Header == header).Payload));
        }

        int Notifications(RecordingReceiver receiver) => receiver.Messages.Count(m => ScmiHeader.TypeOf(m.Header) == MessageType.Notification);

        using var first = NewAgent(directory);
        var firstReceived = await ConnectAsync(first, host.AcceptAsync);
        await EnableLevelAsync(first, firstReceived);
        Assert.Equal(IngestResult.Queued, emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0));
        await Eventually.TrueAsync(() => Notifications(firstReceived) == 1, "the first agent's notification");

        first.Dispose();
        await Eventually.TrueAsync(() => !emulator.IsEnabled(Perf, ScmiEvents.Perf.LevelChanged, 0), "the gone agent's enable forgotten");
        Assert.Null(emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0)); // nothing enabled: nothing posted

        using var second = NewAgent(directory);
        var secondReceived = await ConnectAsync(second, host.AcceptAsync);
        Assert.Null(emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0)); // the next agent starts from nothing
        await EnableLevelAsync(second, secondReceived);
        Assert.Equal(IngestResult.Queued, emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0));
        await Eventually.TrueAsync(() => Notifications(secondReceived) == 1, "the second agent's notification");

        var s = host.Stats;
        Assert.Equal(2, s.Link.AgentsLinked);
        Assert.Equal(2, s.NotificationsSent);
        Assert.Equal(s.NotificationsTried, s.NotificationsSent + s.NotificationsLostAtSlot + s.NotificationsTooLarge + s.NotificationsLostInQueue + s.NotificationsInQueue);
        Assert.Equal(s.NotificationsSent, first.Stats.NotificationsReceived + second.Stats.NotificationsReceived + host.NotificationsLeftInSlot);
        Assert.Equal(0, s.NotificationsWithoutAgent);
    }

    [Fact]
    public async Task An_emulator_with_agents_in_turn_counts_what_it_sends_between_agents_as_without_agent()
    {
        using var directory = new SmtTempDirectory();
        // KeepSendingAfterStop: the emulator goes on sending what a gone agent once enabled, with nobody linked.
        await using var host = SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, EmulatorPlatforms.Emu(),
            EmulatorPlatforms.Quiet with { Faults = EmulatorFault.KeepSendingAfterStop }, new SmtPlatformOptions { AgentsInTurn = true });
        using var first = NewAgent(directory);
        var received = await ConnectAsync(first, host.AcceptAsync);
        var header = ScmiHeader.Command(Perf, ScmiCommands.Perf.NotifyLevel, 1);
        first.SendCommand(header, Words(0, 1));
        await Eventually.TrueAsync(() => received.Messages.Any(m => m.Header == header), "the NOTIFY answer");
        host.Emulator.Step(); // a tick sees the agent linked

        first.Dispose();
        await Eventually.TrueAsync(() => !host.Emulator.IsEnabled(Perf, ScmiEvents.Perf.LevelChanged, 0), "the gone agent's enable forgotten");
        host.Emulator.Step(); // a tick sees the agent gone
        var before = host.Stats.NotificationsWithoutAgent;
        Assert.Equal(IngestResult.NotRunning, host.Emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0));

        var s = host.Stats;
        Assert.Equal(before + 1, s.NotificationsWithoutAgent);
        Assert.Equal(0, s.NotificationsTried);
    }
}
