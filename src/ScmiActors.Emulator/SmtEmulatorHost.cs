using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Emulator;

/// <summary>
/// What an emulated platform on an SMT link tried to send and what became of it. Notifications:
/// <c>Tried = Sent + LostAtSlot + TooLargeForSlot + LostInQueue + InQueue</c>, all while an agent was
/// linked; those posted with no agent linked (before it came, after it left) are apart, as
/// <see cref="EmulatorStats.Detached"/>. The last two are 0 unless a firmware profile puts a queue
/// behind the P2A slot (i.MX). With a profile, copies and notifications the profile made are counted
/// here too: these are what the link carried, not what the emulator posted.
/// </summary>
/// <param name="NotificationsSent">Written into the P2A slot and rung.</param>
/// <param name="NotificationsLostAtSlot">Not written because the P2A slot was busy: dropped without retry, as firmware.</param>
/// <param name="NotificationsTooLarge">Longer than a slot's payload (an oversized fault on a large event): not written.</param>
/// <param name="NotificationsWithoutAgent">Posted while no agent was linked: nothing was written.</param>
/// <param name="DelayedResponsesSent">Type-2 messages written into the P2A slot and rung.</param>
/// <param name="DelayedResponsesLostAtSlot">Type-2 messages dropped because the P2A slot was busy.</param>
/// <param name="ResponsesTooLarge">Responses whose return values do not fit the A2P slot: not answered (the agent times out).</param>
/// <param name="Link">The link's own counters (commands received, responses sent, doorbells).</param>
/// <param name="NotificationsLostInQueue">Dropped because they did not fit in the platform's P2A queue (i.MX: 24 words, newest dropped).</param>
/// <param name="NotificationsInQueue">In the platform's P2A queue, waiting for a completion doorbell; frozen at dispose (never written).</param>
public readonly record struct SmtEmulatorStats(
    long NotificationsSent,
    long NotificationsLostAtSlot,
    long NotificationsTooLarge,
    long NotificationsWithoutAgent,
    long DelayedResponsesSent,
    long DelayedResponsesLostAtSlot,
    long ResponsesTooLarge,
    SmtPlatformStats Link,
    long NotificationsLostInQueue = 0,
    long NotificationsInQueue = 0)
{
    /// <summary>Notifications offered to the link while an agent was linked.</summary>
    public long NotificationsTried =>
        NotificationsSent + NotificationsLostAtSlot + NotificationsTooLarge + NotificationsLostInQueue + NotificationsInQueue;
}

