using System.Buffers.Binary;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Emulator;

/// <summary>
/// What an emulated platform on an SMT link tried to send and what became of it. Notifications:
/// <c>Tried = Sent + LostAtSlot + TooLargeForSlot</c>, all while an agent was linked; those posted with
/// no agent linked (before it came, after it left) are apart, as <see cref="EmulatorStats.Detached"/>.
/// </summary>
/// <param name="NotificationsSent">Written into the P2A slot and rung.</param>
/// <param name="NotificationsLostAtSlot">Not written because the P2A slot was busy: dropped without retry, as firmware.</param>
/// <param name="NotificationsTooLarge">Longer than a slot's payload (an oversized fault on a large event): not written.</param>
/// <param name="NotificationsWithoutAgent">Posted while no agent was linked: nothing was written.</param>
/// <param name="DelayedResponsesSent">Type-2 messages written into the P2A slot and rung.</param>
/// <param name="DelayedResponsesLostAtSlot">Type-2 messages dropped because the P2A slot was busy.</param>
/// <param name="ResponsesTooLarge">Responses whose return values do not fit the A2P slot: not answered (the agent times out).</param>
/// <param name="Link">The link's own counters (commands received, responses sent, doorbells).</param>
public readonly record struct SmtEmulatorStats(
    long NotificationsSent,
    long NotificationsLostAtSlot,
    long NotificationsTooLarge,
    long NotificationsWithoutAgent,
    long DelayedResponsesSent,
    long DelayedResponsesLostAtSlot,
    long ResponsesTooLarge,
    SmtPlatformStats Link)
{
    /// <summary>Notifications the emulator posted while an agent was linked.</summary>
    public long NotificationsTried => NotificationsSent + NotificationsLostAtSlot + NotificationsTooLarge;
}

/// <summary>
/// An <see cref="EmulatedPlatform"/> on the platform's end of an SMT link (TRANSPORTS.md §1), so that
/// the emulator can run as its own process: commands read from the A2P slot go to
/// <see cref="EmulatedPlatform.HandleCommand"/>; its type-0 responses are written back into the A2P
/// slot, its notifications (type 3) and delayed responses (type 2) into the P2A slot, which, as
/// firmware, takes one only when FREE: otherwise the message is lost and told to the emulator as
/// <see cref="IngestResult.DroppedQueueFull"/> (the slot is a queue of one, and the newest is dropped).
/// </summary>
public sealed class SmtEmulatorHost : IAsyncDisposable
{
    /// <summary>
    /// Most descriptors one paginated answer carries on a 128-byte slot: a sensor or axis descriptor
    /// is 28 bytes, and status plus the count word take 8 of the 100 payload bytes. Firmware sizes its
    /// pages to its mailbox the same way; a larger page could not be written at all.
    /// </summary>
    public static readonly int MaxItemsPerResponse = (SmtLayout.MaxPayload - 8) / 28;

    private readonly SmtPlatformEnd _link;
    private readonly Lock _p2aLock = new(); // one P2A writer at a time, so the last message's kind is the slot's
    private volatile bool _linked;
    private bool _lastP2AWasNotification; // under _p2aLock
    private long? _leftInSlotAtEnd;
    private long _sent, _lost, _tooLarge, _withoutAgent, _delayedSent, _delayedLost, _responsesTooLarge;

    private SmtEmulatorHost(SmtPlatformEnd link, PlatformDescription description, EmulatorScenario scenario)
    {
        _link = link;
        Emulator = new EmulatedPlatform(Send, description, scenario, () => _linked && !_link.AgentGone.IsCompleted);
        _link.OnCommand((header, payload) => Emulator.HandleCommand(header, payload));
    }

