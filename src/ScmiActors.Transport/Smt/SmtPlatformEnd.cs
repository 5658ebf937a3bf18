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
public readonly record struct SmtPlatformStats(
    long NotificationsSent,
    long LostAtSlot,
    long CommandsReceived,
    long ResponsesSent,
    long DelayedResponsesSent,
    long CompletionDoorbells,
    long UnexpectedCompletionDoorbells,
    long EmptyCommandDoorbells,
    long ProtocolErrors);

/// <summary>What became of a platform-to-agent message: written and rung, dropped at a busy P2A slot (counted), or no agent linked.</summary>
public enum SmtSendResult { Sent, LostAtBusySlot, NoAgent }

/// <summary>
/// The platform's end of the SMT link (TRANSPORTS.md §1.2–1.4), as firmware behaves: it creates the
/// area with FREE everywhere and listens for one agent; it reads commands from the A2P slot on
/// {0xA0, a2p} and answers into the same slot (header and flags echoed, then FREE, then {0xD0, a2p});
/// it writes a notification only into a FREE P2A slot and otherwise drops it without retry, counted.
/// Each write checks the slot afresh and nothing is held back, so of two notifications raised together
/// (SCP §1.6: one reading crossing two trip points, a fan-out, a limits change that moves the level)
/// the second survives only if the agent freed the slot between the two writes. With INTR_ENABLED
/// flags a slot stays taken until the agent's completion doorbell; a firmware that queues behind the
/// slot (i.MX) does so above this class (the emulator host's profile queue).
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
    private readonly TaskCompletionSource<SmtLinkClosed> _agentGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool[] _awaitingCompletion = new bool[SmtLayout.MaxSlots]; // under _lock
    private readonly uint[] _lastP2AFlags = new uint[SmtLayout.MaxSlots];       // under _lock
    private readonly byte[] _commandBuffer = new byte[SmtLayout.MaxPayload];   // receive thread only
    private volatile Action<uint, byte[]>? _commandHandler;
    private volatile Action<int>? _completionHandler;
    private SmtDoorbell? _doorbell;
    private uint _commandFlags; // under _lock
    private int _acceptStarted;
    private bool _disposed;     // under _lock

    private long _sent, _lost, _commands, _responses, _delayedResponses, _completions, _unexpectedCompletions, _emptyCommandDoorbells;

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

    /// <summary>Completes once when the agent's link ends: EOF (the agent is gone), a protocol error, or <see cref="Dispose"/>.</summary>
    public Task<SmtLinkClosed> AgentGone => _agentGone.Task;

    public SmtPlatformStats Stats => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _lost),
        Interlocked.Read(ref _commands),
        Interlocked.Read(ref _responses),
        Interlocked.Read(ref _delayedResponses),
        Interlocked.Read(ref _completions),
        Interlocked.Read(ref _unexpectedCompletions),
        Interlocked.Read(ref _emptyCommandDoorbells),
        _doorbell?.ProtocolErrors ?? 0);

    /// <summary>Waits for the one agent of this link, then stops listening (a second agent is refused).</summary>
    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _acceptStarted, 1) != 0)
            throw new InvalidOperationException("an SMT platform end accepts one agent");
        var socket = await SmtDoorbell.AcceptAsync(_listener, cancellationToken).ConfigureAwait(false);
        var doorbell = new SmtDoorbell(socket, SmtLayout.DoorbellToPlatform, _options.P2ASlots.Append(_options.A2PSlot));
        lock (_lock)
        {
            if (_disposed)
            {
                doorbell.Dispose();
                throw new ObjectDisposedException(nameof(SmtPlatformEnd));
            }
            _doorbell = doorbell;
        }
        _listener.Dispose();
        doorbell.Start($"smt-platform {Path.GetFileName(_socketPath)}", new DoorbellHandler(this));
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
        doorbell?.Dispose();
        _listener.Dispose();
        _agentGone.TrySetResult(new SmtLinkClosed(SmtCloseReason.Disposed, "the platform was disposed"));
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

    private sealed class DoorbellHandler(SmtPlatformEnd owner) : ISmtDoorbellHandler
    {
        public void OnDoorbell(int slot) => owner.OnDoorbell(slot);

        public void OnClosed(SmtLinkClosed closed) => owner._agentGone.TrySetResult(closed);
    }
}