/// <summary>
/// An <see cref="EmulatedPlatform"/> on the platform's end of an SMT link (TRANSPORTS.md §1), so that
/// the emulator can run as its own process: commands read from the A2P slot go to
/// <see cref="EmulatedPlatform.HandleCommand"/>; its type-0 responses are written back into the A2P
/// slot, its notifications (type 3) and delayed responses (type 2) into the P2A slot, which, as
/// firmware, takes one only when FREE: otherwise the message is lost and told to the emulator as
/// <see cref="IngestResult.DroppedQueueFull"/> (the slot is a queue of one, and the newest is dropped).
/// <para>A <see cref="FirmwareProfile"/> other than <see cref="FirmwareProfile.None"/> puts a
/// <see cref="ProfileLayer"/> between the emulator and the link (commands in, messages out), stamps
/// notification tokens as that firmware does when it writes the slot, and, for a firmware with a P2A
/// queue (i.MX), keeps a <see cref="P2AQueue"/> that writes the next message only on the agent's
/// completion doorbell and drops the newest when full (<see cref="SmtEmulatorStats.NotificationsLostInQueue"/>).</para>
/// <para>With <see cref="SmtPlatformOptions.AgentsInTurn"/> the host outlives its agents: when one goes, the
/// link resets the area, the emulator forgets that agent's enables (so does the profile layer), the
/// profile queue is emptied (its notifications counted as lost in the queue) and a notification the
/// agent left unread in the slot is counted in <see cref="NotificationsLeftInSlot"/>; meanwhile
/// notifications count as posted without an agent, and the next agent enables what it wants.</para>
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
    private readonly NotificationTokens _tokens;  // under _p2aLock
    private readonly P2AQueue? _queue;            // under _p2aLock
    private bool _lastP2AWasNotification; // under _p2aLock
    private long? _leftInSlotAtEnd, _inQueueAtEnd;
    private long _leftInSlotByGoneAgents; // under _p2aLock
    private long _sent, _lost, _tooLarge, _withoutAgent, _delayedSent, _delayedLost, _responsesTooLarge, _lostInQueue;

    private SmtEmulatorHost(SmtPlatformEnd link, PlatformDescription description, EmulatorScenario scenario, FirmwareProfile profile)
    {
        _link = link;
        Profile = profile;
        _tokens = new NotificationTokens(profile.Tokens);
        if (profile.P2AQueueWords > 0)
        {
            _queue = new P2AQueue(profile.P2AQueueWords);
            _link.OnCompletion(OnCompletion);
        }
        if (link.Options.AgentsInTurn) _link.OnAgentLeft(OnAgentLeft);
        if (profile.IsNone)
        {
            // Today's emulator, untouched: no layer in between.
            Emulator = new EmulatedPlatform(Send, description, scenario, () => _link.IsAgentLinked);
            _link.OnCommand((header, payload) => Emulator.HandleCommand(header, payload));
            return;
        }
        var layer = new ProfileLayer(profile, description, scenario.AgentId, Send);
        Emulator = new EmulatedPlatform(layer.FromPlatform, description, scenario, () => _link.IsAgentLinked);
        layer.Bind(Emulator.HandleCommand);
        Layer = layer;
        _link.OnCommand((header, payload) => layer.OnCommand(header, payload));
    }

    /// <summary>
    /// Creates the area file (FREE everywhere) and listens on the socket; an agent can connect from now
    /// on. The scenario's <see cref="EmulatorScenario.ItemsPerResponse"/> is capped at
    /// <see cref="MaxItemsPerResponse"/>. Throws <see cref="IOException"/> when a path is taken or unusable.
    /// <paramref name="profile"/> (default <see cref="FirmwareProfile.None"/>) makes it behave as that
    /// firmware; it sets the P2A flags of <paramref name="options"/>. A profile answers in its firmware's
    /// order, so it cannot be combined with the scenario's slow-responses fault (<see cref="ArgumentException"/>).
    /// </summary>
    public static SmtEmulatorHost Create(string areaPath, string socketPath, PlatformDescription description,
        EmulatorScenario? scenario = null, SmtPlatformOptions? options = null, FirmwareProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        profile ??= FirmwareProfile.None;
        scenario ??= EmulatorScenario.Default;
        scenario = scenario with { ItemsPerResponse = Math.Min(scenario.ItemsPerResponse, MaxItemsPerResponse) };
        scenario.Validate(); // before the files exist: a bad scenario leaves nothing behind
        if (!profile.IsNone && scenario.Faults.HasFlag(EmulatorFault.SlowResponses))
            throw new ArgumentException($"firmware profile {profile.Name}: the slow-responses fault would reorder replies and notifications", nameof(profile));
        var link = SmtPlatformEnd.Create(areaPath, socketPath, profile.LinkOptions(options));
        try
        {
            return new SmtEmulatorHost(link, description, scenario, profile);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    public EmulatedPlatform Emulator { get; }

    /// <summary>The firmware this host behaves as.</summary>
    public FirmwareProfile Profile { get; }

    /// <summary>The layer between the emulator and the link; null for <see cref="FirmwareProfile.None"/>.</summary>
    public ProfileLayer? Layer { get; }

    public SmtPlatformEnd Link => _link;

    /// <summary>Completes when the agent's link ends: EOF (the agent is gone), a protocol error, or dispose. With agents in turn, the current agent's.</summary>
    public Task<SmtLinkClosed> AgentGone => _link.AgentGone;

    /// <summary>True from the agent's arrival until its link ends.</summary>
    public bool IsAgentLinked => _link.IsAgentLinked;

    public SmtEmulatorStats Stats
    {
        get
        {
            // Under the P2A lock: a message moves from the queue to sent in one step, so the sum never counts it twice or not at all.
            lock (_p2aLock)
                return new SmtEmulatorStats(
                    _sent, _lost, _tooLarge, Interlocked.Read(ref _withoutAgent), _delayedSent, _delayedLost, Interlocked.Read(ref _responsesTooLarge),
                    _link.Stats, _lostInQueue, _inQueueAtEnd ?? InQueueNow());
        }
    }

    /// <summary>Where the P2A slot is in the profile's queue cycle (i.MX); null when the firmware has no queue.</summary>
    public P2ASlotState? QueueState
    {
        get
        {
            lock (_p2aLock) return _queue?.State;
        }
    }

    private long InQueueNow() => _queue?.CountWhere(h => ScmiHeader.TypeOf(h) == MessageType.Notification) ?? 0;

    /// <summary>
    /// 1 when the last notification written into the P2A slot is still there, unread: the link ended before
    /// the agent took it, so it was sent but no gate can have seen it; else 0. With agents in turn, plus
    /// one for each gone agent that left one there. Frozen at dispose. With
    /// <see cref="SmtEmulatorStats.NotificationsSent"/> this reconciles exactly with what the agent's end read.
    /// </summary>
    public long NotificationsLeftInSlot => _leftInSlotAtEnd ?? LeftInSlotNow();

    private long LeftInSlotNow()
    {
        lock (_p2aLock)
        {
            var slot = _link.Options.P2ASlots[0];
            return _leftInSlotByGoneAgents + (_lastP2AWasNotification && (_link.Area.ReadStatus(slot) & SmtLayout.StatusFree) == 0 ? 1 : 0);
        }
    }

    /// <summary>
    /// Waits for the agent of this link (with agents in turn: for the next one, at once while one is linked).
    /// The emulator's loop is not started: call <see cref="EmulatedPlatform.Start"/>.
    /// </summary>
    public Task AcceptAsync(CancellationToken cancellationToken) => _link.AcceptAsync(cancellationToken);

    /// <summary>
    /// Agents in turn: the link reset the area after an agent went (its receive thread, no link lock held).
    /// What that agent left unread and what waited for it in the queue is counted, then its enables go.
    /// </summary>
    private void OnAgentLeft(SmtAgentLeft left)
    {
        lock (_p2aLock)
        {
            if (_lastP2AWasNotification && left.UnreadP2ASlots.Contains(_link.Options.P2ASlots[0])) _leftInSlotByGoneAgents++;
            _lastP2AWasNotification = false;
            if (_queue is { } queue && _inQueueAtEnd is null)
                foreach (var header in queue.Clear())
                    if (ScmiHeader.TypeOf(header) == MessageType.Notification) _lostInQueue++;
                    else _delayedLost++;
        }
        Emulator.ForgetEnables();
        Layer?.ForgetSubscriptions();
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
            var accepted = delayed ? IngestResult.NotANotification : IngestResult.Queued;
            if (_queue is { } queue)
            {
                switch (queue.Offer(header, payload))
                {
                    case P2AOffer.Queued:
                        return accepted; // written on a later completion doorbell, or counted in the queue at the end
                    case P2AOffer.Dropped:
                        if (delayed) _delayedLost++;
                        else _lostInQueue++;
                        return IngestResult.DroppedQueueFull;
                }
            }
            if (_queue is null && Profile.BusySlotPatience > TimeSpan.Zero) AwaitFreeSlot(Profile.BusySlotPatience);
            var result = Write(header, payload);
            if (_queue is { } written)
            {
                if (result == SmtSendResult.Sent) written.Written();
                else written.WriteFailed();
            }
            switch (result)
            {
                case SmtSendResult.Sent:
                    return accepted;
                case SmtSendResult.LostAtBusySlot:
                    return IngestResult.DroppedQueueFull;
                default:
                    // The agent left between the check above and the write.
                    if (!delayed) Interlocked.Increment(ref _withoutAgent);
                    return IngestResult.NotRunning;
            }
        }
    }

    /// <summary>Writes one P2A message into the slot (notification tokens stamped as the firmware does) and counts what became of it, except no agent.</summary>
    private SmtSendResult Write(uint header, ReadOnlySpan<byte> payload)
    {
        var delayed = ScmiHeader.TypeOf(header) == MessageType.DelayedResponse;
        var slot = _link.Options.P2ASlots[0];
        var result = delayed
            ? _link.SendDelayedResponse(header, StatusOf(payload), payload[4..])
            : _link.SendNotification(_tokens.Stamp(header, slot), payload);
        switch (result)
        {
            case SmtSendResult.Sent:
                if (!delayed) _tokens.Taken(slot);
                _lastP2AWasNotification = !delayed;
                if (delayed) _delayedSent++;
                else _sent++;
                break;
            case SmtSendResult.LostAtBusySlot:
                if (delayed) _delayedLost++;
                else _lost++;
                break;
        }
        return result;
    }

    /// <summary>Spins (no sleep: the agent frees within microseconds) until the P2A slot is FREE, the bound passes or the agent leaves.</summary>
    private void AwaitFreeSlot(TimeSpan bound)
    {
        var slot = _link.Options.P2ASlots[0];
        var deadline = Stopwatch.GetTimestamp() + (long)(bound.TotalSeconds * Stopwatch.Frequency);
        var spin = new SpinWait();
        while ((_link.Area.ReadStatus(slot) & SmtLayout.StatusFree) == 0 && IsAgentLinked && Stopwatch.GetTimestamp() < deadline)
            spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>The agent's {0xA0, p2a} (its receive thread): the queue's next message goes into the slot.</summary>
    private void OnCompletion(int slot)
    {
        lock (_p2aLock)
        {
            if (_queue is not { } queue || _inQueueAtEnd is not null || !queue.Completed()) return;
            while (queue.TryTakeNext(out var header, out var payload))
            {
                switch (Write(header, payload))
                {
                    case SmtSendResult.Sent:
                        queue.Written();
                        return;
                    case SmtSendResult.LostAtBusySlot:
                        queue.WriteFailed(); // the agent rang without freeing: that one is lost, try the next
                        continue;
                    default:
                        queue.PutBack(header, payload); // no agent any more: it stays queued, counted in the queue
                        return;
                }
            }
        }
    }

    private static ScmiStatus StatusOf(ReadOnlySpan<byte> message) => (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(message);

    /// <summary>Stops the emulator, then ends the link (the agent sees EOF) and removes the area file and the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync().ConfigureAwait(false);
        _leftInSlotAtEnd ??= LeftInSlotNow(); // before the area is unmapped; nothing writes any more
        lock (_p2aLock) _inQueueAtEnd ??= InQueueNow();  // and a late completion doorbell writes nothing more
        _link.OnCommand(null);
        _link.Dispose();
    }
}
