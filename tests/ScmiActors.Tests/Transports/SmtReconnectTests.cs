using System.Buffers.Binary;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// The agent's end of an SMT link when the platform goes away and comes back (a restarted platform
/// process recreates its area and socket at the same paths): the loss is reported once to the attached
/// receiver, after its last message; Dispose reports nothing; the same agent connects again with fresh
/// per-connection state.
/// </summary>
public sealed class SmtReconnectTests
{
    private const byte Perf = ScmiProtocolId.Perf;
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    private static uint Command(ushort token) => ScmiHeader.Command(Perf, ScmiCommands.Perf.LevelGet, token);

    private static void AnswerEverything(SmtPlatformEnd platform, ScmiStatus status = ScmiStatus.Success) =>
        platform.OnCommand((header, _) => platform.Respond(header, status, Words(ScmiHeader.TokenOf(header))));

    /// <summary>A command round trip on the current link: the response is the receiver's next message.</summary>
    private static async Task RoundTripAsync(SmtTestLink link, ushort token)
    {
        var before = link.Receiver.Count;
        link.Agent.SendCommand(Command(token), Words(1));
        await Eventually.TrueAsync(() => link.Receiver.Count == before + 1, $"the response to token {token} is posted");
        var (header, payload) = link.Receiver.Messages[before];
        Assert.Equal(Command(token), header);
        Assert.Equal(Words(0, token), payload);
    }

