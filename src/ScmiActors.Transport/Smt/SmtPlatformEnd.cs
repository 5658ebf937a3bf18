using System.Buffers.Binary;
using System.Net.Sockets;
using ScmiActors.Wire;

namespace ScmiActors.Transport.Smt;

/// <summary>How a platform offers an SMT link.</summary>
public sealed record SmtPlatformOptions
{
    /// <summary>Slots in the area (file size = slots × 128).</summary>
    public int Slots { get; init; } = SmtLayout.DefaultSlots;

    /// <summary>The A2P slot: commands in, responses out.</summary>
    public int A2PSlot { get; init; } = SmtLayout.DefaultA2PSlot;

    /// <summary>The P2A slots: notifications and delayed responses; the first is the default.</summary>
    public IReadOnlyList<int> P2ASlots { get; init; } = [SmtLayout.DefaultP2ASlot];

    /// <summary>
    /// Flags word of P2A messages. 0 is SCP-firmware's (no completion doorbell wanted); 1
    /// (<see cref="SmtLayout.FlagIntrEnabled"/>) is the i.MX System Manager's, which writes its next
    /// message into a slot only after the agent's {0xA0, slot}.
    /// </summary>
    public uint NotificationFlags { get; init; }

    /// <summary>
    /// Serve agents one after the other on the same area and socket: when the agent's link ends, the
    /// platform resets the area (FREE in every slot, nothing in flight), tells <see cref="SmtPlatformEnd.OnAgentLeft"/>
    /// (an emulator forgets that agent's enables) and links the next agent that connects. False (the
    /// default): one agent for the platform's life. Either way a second agent while one is linked is refused.
    /// </summary>
    public bool AgentsInTurn { get; init; }

