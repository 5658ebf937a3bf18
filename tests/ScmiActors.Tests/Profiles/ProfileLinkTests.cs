using System.Buffers.Binary;
using ScmiActors.Emulator;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Tests.Emulation;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Tests.Profiles;

/// <summary>
/// An emulator host with a firmware profile and an <see cref="SmtAgentTransport"/> on a real SMT link
/// in a temporary directory, all in this process; the agent records what it posts. Everything is
/// removed on dispose.
/// </summary>
internal sealed class ProfiledSmtLink : IAsyncDisposable
{
    private ushort _token;

    private ProfiledSmtLink(SmtTempDirectory directory, SmtEmulatorHost host, SmtAgentTransport agent, RecordingReceiver receiver)
    {
        Directory = directory;
        Host = host;
        Agent = agent;
        Receiver = receiver;
    }

    public SmtTempDirectory Directory { get; }
    public SmtEmulatorHost Host { get; }
    public SmtAgentTransport Agent { get; }
    public RecordingReceiver Receiver { get; }

    public static async Task<ProfiledSmtLink> StartAsync(FirmwareProfile profile, PlatformDescription? description = null)
    {
        var directory = new SmtTempDirectory();
        SmtEmulatorHost? host = null;
        SmtAgentTransport? agent = null;
        try
        {
            host = SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, description ?? EmulatorPlatforms.Emu(), EmulatorPlatforms.Quiet,
                profile: profile);
            agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath) { SlotTimeout = SmtTestLink.Bound });
            using var cts = new CancellationTokenSource(SmtTestLink.Bound);
            var accepted = host.AcceptAsync(cts.Token);
            await agent.ConnectAsync(cts.Token).WaitAsync(SmtTestLink.Bound);
            await accepted.WaitAsync(SmtTestLink.Bound);
            var receiver = new RecordingReceiver();
            agent.Attach(receiver);
            return new ProfiledSmtLink(directory, host, agent, receiver);
        }
        catch
        {
            agent?.Dispose();
            if (host is not null) await host.DisposeAsync();
            directory.Dispose();
            throw;
        }
    }

    public IReadOnlyList<SentMessage> Messages => Receiver.Messages.Select(m => new SentMessage(m.Header, m.Payload)).ToList();

    public IReadOnlyList<SentMessage> Notifications => Messages.Where(m => m.IsNotification).ToList();

    /// <summary>Writes a command into the A2P slot; its reply arrives later through the receiver.</summary>
    public uint Send(byte protocol, byte messageId, params uint[] words)
    {
        var header = ScmiHeader.Command(protocol, messageId, ++_token);
        Agent.SendCommand(header, RawPlatform.Words(words));
        return header;
    }

    /// <summary>Sends a command and waits for its reply.</summary>
    public async Task<CommandAnswer> CommandAsync(byte protocol, byte messageId, params uint[] words)
    {
        var header = Send(protocol, messageId, words);
        await Eventually.TrueAsync(() => Messages.Any(m => m.Raw == header), $"the reply to {ScmiHeader.Parse(header)}");
        return RawPlatform.ToAnswer(Messages.Single(m => m.Raw == header));
    }

    public async ValueTask DisposeAsync()
    {
        Agent.Dispose();
        await Host.DisposeAsync();
        Directory.Dispose();
    }
}

/// <summary>Holds the agent's receive thread inside its next post (after it freed the slot and rang, if asked) until released.</summary>
internal sealed class AgentHold : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private volatile bool _armed;

    public AgentHold(RecordingReceiver receiver) => receiver.BeforeRecord = () =>
    {
        if (!_armed) return;
        _armed = false;
        Entered = true;
        _release.Wait(SmtTestLink.Bound); // bounded: a failing test never hangs the receive thread for good
    };

    public volatile bool Entered;

    public void Arm() => _armed = true;

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
    }
}

