using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Emulator.Replay;
using ScmiActors.Tests.Transports;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Replay;

/// <summary>The replay platform on a real SMT link with a bare agent transport: answers, NOT_SUPPORTED, ordering, stalls and recorded speed.</summary>
public sealed class ReplayHostTests
{
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    // A perf NOTIFY_LEVEL enable for domain 0 (token 2 recorded), one notification inside it (before its
    // response) and one after it; then a LEVEL_SET our tests never send, and a notification behind it.
    private static readonly string[] Recording =
    [
        "100 a2p 0x00084c0a 0000000001000000",
        "110 p2a 0x00004f01 010000000000000001000000",
        "120 p2a 0x00084c0a 00000000",
        "200120 p2a 0x00004f01 010000000000000002000000",
    ];

    private static uint NotifyLevel(ushort token) => ScmiHeader.Command(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, token);

    private static async Task<ReplayLink> StartAsync(string[] lines, ReplayOptions? options = null)
    {
        var link = new ReplayLink(ReplayScript.Build(ReplayRecording.Parse(lines, "test")), options);
        await link.Agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound);
        await link.Accepted.WaitAsync(Bound);
        return link;
    }

    private static uint LevelOf((uint Header, byte[] Payload) m) => BinaryPrimitives.ReadUInt32LittleEndian(m.Payload.AsSpan(8));

    [Fact]
    public async Task A_matching_command_gets_the_recorded_answer_with_its_own_token_after_what_was_recorded_before_it()
    {
        await using var link = await StartAsync(Recording);
        var receiver = new RecordingReceiver();
        link.Agent.Attach(receiver);
        link.Agent.SendCommand(NotifyLevel(9), [0, 0, 0, 0, 1, 0, 0, 0]);
        await Eventually.TrueAsync(() => receiver.Count == 3, "notification, response, notification");
        var m = receiver.Messages;
        Assert.Equal(1u, LevelOf(m[0]));                       // recorded before the response
        Assert.Equal(NotifyLevel(9), m[1].Header);             // the agent's token echoed
        Assert.Equal(new byte[4], m[1].Payload[..4]);          // SUCCESS
        Assert.Equal(2u, LevelOf(m[2]));
        await link.Host.Finished.WaitAsync(Bound);
        Assert.Equal((1L, 1L, 0L, 2L), (link.Host.Stats.CommandsReceived, link.Host.Stats.CommandsAnswered, link.Host.Stats.CommandsUnmatched, link.Host.Stats.NotificationsSent));
    }

    [Fact]
    public async Task A_command_with_no_recorded_match_gets_NOT_SUPPORTED_and_is_counted()
    {
        await using var link = await StartAsync(Recording);
        var receiver = new RecordingReceiver();
        link.Agent.Attach(receiver);
        link.Agent.SendCommand(NotifyLevel(5), [1, 0, 0, 0, 1, 0, 0, 0]); // domain 1: not recorded
        await Eventually.TrueAsync(() => receiver.Count == 1, "the answer");
        Assert.Equal(ScmiStatus.NotSupported, (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(receiver.Messages[0].Payload));
        Assert.Equal((1L, 0L), (link.Host.Stats.CommandsUnmatched, link.Host.Stats.NotificationsSent));
    }

    [Fact]
    public async Task A_subscription_never_sent_is_given_up_after_the_stall_timeout()
    {
        await using var link = await StartAsync(Recording, new ReplayOptions { StallTimeout = TimeSpan.FromMilliseconds(100) });
        var receiver = new RecordingReceiver();
        link.Agent.Attach(receiver);
        await link.Host.Finished.WaitAsync(Bound);
        // Finished says the platform rang; the agent's receive thread posts a moment later.
        await Eventually.TrueAsync(() => receiver.Count == 2, "both notifications posted");
        Assert.Equal([1u, 2u], receiver.Messages.Select(LevelOf));
        Assert.Equal(0L, link.Host.Stats.NotificationsLost);
        Assert.Equal((1L, 0L), (link.Host.Stats.AnchorsGivenUp, link.Host.Stats.CommandsReceived));
    }

    [Fact]
    public async Task At_recorded_speed_a_notification_keeps_its_recorded_distance_after_the_answer()
    {
        await using var link = await StartAsync(Recording, new ReplayOptions { Speed = ReplaySpeed.Recorded });
        var receiver = new RecordingReceiver();
        link.Agent.Attach(receiver);
        var sent = Stopwatch.StartNew();
        link.Agent.SendCommand(NotifyLevel(1), [0, 0, 0, 0, 1, 0, 0, 0]);
        await Eventually.TrueAsync(() => receiver.Count == 3, "all three");
        // Recorded 200 ms after the response (120 µs -> 200120 µs); never earlier, whatever the machine's load.
        Assert.True(sent.Elapsed >= TimeSpan.FromMilliseconds(200), $"after {sent.Elapsed}");
    }
}