    /// <summary>
    /// With <see cref="AgentsInTurn"/>: how long a connection that arrives while an agent is linked waits
    /// for that agent's link to end before it is refused. It covers a hand-over whose new agent connects
    /// before the platform has read the old one's EOF; keep it well under the agent's
    /// <see cref="SmtAgentOptions.RefusalWait"/>, or a refused agent believes itself accepted.
    /// </summary>
    public TimeSpan HandoverGrace { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>What the platform's end of an SMT link has done and seen.</summary>
/// <param name="NotificationsSent">Notifications written into a P2A slot and rung.</param>
/// <param name="LostAtSlot">Notifications and delayed responses not written because the P2A slot was busy (as real firmware, no retry).</param>
/// <param name="CommandsReceived">Commands read from the A2P slot and handed to the command handler.</param>
/// <param name="ResponsesSent">Responses written into the A2P slot and rung.</param>
/// <param name="DelayedResponsesSent">Delayed responses written into a P2A slot and rung.</param>
/// <param name="CompletionDoorbells">{0xA0, p2a} from the agent.</param>
/// <param name="UnexpectedCompletionDoorbells">{0xA0, p2a} for a message without INTR_ENABLED, or while the slot was not FREE (SCP would misread it).</param>
/// <param name="EmptyCommandDoorbells">{0xA0, a2p} on a FREE slot: no command there, no reply (as firmware).</param>
/// <param name="ProtocolErrors">Doorbell packets that were not valid (the first drops the link).</param>
/// <param name="AgentsLinked">Agents accepted as the link's agent (at most 1 unless <see cref="SmtPlatformOptions.AgentsInTurn"/>).</param>
/// <param name="AgentsRefused">Connections closed at once because an agent was linked (or, without agents in turn, had been).</param>
public readonly record struct SmtPlatformStats(
    long NotificationsSent,
    long LostAtSlot,
    long CommandsReceived,
    long ResponsesSent,
    long DelayedResponsesSent,
    long CompletionDoorbells,
    long UnexpectedCompletionDoorbells,
    long EmptyCommandDoorbells,
    long ProtocolErrors,
    long AgentsLinked = 0,
    long AgentsRefused = 0);

/// <summary>An agent's link ended on a platform that takes agents in turn; the area is FREE again everywhere.</summary>
/// <param name="Closed">Why the link ended.</param>
/// <param name="Agent">Which agent it was: 1 for the first linked, 2 for the next, ...</param>
/// <param name="UnreadP2ASlots">P2A slots that still held a message the agent never took (written, rung, then reset to FREE).</param>
public sealed record SmtAgentLeft(SmtLinkClosed Closed, long Agent, IReadOnlyList<int> UnreadP2ASlots);

/// <summary>What became of a platform-to-agent message: written and rung, dropped at a busy P2A slot (counted), or no agent linked.</summary>
public enum SmtSendResult { Sent, LostAtBusySlot, NoAgent }

/// <summary>
/// The platform's end of the SMT link (TRANSPORTS.md §1.2–1.4), as firmware behaves: it creates the
/// area and the socket (both mode 0600) with FREE everywhere and listens for one agent; it reads commands from the A2P slot on
/// {0xA0, a2p} and answers into the same slot (header and flags echoed, then FREE, then {0xD0, a2p});
/// it writes a notification only into a FREE P2A slot and otherwise drops it without retry, counted.
/// Each write checks the slot afresh and nothing is held back, so of two notifications raised together
/// (SCP §1.6: one reading crossing two trip points, a fan-out, a limits change that moves the level)
/// the second survives only if the agent freed the slot between the two writes. With INTR_ENABLED
/// flags a slot stays taken until the agent's completion doorbell; a firmware that queues behind the
/// slot (i.MX) does so above this class (the emulator host's profile queue).
/// <para>One agent per link: the platform keeps listening while its agent is linked and closes any
/// other connection at once, before any doorbell (counted in <see cref="SmtPlatformStats.AgentsRefused"/>);
/// the agent's <see cref="SmtAgentTransport.ConnectAsync"/> sees that end of file and throws
/// <see cref="SmtAgentRefusedException"/>. The doorbell format is unchanged: a refusal carries no packet.
/// With <see cref="SmtPlatformOptions.AgentsInTurn"/> the next agent is linked once the last one's link
/// ended and the area was reset.</para>
/// Used by tests and by the emulator running as its own process. It removes its area file and socket
/// on dispose.
/// </summary>
public sealed class SmtPlatformEnd : IDisposable
{
    private readonly SmtPlatformOptions _options;
    private readonly string _socketPath;
    private readonly SmtArea _area;
    private readonly Socket _listener;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private TaskCompletionSource<SmtLinkClosed> _agentGone = NewGone(); // under _lock: the current agent's end, or the next agent's
    private TaskCompletionSource _agentLinked = NewSignal();             // under _lock: completes when the next agent is linked
    private TaskCompletionSource _vacated = NewSignal();                 // under _lock: completes when the current agent's link ended and was reset
    private bool _agentActive;  // under _lock: an agent is linked, or its link ended and the reset is not done
    private Thread? _acceptThread; // under _lock
    private int _acceptCalls;      // under _lock
    private volatile Action<SmtAgentLeft>? _agentLeftHandler;
    private readonly bool[] _awaitingCompletion = new bool[SmtLayout.MaxSlots]; // under _lock
    private readonly uint[] _lastP2AFlags = new uint[SmtLayout.MaxSlots];       // under _lock
    private readonly byte[] _commandBuffer = new byte[SmtLayout.MaxPayload];   // receive thread only
    private volatile Action<uint, byte[]>? _commandHandler;
    private volatile Action<int>? _completionHandler;
    private SmtDoorbell? _doorbell;
    private uint _commandFlags; // under _lock
    private bool _disposed;     // under _lock

    private long _sent, _lost, _commands, _responses, _delayedResponses, _completions, _unexpectedCompletions, _emptyCommandDoorbells,
        _protocolErrors, _agentsLinked, _agentsRefused;

    private SmtPlatformEnd(SmtPlatformOptions options, string socketPath, SmtArea area, Socket listener)
    {
        _options = options;
        _socketPath = socketPath;
        _area = area;
        _listener = listener;
    }

    /// <summary>Creates the area (FREE in every slot), then listens: an agent that can connect finds the area.</summary>
    public static SmtPlatformEnd Create(string areaPath, string socketPath, SmtPlatformOptions? options = null)
    {
        options ??= new SmtPlatformOptions();
        var slots = options.P2ASlots.Append(options.A2PSlot).ToList();
        if (options.P2ASlots.Count == 0) throw new ArgumentException("a platform needs at least one P2A slot", nameof(options));
        if (slots.Any(s => s < 0 || s >= options.Slots))
            throw new ArgumentException($"every slot must be below the area's {options.Slots}", nameof(options));
        if (slots.Distinct().Count() != slots.Count)
            throw new ArgumentException("a slot has one role: the A2P slot and the P2A slots must all differ", nameof(options));

        var area = SmtArea.Create(areaPath, options.Slots);
        try
        {
            return new SmtPlatformEnd(options, socketPath, area, SmtDoorbell.Listen(socketPath));
        }
        catch
        {
            area.Dispose();
            File.Delete(areaPath);
            throw;
        }
    }

    public SmtPlatformOptions Options => _options;

    /// <summary>The area this platform created.</summary>
    public SmtArea Area => _area;

    /// <summary>
    /// Completes when the agent's link ends: EOF (the agent is gone), a protocol error, or <see cref="Dispose"/>.
    /// With agents in turn each agent has its own: read it again once the next agent is linked.
    /// </summary>
    public Task<SmtLinkClosed> AgentGone
    {
        get { lock (_lock) return _agentGone.Task; }
    }

    /// <summary>True from an agent's link until its link ended.</summary>
    public bool IsAgentLinked
    {
        get { lock (_lock) return _doorbell is { Closed.IsCompleted: false }; }
    }

    public SmtPlatformStats Stats => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _lost),
        Interlocked.Read(ref _commands),
        Interlocked.Read(ref _responses),
        Interlocked.Read(ref _delayedResponses),
        Interlocked.Read(ref _completions),
        Interlocked.Read(ref _unexpectedCompletions),
        Interlocked.Read(ref _emptyCommandDoorbells),
        Interlocked.Read(ref _protocolErrors),
        Interlocked.Read(ref _agentsLinked),
        Interlocked.Read(ref _agentsRefused));