/// <summary>
/// What the profiles' link mechanics do on a real SMT link: i.MX's completion doorbell gating and its
/// 24-word queue (losses counted at the platform, token counter without gaps), SCP's loss of the
/// second of two notifications raised together, and its notification before the reply.
/// </summary>
public sealed class ProfileLinkTests
{
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    [Fact]
    public async Task Imx_writes_the_next_notification_only_after_the_agents_completion_doorbell_and_drops_the_newest_beyond_24_words()
    {
        await using var link = await ProfiledSmtLink.StartAsync(FirmwareProfile.ImxSm);
        using var hold = new AgentHold(link.Receiver);
        Assert.Equal(ScmiStatus.Success, (await link.CommandAsync(ImxBbm.ProtocolId, ImxBbm.Commands.ButtonNotify, 1)).Status);
        var emulator = link.Host.Emulator;

        hold.Arm();
        Assert.Equal(IngestResult.Queued, emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0));
        // The agent copied it, freed the slot and rang {0xA0, 1}; it is held in its post. The platform took the doorbell.
        await Eventually.TrueAsync(() => hold.Entered && link.Host.QueueState == P2ASlotState.Idle, "the first completion doorbell");
        Assert.Equal(SmtLayout.FlagIntrEnabled, link.Host.Link.Options.NotificationFlags);