    private static async Task NotificationArrivesAsync(SmtTestLink link, uint value)
    {
        var before = link.Receiver.Count;
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, value)));
        await Eventually.TrueAsync(() => link.Receiver.Count == before + 1, $"notification {value} is posted");
        Assert.Equal(Words(0, value), link.Receiver.Messages[before].Payload);
    }

    [Fact]
    public async Task A_platform_that_goes_away_is_reported_lost_once_after_its_last_notification_and_Dispose_adds_nothing()
    {
        using var link = await SmtTestLink.StartAsync();
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));

        link.Platform.Dispose(); // the notification's doorbell is in the socket before the EOF

        await Eventually.TrueAsync(() => link.Receiver.LossCount == 1, "the loss is reported");
        var (reason, postsBefore) = Assert.Single(link.Receiver.Losses);
        Assert.Contains("EOF", reason);
        Assert.Contains(link.Directory.SocketPath, reason);
        Assert.Equal(1, postsBefore); // the notification came first, the loss last
        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Agent.Disconnected.WaitAsync(Bound)).Reason);
        Assert.False(link.Agent.IsConnected);
        Assert.Null(link.Agent.Area);
        Assert.Equal((1L, 1L), (link.Agent.Stats.Connections, link.Agent.Stats.LinksLost));

        link.Agent.Dispose(); // joins what is left of the link: any report would be made by now

        Assert.Equal(1, link.Receiver.LossCount);
        Assert.Equal(1, link.Agent.Stats.LinksLost);
    }

    [Fact]
    public async Task Disposing_the_agent_never_reports_a_loss()
    {
        using var link = await SmtTestLink.StartAsync();
        link.Platform.OnCommand((_, _) => { }); // a command stays in flight
        link.Agent.SendCommand(Command(1), []);
        link.Agent.SendCommand(Command(2), []); // and one queued

        link.Agent.Dispose();

        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Platform.AgentGone.WaitAsync(Bound)).Reason);
        Assert.Equal(SmtCloseReason.Disposed, (await link.Agent.Disconnected.WaitAsync(Bound)).Reason);
        Assert.Equal(0, link.Receiver.LossCount);
        Assert.Equal(0, link.Agent.Stats.LinksLost);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => link.Agent.ConnectAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_loss_after_Detach_is_counted_and_told_to_nobody()
    {
        using var link = await SmtTestLink.StartAsync();
        link.Agent.Detach();

        link.Platform.Dispose();

        await link.Agent.Disconnected.WaitAsync(Bound);
        await Eventually.TrueAsync(() => link.Agent.Stats.LinksLost == 1, "the loss is counted");
        link.Agent.Dispose(); // waits for the receive thread: a late report would have been made
        Assert.Equal(0, link.Receiver.LossCount);
    }

    [Fact]
    public async Task After_the_platform_is_back_on_the_same_paths_the_same_agent_connects_again_and_the_link_works()
    {
        using var link = await SmtTestLink.StartAsync();
        AnswerEverything(link.Platform);
        await RoundTripAsync(link, 1);
        var firstEnd = link.Agent.Disconnected;

        link.Platform.Dispose();
        await Eventually.TrueAsync(() => link.Receiver.LossCount == 1, "the first loss is reported");
        var platform = link.CreatePlatformAgain();
        AnswerEverything(platform);
        await link.ConnectAgainAsync();

        Assert.True(link.Agent.IsConnected);
        Assert.Equal(SmtCloseReason.PeerClosed, (await firstEnd.WaitAsync(Bound)).Reason);
        Assert.False(link.Agent.Disconnected.IsCompleted); // the new connection's end
        Assert.Equal(platform.Area.Path, link.Agent.Area!.Path);
        await RoundTripAsync(link, 2);
        await NotificationArrivesAsync(link, 7);
        await NotificationArrivesAsync(link, 8);
        Assert.Equal((1L, 1L, 2L), (platform.Stats.CommandsReceived, platform.Stats.ResponsesSent, platform.Stats.NotificationsSent));
        var stats = link.Agent.Stats;
        Assert.Equal((2L, 1L, 2L, 2L, 2L), (stats.Connections, stats.LinksLost, stats.CommandsSent, stats.Responses, stats.NotificationsReceived));

        // The new link is lost in turn: reported again, once.
        platform.Dispose();
        await Eventually.TrueAsync(() => link.Receiver.LossCount == 2, "the second loss is reported");
        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Agent.Disconnected.WaitAsync(Bound)).Reason);
        Assert.Equal(2, link.Agent.Stats.LinksLost);
    }

    [Fact]
    public async Task A_connect_attempt_before_the_platform_is_back_fails_clearly_and_a_later_one_succeeds()
    {
        using var link = await SmtTestLink.StartAsync();
        link.Platform.Dispose();
        await Eventually.TrueAsync(() => link.Receiver.LossCount == 1, "the loss is reported");

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var error = await Assert.ThrowsAsync<IOException>(() => link.Agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound));
            Assert.Contains(link.Directory.SocketPath, error.Message);
            Assert.Contains("not found", error.Message);
            Assert.Null(error.InnerException);
            Assert.False(link.Agent.IsConnected);
        }
        Assert.Throws<InvalidOperationException>(() => link.Agent.SendCommand(Command(1), []));

        AnswerEverything(link.CreatePlatformAgain());
        await link.ConnectAgainAsync();

        await RoundTripAsync(link, 3);
        await NotificationArrivesAsync(link, 9);
        Assert.Equal((2L, 1L), (link.Agent.Stats.Connections, link.Agent.Stats.LinksLost));
        Assert.Equal(1, link.Receiver.LossCount); // failed attempts are not losses
    }

    [Fact]
    public async Task Connecting_while_connected_is_refused_and_the_link_stays_up()
    {
        using var link = await SmtTestLink.StartAsync();
        AnswerEverything(link.Platform);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => link.Agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("connected", error.Message);
        Assert.True(link.Agent.IsConnected);
        await RoundTripAsync(link, 4);
        Assert.Equal(1, link.Agent.Stats.Connections);
    }

    [Fact]
    public async Task A_malformed_doorbell_is_reported_as_a_loss_and_the_agent_can_connect_again()
    {
        using var link = await SmtTestLink.StartAsync();

        Assert.True(link.Platform.SendRawDoorbell([0x55, 1]));

        await Eventually.TrueAsync(() => link.Receiver.LossCount == 1, "the protocol error is reported as a loss");
        var (reason, _) = Assert.Single(link.Receiver.Losses);
        Assert.Contains("protocol error", reason);
        Assert.Contains("kind 0x55", reason);
        Assert.Equal((1L, 1L), (link.Agent.Stats.ProtocolErrors, link.Agent.Stats.LinksLost));
        Assert.Equal(SmtCloseReason.PeerClosed, (await link.Platform.AgentGone.WaitAsync(Bound)).Reason);

        link.Platform.Dispose(); // its agent is gone, so it ends; it comes back as a new process would
        AnswerEverything(link.CreatePlatformAgain());
        await link.ConnectAgainAsync();

        await NotificationArrivesAsync(link, 5);
        await RoundTripAsync(link, 5);
        Assert.Equal(1, link.Receiver.LossCount); // the first platform's disposal came after the link was down: no second loss
    }

    [Fact]
    public async Task Nothing_in_flight_or_queued_on_the_lost_link_goes_out_on_the_new_one()
    {
        using var link = await SmtTestLink.StartAsync();
        link.Platform.OnCommand((_, _) => { }); // never answers
        link.Agent.SendCommand(Command(1), []);  // in flight
        link.Agent.SendCommand(Command(2), []);  // queued
        link.Agent.SendCommand(Command(3), []);  // queued
        await Eventually.TrueAsync(() => link.Platform.Stats.CommandsReceived == 1, "the first command reaches the platform");

        link.Platform.Dispose();
        await Eventually.TrueAsync(() => link.Receiver.LossCount == 1, "the loss is reported");
        var platform = link.CreatePlatformAgain();
        var seen = new List<uint>();
        var seenLock = new Lock();
        platform.OnCommand((header, _) =>
        {
            lock (seenLock) seen.Add(header);
            platform.Respond(header, ScmiStatus.Success, Words(ScmiHeader.TokenOf(header)));
        });
        await link.ConnectAgainAsync();

        // The A2P slot is free at once (nothing in flight), and no queued command follows this one.
        await RoundTripAsync(link, 10);
        await RoundTripAsync(link, 11);
        lock (seenLock) Assert.Equal([Command(10), Command(11)], seen);
        Assert.Equal([Command(10), Command(11)], link.Receiver.Messages.Select(m => m.Header));
        Assert.Equal((0L, 0L), (link.Agent.Stats.SlotTimeouts, link.Agent.Stats.UnexpectedResponses));
    }

    [Fact]
    public async Task A_receiver_may_call_back_into_the_agent_from_TransportLost()
    {
        var receiver = new CallingBackReceiver();
        using var link = await SmtTestLink.StartAsync(receiver: receiver);
        receiver.Agent = link.Agent;

        link.Platform.Dispose();

        // Told on the receive thread with no lock of the agent held: the calls return instead of deadlocking.
        var outcome = await receiver.Outcome.Task.WaitAsync(Bound);
        Assert.Equal("not connected; SendCommand: InvalidOperationException; ConnectAsync: IOException", outcome);
        Assert.Equal(1, link.Agent.Stats.LinksLost);

        AnswerEverything(link.CreatePlatformAgain());
        await link.ConnectAgainAsync();
        Assert.True(link.Platform.TrySendNotification(ScmiHeader.Notification(Perf, 0), Words(0, 1)));
        await Eventually.TrueAsync(() => link.Agent.Stats.NotificationsReceived == 1, "the new link delivers");
        Assert.Equal(1, receiver.Calls);
    }

    [Fact]
    public async Task The_end_read_before_the_first_connect_is_the_first_connection_end()
    {
        using var directory = new SmtTempDirectory();
        using var platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath);
        using var agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath));
        var end = agent.Disconnected;
        var accepted = platform.AcceptAsync(CancellationToken.None);
        await agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound);
        await accepted.WaitAsync(Bound);

        Assert.Same(end, agent.Disconnected);
        platform.Dispose();

        Assert.Equal(SmtCloseReason.PeerClosed, (await end.WaitAsync(Bound)).Reason);
    }

    /// <summary>Calls the agent back from TransportLost (state, a command, a reconnection attempt) and records what happened.</summary>
    private sealed class CallingBackReceiver : ScmiActors.Transport.IScmiReceiver
    {
        private int _calls;

        public SmtAgentTransport? Agent { get; set; }
        public TaskCompletionSource<string> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Calls => Volatile.Read(ref _calls);

        public ScmiActors.Transport.IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

        public ScmiActors.Transport.IngestResult Post(uint header, ReadOnlySpan<byte> payload) => ScmiActors.Transport.IngestResult.Queued;

        public void TransportLost(string reason)
        {
            Interlocked.Increment(ref _calls);
            var agent = Agent!;
            var parts = new List<string> { agent.IsConnected ? "connected" : "not connected" };
            parts.Add("SendCommand: " + Try(() => agent.SendCommand(Command(1), [])));
            // The platform is not back yet: the attempt fails at once, on this (the receive) thread.
            parts.Add("ConnectAsync: " + Try(() => agent.ConnectAsync(CancellationToken.None).GetAwaiter().GetResult()));
            Outcome.TrySetResult(string.Join("; ", parts));
        }

        private static string Try(Action call)
        {
            try
            {
                call();
                return "returned";
            }
            catch (Exception e)
            {
                return e.GetType().Name;
            }
        }
    }
}