    /// <summary>
    /// Creates the area file (FREE everywhere) and listens on the socket; an agent can connect from now
    /// on. The scenario's <see cref="EmulatorScenario.ItemsPerResponse"/> is capped at
    /// <see cref="MaxItemsPerResponse"/>. Throws <see cref="IOException"/> when a path is taken or unusable.
    /// </summary>
    public static SmtEmulatorHost Create(string areaPath, string socketPath, PlatformDescription description,
        EmulatorScenario? scenario = null, SmtPlatformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        scenario ??= EmulatorScenario.Default;
        scenario = scenario with { ItemsPerResponse = Math.Min(scenario.ItemsPerResponse, MaxItemsPerResponse) };
        scenario.Validate(); // before the files exist: a bad scenario leaves nothing behind
        var link = SmtPlatformEnd.Create(areaPath, socketPath, options);
        try
        {
            return new SmtEmulatorHost(link, description, scenario);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    public EmulatedPlatform Emulator { get; }

    public SmtPlatformEnd Link => _link;

    /// <summary>Completes when the agent's link ends: EOF (the agent is gone), a protocol error, or dispose.</summary>
    public Task<SmtLinkClosed> AgentGone => _link.AgentGone;

    /// <summary>True from the agent's arrival until its link ends.</summary>
    public bool IsAgentLinked => _linked && !_link.AgentGone.IsCompleted;

    public SmtEmulatorStats Stats => new(
        Interlocked.Read(ref _sent), Interlocked.Read(ref _lost), Interlocked.Read(ref _tooLarge), Interlocked.Read(ref _withoutAgent),
        Interlocked.Read(ref _delayedSent), Interlocked.Read(ref _delayedLost), Interlocked.Read(ref _responsesTooLarge), _link.Stats);

    /// <summary>
    /// 1 when the last notification written into the P2A slot is still there, unread: the link ended before
    /// the agent took it, so it was sent but no gate can have seen it; else 0. Frozen at dispose. With
    /// <see cref="SmtEmulatorStats.NotificationsSent"/> this reconciles exactly with what the agent's end read.
    /// </summary>
    public long NotificationsLeftInSlot => _leftInSlotAtEnd ?? LeftInSlotNow();

    private long LeftInSlotNow()
    {
        lock (_p2aLock)
        {
            var slot = _link.Options.P2ASlots[0];
            return _lastP2AWasNotification && (_link.Area.ReadStatus(slot) & SmtLayout.StatusFree) == 0 ? 1 : 0;
        }
    }

    /// <summary>Waits for the one agent of this link. The emulator's loop is not started: call <see cref="EmulatedPlatform.Start"/>.</summary>
    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        await _link.AcceptAsync(cancellationToken).ConfigureAwait(false);
        _linked = true;
    }

    // The emulator's EmulatorSend: by message type, as firmware routes them (TRANSPORTS.md §1.3, §1.4).
    private IngestResult Send(uint header, ReadOnlySpan<byte> payload) => ScmiHeader.TypeOf(header) switch
    {
        MessageType.Command => Respond(header, payload),
        MessageType.Notification => WriteP2A(header, payload, delayed: false),
        MessageType.DelayedResponse => WriteP2A(header, payload, delayed: true),
        _ => IngestResult.ReservedMessageType,
    };

    /// <summary>A response: int32 status first, then the return values, into the A2P slot.</summary>
    private IngestResult Respond(uint header, ReadOnlySpan<byte> message)
    {
        if (message.Length < 4) throw new ArgumentException("a response starts with its int32 status", nameof(message));
        var status = StatusOf(message);
        var values = message[4..];
        if (values.Length > SmtLayout.MaxPayload - 4)
        {
            Interlocked.Increment(ref _responsesTooLarge);
            return IngestResult.PayloadTooLarge;
        }
        // Respond echoes the header and the command's flags; false only when no agent is linked.
        return _link.Respond(header, status, values) ? IngestResult.NotANotification : IngestResult.NotRunning;
    }

    private IngestResult WriteP2A(uint header, ReadOnlySpan<byte> payload, bool delayed)
    {
        lock (_p2aLock)
        {
            if (!IsAgentLinked)
            {
                if (!delayed) Interlocked.Increment(ref _withoutAgent);
                return IngestResult.NotRunning;
            }
            if (payload.Length > SmtLayout.MaxPayload || (delayed && payload.Length < 4))
            {
                if (!delayed) Interlocked.Increment(ref _tooLarge);
                return IngestResult.PayloadTooLarge;
            }
            var result = delayed
                ? _link.SendDelayedResponse(header, StatusOf(payload), payload[4..])
                : _link.SendNotification(header, payload);
            switch (result)
            {
                case SmtSendResult.Sent:
                    _lastP2AWasNotification = !delayed;
                    Interlocked.Increment(ref delayed ? ref _delayedSent : ref _sent);
                    return delayed ? IngestResult.NotANotification : IngestResult.Queued;
                case SmtSendResult.LostAtBusySlot:
                    Interlocked.Increment(ref delayed ? ref _delayedLost : ref _lost);
                    return IngestResult.DroppedQueueFull;
                default:
                    // The agent left between the check above and the write.
                    if (!delayed) Interlocked.Increment(ref _withoutAgent);
                    return IngestResult.NotRunning;
            }
        }
    }

    private static ScmiStatus StatusOf(ReadOnlySpan<byte> message) => (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(message);

    /// <summary>Stops the emulator, then ends the link (the agent sees EOF) and removes the area file and the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync().ConfigureAwait(false);
        _leftInSlotAtEnd ??= LeftInSlotNow(); // before the area is unmapped; nothing writes any more
        _link.OnCommand(null);
        _link.Dispose();
    }
}