    /// <summary>
    /// Starts accepting (once; it goes on until <see cref="Dispose"/>) and waits until an agent is linked.
    /// Without agents in turn it may be called once; with them, again for each next agent (at once while
    /// one is linked). Cancelling stops the wait, not the accepting.
    /// </summary>
    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        Task linked;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_options.AgentsInTurn && _acceptCalls > 0) throw new InvalidOperationException("an SMT platform end accepts one agent");
            _acceptCalls++;
            if (_acceptThread is null)
            {
                // A dedicated thread: it lives as long as the platform and blocks in poll/accept.
                _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = $"smt-accept {Path.GetFileName(_socketPath)}" };
                _acceptThread.Start();
            }
            linked = _doorbell is { Closed.IsCompleted: false } ? Task.CompletedTask : _agentLinked.Task;
        }
        await linked.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// With agents in turn: called when an agent's link ended, on its receive thread, after the area was
    /// reset and before the next agent can be linked (so the handler's own reset, e.g. forgetting that
    /// agent's enables, never reaches the next one). Must not block for long.
    /// </summary>
    public void OnAgentLeft(Action<SmtAgentLeft>? handler) => _agentLeftHandler = handler;

    private void AcceptLoop()
    {
        var stop = _stopAccepting.Token;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Poll first so that Dispose is noticed; an accept after a successful poll does not block.
                if (!_listener.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) continue;
                var socket = _listener.Accept();
                if (!TryLink(socket)) Refuse(socket);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The listener was disposed (Dispose) or failed: no further agent is linked or refused.
        }
    }

    /// <summary>Links the connection as the agent if the link has none (waiting the hand-over grace for one that is leaving); false to refuse it.</summary>
    private bool TryLink(Socket socket)
    {
        Task vacated;
        lock (_lock)
        {
            if (_disposed) return false;
            if (!_agentActive && (_options.AgentsInTurn || Interlocked.Read(ref _agentsLinked) == 0))
            {
                LinkLocked(socket);
                return true;
            }
            if (!_options.AgentsInTurn) return false;
            vacated = _vacated.Task;
        }
        // The current agent may be on its way out (its EOF not read yet): give it a moment.
        if (!vacated.Wait(_options.HandoverGrace)) return false;
        lock (_lock)
        {
            if (_disposed || _agentActive) return false;
            LinkLocked(socket);
            return true;
        }
    }

    private void LinkLocked(Socket socket)
    {
        var doorbell = new SmtDoorbell(socket, SmtLayout.DoorbellToPlatform, _options.P2ASlots.Append(_options.A2PSlot));
        if (_agentGone.Task.IsCompleted) _agentGone = NewGone(); // the last agent's end stays with it
        var agent = Interlocked.Increment(ref _agentsLinked);
        var handler = new DoorbellHandler(this, doorbell, agent, _agentGone, _vacated = NewSignal());
        _doorbell = doorbell;
        _agentActive = true;
        // Started under the lock: a command of the new agent then finds _doorbell set. Nothing the
        // receive thread does at first takes this lock before its first packet.
        doorbell.Start($"smt-platform {Path.GetFileName(_socketPath)}", handler);
        var linked = _agentLinked;
        _agentLinked = NewSignal();
        linked.TrySetResult();
    }

    /// <summary>Closes a connection at once, before any doorbell: the agent's connect reads that end of file as a refusal.</summary>
    private void Refuse(Socket socket)
    {
        lock (_lock)
            if (!_disposed) Interlocked.Increment(ref _agentsRefused); // counted before the agent can see it
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The agent already went.
        }
        socket.Dispose();
    }

    /// <summary>
    /// Last on an agent's receive thread. With agents in turn (and not disposed): the area back to FREE
    /// everywhere with nothing in flight, the handler told, then the next agent may be linked.
    /// </summary>
    private void OnAgentStopped(DoorbellHandler agent)
    {
        SmtAgentLeft? left = null;
        lock (_lock)
        {
            if (!_disposed && _options.AgentsInTurn && _doorbell == agent.Doorbell)
            {
                var unread = _options.P2ASlots.Where(p => (_area.ReadStatus(p) & SmtLayout.StatusFree) == 0).ToList();
                for (var slot = 0; slot < _area.SlotCount; slot++)
                {
                    _area.SlotBytes(slot).Clear();
                    _area.WriteStatus(slot, SmtLayout.StatusFree);
                }
                Array.Clear(_awaitingCompletion);
                Array.Clear(_lastP2AFlags);
                _commandFlags = 0;
                left = new SmtAgentLeft(agent.Doorbell.Closed.Result, agent.Number, unread);
            }
        }
        try
        {
            if (left is not null) _agentLeftHandler?.Invoke(left);
        }
        finally
        {
            agent.Doorbell.Dispose(); // its socket; no join on its own thread
            lock (_lock)
            {
                if (_doorbell == agent.Doorbell) _agentActive = false;
            }
            agent.Vacated.TrySetResult();
        }
    }

    /// <summary>
    /// Receives each agent command (header, payload) on the doorbell's receive thread. Answer with
    /// <see cref="Respond"/>, at once or later; a handler must not block.
    /// </summary>
    public void OnCommand(Action<uint, byte[]>? handler) => _commandHandler = handler;

    /// <summary>Called on the receive thread with the P2A slot whose completion doorbell {0xA0, slot} arrived.</summary>
    public void OnCompletion(Action<int>? handler) => _completionHandler = handler;

    /// <summary>
    /// Answers the command in the A2P slot: the header echoed (token included), the command's flags,
    /// status then <paramref name="returnValues"/>; then FREE, then {0xD0, a2p}. False when no agent is linked.
    /// </summary>
    public bool Respond(uint commandHeader, ScmiStatus status, ReadOnlySpan<byte> returnValues = default)
    {
        Span<byte> payload = stackalloc byte[SmtLayout.MaxPayload];
        var length = StatusAndValues(payload, status, returnValues);
        lock (_lock)
        {
            if (_disposed || _doorbell is null || _doorbell.Closed.IsCompleted) return false;
            var slot = _options.A2PSlot;
            _area.WriteMessage(slot, commandHeader, payload[..length], _commandFlags);
            _area.WriteStatus(slot, SmtLayout.StatusFree);
            // Counted before the doorbell: once it rings the agent may post the response, and a reader of
            // both sides' counters must never see more received than sent.
            Interlocked.Increment(ref _responses);
            // Always rung: this agent sets INTR_ENABLED on its commands.
            if (_doorbell.Ring(SmtLayout.DoorbellToAgent, slot)) return true;
            Interlocked.Decrement(ref _responses);
            return false;
        }
    }

    /// <summary>
    /// Sends the delayed response (type 2) of an asynchronous command through a P2A slot; like a
    /// notification, it is dropped and counted as lost when the slot is busy (false).
    /// </summary>
    public bool RespondDelayed(uint commandHeader, ScmiStatus status, ReadOnlySpan<byte> returnValues = default, int? p2aSlot = null) =>
        SendDelayedResponse(commandHeader, status, returnValues, p2aSlot) == SmtSendResult.Sent;

    /// <summary>As <see cref="RespondDelayed"/>, saying whether a failure was the busy slot (counted lost) or no agent.</summary>
    public SmtSendResult SendDelayedResponse(uint commandHeader, ScmiStatus status, ReadOnlySpan<byte> returnValues = default, int? p2aSlot = null)
    {
        Span<byte> payload = stackalloc byte[SmtLayout.MaxPayload];
        var length = StatusAndValues(payload, status, returnValues);
        var header = (commandHeader & ~0x300u) | ((uint)MessageType.DelayedResponse << 8);
        return WriteP2A(header, payload[..length], p2aSlot, ref _delayedResponses);
    }

    /// <summary>
    /// Writes a notification into the P2A slot if it is FREE (and, with flags 1, its last message's
    /// completion doorbell arrived), then busy, then {0xD0, slot}. Otherwise false and counted as
    /// lost at the slot: real firmware does not retry.
    /// </summary>
    public bool TrySendNotification(uint header, ReadOnlySpan<byte> payload, int? p2aSlot = null) =>
        SendNotification(header, payload, p2aSlot) == SmtSendResult.Sent;

    /// <summary>As <see cref="TrySendNotification"/>, saying whether a failure was the busy slot (counted lost) or no agent.</summary>
    public SmtSendResult SendNotification(uint header, ReadOnlySpan<byte> payload, int? p2aSlot = null) =>
        WriteP2A(header, payload, p2aSlot, ref _sent);

    /// <summary>True while the P2A slot's last message wanted a completion doorbell that has not arrived.</summary>
    public bool IsAwaitingCompletion(int? p2aSlot = null)
    {
        lock (_lock) return _awaitingCompletion[P2ASlot(p2aSlot)];
    }

    /// <summary>Rings {0xD0, slot} without writing anything: for tests of the agent.</summary>
    public bool RingAgent(int slot) => _doorbell?.Ring(SmtLayout.DoorbellToAgent, slot) ?? false;

    /// <summary>Sends any bytes as one doorbell packet: for tests of the agent's protocol checks.</summary>
    public bool SendRawDoorbell(ReadOnlySpan<byte> packet) => _doorbell?.SendRaw(packet) ?? false;

    /// <summary>Writes and rings; <paramref name="sent"/> is counted before the doorbell (the agent may post at once) and taken back if it cannot ring.</summary>
    private SmtSendResult WriteP2A(uint header, ReadOnlySpan<byte> payload, int? p2aSlot, ref long sent)
    {
        if (payload.Length > SmtLayout.MaxPayload)
            throw new ArgumentException($"payload of {payload.Length} bytes exceeds a slot's {SmtLayout.MaxPayload}", nameof(payload));
        var slot = P2ASlot(p2aSlot);
        lock (_lock)
        {
            // No agent (yet, or any more): nothing is written, so the slot is not left busy for nobody.
            if (_disposed || _doorbell is null || _doorbell.Closed.IsCompleted) return SmtSendResult.NoAgent;
            // Acquire load: if FREE, the agent's copy out of the last message is complete.
            if ((_area.ReadStatus(slot) & SmtLayout.StatusFree) == 0 || _awaitingCompletion[slot])
            {
                Interlocked.Increment(ref _lost);
                return SmtSendResult.LostAtBusySlot;
            }
            var flags = _options.NotificationFlags;
            _area.WriteMessage(slot, header, payload, flags);
            _lastP2AFlags[slot] = flags;
            _awaitingCompletion[slot] = (flags & SmtLayout.FlagIntrEnabled) != 0;
            _area.WriteStatus(slot, 0); // release store: publishes the message
            Interlocked.Increment(ref sent);
            if (_doorbell.Ring(SmtLayout.DoorbellToAgent, slot)) return SmtSendResult.Sent;
            Interlocked.Decrement(ref sent);
            return SmtSendResult.NoAgent; // the agent left between the check and the ring
        }
    }

    private int P2ASlot(int? p2aSlot)
    {
        var slot = p2aSlot ?? _options.P2ASlots[0];
        if (!_options.P2ASlots.Contains(slot))
            throw new ArgumentOutOfRangeException(nameof(p2aSlot), slot, "not a P2A slot of this link");
        return slot;
    }

    private static int StatusAndValues(Span<byte> payload, ScmiStatus status, ReadOnlySpan<byte> returnValues)
    {
        if (returnValues.Length > SmtLayout.MaxPayload - 4)
            throw new ArgumentException($"return values of {returnValues.Length} bytes exceed a slot's {SmtLayout.MaxPayload - 4}", nameof(returnValues));
        BinaryPrimitives.WriteInt32LittleEndian(payload, (int)status);
        returnValues.CopyTo(payload[4..]);
        return 4 + returnValues.Length;
    }

    // Receive thread: {0xA0, k}.
    private void OnDoorbell(int slot)
    {
        if (slot == _options.A2PSlot) OnCommandDoorbell(slot);
        else OnCompletionDoorbell(slot);
    }

    private void OnCommandDoorbell(int slot)
    {
        uint header;
        int length;
        lock (_lock)
        {
            if (_disposed) return;
            if ((_area.ReadStatus(slot) & SmtLayout.StatusFree) != 0)
            {
                // Rung on a FREE slot: the agent forgot to mark its command; firmware gives no answer.
                Interlocked.Increment(ref _emptyCommandDoorbells);
                return;
            }
            length = _area.ReadMessage(slot, _commandBuffer, out header, out _commandFlags);
        }
        Interlocked.Increment(ref _commands);
        _commandHandler?.Invoke(header, _commandBuffer.AsSpan(0, length).ToArray());
    }

    private void OnCompletionDoorbell(int slot)
    {
        Interlocked.Increment(ref _completions);
        lock (_lock)
        {
            if (_disposed) return;
            var wanted = (_lastP2AFlags[slot] & SmtLayout.FlagIntrEnabled) != 0;
            if (!wanted || (_area.ReadStatus(slot) & SmtLayout.StatusFree) == 0)
                Interlocked.Increment(ref _unexpectedCompletions);
            _awaitingCompletion[slot] = false;
        }
        _completionHandler?.Invoke(slot);
    }

    /// <summary>Ends the link (the agent sees EOF), stops listening, unmaps and removes the area file and the socket.</summary>
    public void Dispose()
    {
        SmtDoorbell? doorbell;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            doorbell = _doorbell;
        }
        _stopAccepting.Cancel();
        doorbell?.Dispose();
        _listener.Dispose();
        TaskCompletionSource<SmtLinkClosed> gone;
        TaskCompletionSource linked;
        lock (_lock)
        {
            gone = _agentGone;
            linked = _agentLinked;
        }
        gone.TrySetResult(new SmtLinkClosed(SmtCloseReason.Disposed, "the platform was disposed"));
        if (linked.TrySetException(new ObjectDisposedException(nameof(SmtPlatformEnd)))) _ = linked.Task.Exception; // observed: nobody may wait
        lock (_lock) _area.Dispose();
        TryDelete(_area.Path);
        TryDelete(_socketPath);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a file that cannot be removed is left for the next platform to report.
        }
    }

    private static TaskCompletionSource<SmtLinkClosed> NewGone() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One agent's link: its doorbell, its number and its end.</summary>
    private sealed class DoorbellHandler(SmtPlatformEnd owner, SmtDoorbell doorbell, long number,
        TaskCompletionSource<SmtLinkClosed> gone, TaskCompletionSource vacated) : ISmtDoorbellHandler
    {
        public SmtDoorbell Doorbell { get; } = doorbell;
        public long Number { get; } = number;
        public TaskCompletionSource Vacated { get; } = vacated;

        public void OnDoorbell(int slot) => owner.OnDoorbell(slot);

        public void OnClosed(SmtLinkClosed closed)
        {
            // Counted before the end is told: whoever awaited it reads the count.
            if (closed.Reason == SmtCloseReason.ProtocolError) Interlocked.Increment(ref owner._protocolErrors);
            gone.TrySetResult(closed);
        }

        public void OnReceiveStopped() => owner.OnAgentStopped(this);
    }
}