        Assert.Equal(IngestResult.Queued, emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0)); // into the slot; nobody reads it yet
        for (var i = 0; i < 12; i++) Assert.Equal(IngestResult.Queued, emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0)); // 12 × 2 words
        Assert.Equal(IngestResult.DroppedQueueFull, emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0));                       // the newest

        var held = link.Host.Stats;
        Assert.Equal((2L, 12L, 1L, 0L, 15L), (held.NotificationsSent, held.NotificationsInQueue, held.NotificationsLostInQueue,
            held.NotificationsLostAtSlot, held.NotificationsTried));
        Assert.Equal(P2ASlotState.Busy, link.Host.QueueState); // the second waits for its doorbell: no polling of FREE

        hold.Release();
        await Eventually.TrueAsync(() => link.Notifications.Count == 14, "the queue drains one doorbell at a time");
        await Eventually.TrueAsync(() => link.Host.QueueState == P2ASlotState.Idle, "the last completion doorbell");
        var after = link.Host.Stats;
        Assert.Equal((14L, 0L, 1L, 15L), (after.NotificationsSent, after.NotificationsInQueue, after.NotificationsLostInQueue, after.NotificationsTried));
        // flags 1 on every message, and the agent rang for each one: 14 doorbells, none unexpected, nothing lost at the slot.
        Assert.Equal((14L, 0L, 0L), (after.Link.CompletionDoorbells, after.Link.UnexpectedCompletionDoorbells, after.Link.LostAtSlot));
        Assert.Equal(14, link.Agent.Stats.NotificationsReceived);

        // The per-channel counter: one token per message written, so the drop left no gap (quirk 1), and the decoder takes them.
        Assert.Equal(Enumerable.Range(0, 14).Select(t => (ushort)t), link.Notifications.Select(m => m.Header.Token));
        var decoder = new PlatformDecoder(link.Host.Emulator.Description, ProtocolCatalogs.Default);
        Assert.All(link.Notifications, m => Assert.True(decoder.Decode(m.Raw, m.Payload, 0).Report is not null, $"{m} decodes"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_plain_emulator_waits_a_bounded_time_for_a_busy_slot_before_it_drops(bool patient)
    {
        // Patient: the wait outlasts the agent's pause, so nothing is lost. Not: the default 200 µs passes while the agent is parked.
        var profile = patient ? FirmwareProfile.None with { BusySlotPatience = SmtTestLink.Bound } : FirmwareProfile.None;
        await using var link = await ProfiledSmtLink.StartAsync(profile);
        using var hold = new AgentHold(link.Receiver);
        Assert.Equal(ScmiStatus.Success, (await link.CommandAsync(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, 0, 1)).Status);

        hold.Arm(); // the agent frees the slot of the first, then parks in its post
        Assert.Equal(IngestResult.Queued, link.Host.Emulator.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0));
        await Eventually.TrueAsync(() => hold.Entered, "the agent holds the first notification");
        Assert.Equal(IngestResult.Queued, link.Host.Emulator.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0)); // into the free slot
        var third = Task.Run(() => link.Host.Emulator.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0)); // finds it busy
        if (patient) await Eventually.TrueAsync(() => !third.IsCompleted, "the third waits for the slot");
        else Assert.Equal(IngestResult.DroppedQueueFull, await third.WaitAsync(SmtTestLink.Bound));
        hold.Release();

        if (patient) Assert.Equal(IngestResult.Queued, await third.WaitAsync(SmtTestLink.Bound));
        var expected = patient ? (3L, 0L) : (2L, 1L);
        await Eventually.TrueAsync(() => link.Agent.Stats.NotificationsReceived == expected.Item1, "what was written is read");
        var stats = link.Host.Stats;
        Assert.Equal(expected, (stats.NotificationsSent, stats.NotificationsLostAtSlot));
        Assert.Equal(stats.NotificationsTried, stats.NotificationsSent + stats.NotificationsLostAtSlot);
    }

    [Fact]
    public async Task Scp_loses_the_second_of_two_notifications_raised_together_when_the_slot_was_not_freed_in_between()
    {
        await using var link = await ProfiledSmtLink.StartAsync(FirmwareProfile.Scp);
        using var hold = new AgentHold(link.Receiver);
        Assert.Equal(ScmiStatus.Success, (await link.CommandAsync(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, 0, 1)).Status);
        Assert.Equal(ScmiStatus.Success, (await link.CommandAsync(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLimits, 0, 1)).Status);
        var level = (await link.CommandAsync(ScmiProtocolId.Perf, ScmiCommands.Perf.LevelGet, 1)).Word(0);
        var pinned = level == 100u ? 200u : 100u; // limits that move the level: one LIMITS_SET raises LIMITS_CHANGED and LEVEL_CHANGED

        // Park the agent's receive thread in a post (the slot is FREE: SCP asks for no completion doorbell).
        hold.Arm();
        Assert.Equal(IngestResult.Queued, link.Host.Emulator.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 2));
        await Eventually.TrueAsync(() => hold.Entered, "the agent holds the first notification");

        var limitsSet = link.Send(ScmiProtocolId.Perf, ScmiCommands.Perf.LimitsSet, 1, pinned, pinned);
        await Eventually.TrueAsync(() => link.Host.Stats.Link.ResponsesSent == 4, "the platform answered LIMITS_SET");
        var stats = link.Host.Stats;
        Assert.Equal((2L, 1L), (stats.NotificationsSent, stats.NotificationsLostAtSlot)); // LIMITS_CHANGED written, LEVEL_CHANGED lost
        Assert.Equal(stats.NotificationsTried, stats.NotificationsSent + stats.NotificationsLostAtSlot);

        hold.Release();
        await Eventually.TrueAsync(() => link.Messages.Any(m => m.Raw == limitsSet), "the LIMITS_SET reply");
        var tail = link.Messages.SkipWhile(m => !m.IsNotification).ToList();
        // The P2A doorbell came before the reply while the command was outstanding, and the transport took both (Q4).
        Assert.Equal([ScmiEvents.Perf.LevelChanged, ScmiEvents.Perf.LimitsChanged], tail.Where(m => m.IsNotification).Select(m => m.Event));
        Assert.Equal(limitsSet, tail[^1].Raw);
        var limits = tail[1];
        Assert.Equal((0u, 1u, pinned, pinned), (limits.Word(0), limits.Word(1), limits.Word(2), limits.Word(3)));
        Assert.All(tail.Where(m => m.IsNotification), m => Assert.Equal(0, m.Header.Token));
        Assert.Equal(0, link.Host.Link.Stats.CompletionDoorbells); // flags 0: the agent never rings {0xA0, 1}
        Assert.Equal(2L, link.Agent.Stats.NotificationsReceived);
    }

    [Fact]
    public async Task Without_a_profile_the_host_is_todays_emulator()
    {
        await using var link = await ProfiledSmtLink.StartAsync(FirmwareProfile.None);
        Assert.Null(link.Host.Layer);
        Assert.Null(link.Host.QueueState);
        Assert.Equal(ScmiStatus.NotFound, (await link.CommandAsync(ScmiProtocolId.Perf, ProfileLayer.PerfLevelSet, 1, 700)).Status);
        Assert.Equal(ScmiStatus.Success, (await link.CommandAsync(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, 0, 1)).Status);
        Assert.False(link.Host.Emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 1)); // no fan-out
    }

    [Fact]
    public void A_profile_refuses_the_slow_responses_fault_before_creating_any_file()
    {
        using var directory = new SmtTempDirectory();
        var scenario = EmulatorPlatforms.Quiet with { Faults = EmulatorFault.SlowResponses };
        var e = Assert.Throws<ArgumentException>(() =>
            SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, EmulatorPlatforms.Emu(), scenario, profile: FirmwareProfile.Scp));
        Assert.Contains("scp", e.Message);
        Assert.False(File.Exists(directory.AreaPath));
    }
}
