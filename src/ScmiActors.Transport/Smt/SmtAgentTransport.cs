using System.Diagnostics;
using ScmiActors.Wire;

namespace ScmiActors.Transport.Smt;

/// <summary>
/// How an agent joins an SMT link. Roles of slots are given, not derived from their index
/// (a platform may offer several P2A channels).
/// </summary>
/// <param name="AreaPath">The area file the platform created (e.g. /dev/shm/NAME.smt).</param>
/// <param name="SocketPath">The platform's doorbell socket.</param>
public sealed record SmtAgentOptions(string AreaPath, string SocketPath)
{
    /// <summary>The slot of the A2P channel: commands out, responses back.</summary>
    public int A2PSlot { get; init; } = SmtLayout.DefaultA2PSlot;

    /// <summary>The slots of the P2A channels: notifications and delayed responses.</summary>
    public IReadOnlyList<int> P2ASlots { get; init; } = [SmtLayout.DefaultP2ASlot];

    /// <summary>
    /// How long a command may hold the A2P slot before the agent reclaims it for the next one
    /// (Linux's max_rx_timeout_ms is 30 ms for mailboxes). The link has its own, longer, command timeout.
    /// </summary>
    public TimeSpan SlotTimeout { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Commands that may wait for the A2P slot; one more is refused with <see cref="InvalidOperationException"/>.</summary>
    public int CommandQueueCapacity { get; init; } = 16;
}

/// <summary>What the agent's end of an SMT link has seen, counted since it connected.</summary>
/// <param name="NotificationsReceived">P2A messages other than delayed responses, copied out and posted.</param>
/// <param name="DelayedResponses">Type-2 messages on a P2A slot, posted (the gate hands them to the link).</param>
/// <param name="CompletionDoorbells">{0xA0, p2a} rung after freeing a message that had INTR_ENABLED.</param>
/// <param name="CommandsSent">Commands written into the A2P slot and rung.</param>
/// <param name="Responses">Responses read from the A2P slot and posted.</param>
/// <param name="SlotTimeouts">Commands whose slot was reclaimed after <see cref="SmtAgentOptions.SlotTimeout"/>.</param>
/// <param name="UnexpectedResponses">{0xD0, a2p} with no command in flight or the slot not FREE: counted, not posted.</param>
/// <param name="ProtocolErrors">Doorbell packets that were not valid (the first drops the link).</param>
/// <param name="CommandsRefused">SendCommand calls refused because the command queue was full.</param>
/// <param name="SpuriousDoorbells">{0xD0, p2a} on a slot that was already FREE: nothing to read.</param>
/// <param name="ResponsesBeforeDoorbell">Responses found in a FREE A2P slot when the slot timeout expired (the receive thread
/// was late, e.g. a GC pause): taken and posted then, and included in <see cref="Responses"/>; their doorbell is absorbed when it comes.</param>
public readonly record struct SmtAgentStats(
    long NotificationsReceived,
    long DelayedResponses,
    long CompletionDoorbells,
    long CommandsSent,
    long Responses,
    long SlotTimeouts,
    long UnexpectedResponses,
    long ProtocolErrors,
    long CommandsRefused,
    long SpuriousDoorbells,
    long ResponsesBeforeDoorbell);

/// <summary>
/// The agent's end of the SMT link between two processes (TRANSPORTS.md §1). The doorbell's receive
/// thread is the ISR: for a P2A slot it copies the message out into a buffer allocated once, frees the
/// slot with a release store, rings {0xA0, k} only if the message asked for it (SCP sends flags 0 and
/// would misread the doorbell; i.MX sends 1 and stalls without it), then posts to the receiver; it
/// never allocates, waits for an actor or throws. One command is in flight on the A2P slot; further
/// <see cref="SendCommand"/> calls queue (bounded) so that the calling actor never blocks, and the next
/// goes out when the response came or the slot timeout reclaimed the slot.
/// </summary>
public sealed class SmtAgentTransport : IScmiTransport, IDisposable
{
    private readonly SmtAgentOptions _options;
    private readonly long _slotTimeoutTicks;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<SmtLinkClosed> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _rx = new byte[SmtLayout.MaxPayload];      // receive thread only
    private readonly byte[] _timerRx = new byte[SmtLayout.MaxPayload]; // under _lock

    // The A2P channel, under _lock: the command in flight and a ring of those waiting.
    private readonly uint[] _queuedHeaders;
    private readonly int[] _queuedLengths;
    private readonly byte[] _queuedPayloads;
    private int _queueHead;
    private int _queueCount;
    private bool _inFlight;
    private long _inFlightDeadline;
    private int _owedDoorbells; // {0xD0, a2p} still to come for responses the slot timer already took

    private volatile IScmiReceiver? _receiver;
    private SmtArea? _area;
    private SmtDoorbell? _doorbell;
    private Timer? _slotTimer;
    private int _connectStarted;
    private SmtLinkClosed? _closed; // under _lock
    private bool _disposed;         // under _lock

    private long _notifications, _delayedResponses, _completionDoorbells, _commandsSent, _responses,
        _slotTimeouts, _unexpectedResponses, _commandsRefused, _spuriousDoorbells, _responsesBeforeDoorbell;

    public SmtAgentTransport(SmtAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CommandQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SlotTimeout, TimeSpan.Zero);
        var slots = options.P2ASlots.Append(options.A2PSlot).ToList();
        if (slots.Any(s => s is < 0 or >= SmtLayout.MaxSlots))
            throw new ArgumentException($"slots must be 0..{SmtLayout.MaxSlots - 1}", nameof(options));
        if (slots.Distinct().Count() != slots.Count)
            throw new ArgumentException("a slot has one role: the A2P slot and the P2A slots must all differ", nameof(options));
        _options = options;
        _slotTimeoutTicks = (long)(options.SlotTimeout.TotalSeconds * Stopwatch.Frequency);
        _queuedHeaders = new uint[options.CommandQueueCapacity];
        _queuedLengths = new int[options.CommandQueueCapacity];
        _queuedPayloads = new byte[options.CommandQueueCapacity * SmtLayout.MaxPayload];
    }

    public SmtAgentOptions Options => _options;

    public bool HasCommandPath => true;

    /// <summary>Completes once when the link ends: EOF from the platform, a protocol error, a socket fault, or <see cref="Dispose"/>.</summary>
    public Task<SmtLinkClosed> Disconnected => _disconnected.Task;

    /// <summary>The mapped area once connected (diagnostics and tests).</summary>
    public SmtArea? Area => _area;

    public SmtAgentStats Stats => new(
        Interlocked.Read(ref _notifications),
        Interlocked.Read(ref _delayedResponses),
        Interlocked.Read(ref _completionDoorbells),
        Interlocked.Read(ref _commandsSent),
        Interlocked.Read(ref _responses),
        Interlocked.Read(ref _slotTimeouts),
        Interlocked.Read(ref _unexpectedResponses),
        _doorbell?.ProtocolErrors ?? 0,
        Interlocked.Read(ref _commandsRefused),
        Interlocked.Read(ref _spuriousDoorbells),
        Interlocked.Read(ref _responsesBeforeDoorbell));

    /// <summary>
    /// Connects to the platform's socket, then maps its area (the platform created the area before it
    /// listened). A missing socket or file fails with an <see cref="IOException"/> that says which.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _connectStarted, 1) != 0)
            throw new InvalidOperationException("an SMT agent transport connects once");

        var socket = await SmtDoorbell.ConnectAsync(_options.SocketPath, cancellationToken).ConfigureAwait(false);
        SmtArea? area = null;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            area = SmtArea.Open(_options.AreaPath);
            var highest = Math.Max(_options.A2PSlot, _options.P2ASlots.DefaultIfEmpty(0).Max());
            if (highest >= area.SlotCount)
                throw new InvalidOperationException($"SMT area {_options.AreaPath} has {area.SlotCount} slots; the options use slot {highest}");

            var doorbell = new SmtDoorbell(socket, SmtLayout.DoorbellToAgent, _options.P2ASlots.Append(_options.A2PSlot));
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _area = area;
                _doorbell = doorbell;
                _slotTimer = new Timer(static state => ((SmtAgentTransport)state!).OnSlotTimer(), this, Timeout.Infinite, Timeout.Infinite);
            }
            doorbell.Start($"smt-agent {Path.GetFileName(_options.SocketPath)}", new DoorbellHandler(this));
        }
        catch
        {
            if (_area is null)
            {
                area?.Dispose();
                socket.Dispose();
            }
            throw;
        }
    }

    public void Attach(IScmiReceiver receiver) => _receiver = receiver;

    public void Detach() => _receiver = null;

    /// <summary>
    /// Writes the command into the A2P slot and rings, or queues it behind the one in flight; never
    /// waits. Throws <see cref="InvalidOperationException"/> when the link is down or the queue is full,
    /// <see cref="ArgumentException"/> for a payload longer than a slot holds.
    /// </summary>
    public void SendCommand(uint header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > SmtLayout.MaxPayload)
            throw new ArgumentException($"a command payload of {payload.Length} bytes exceeds a slot's {SmtLayout.MaxPayload}", nameof(payload));
        lock (_lock)
        {
            if (_closed is { } closed) throw new InvalidOperationException($"the SMT link is down: {closed.Detail}");
            if (_area is null) throw new InvalidOperationException("the SMT link is not connected");
            if (!_inFlight && _queueCount == 0)
            {
                if (!WriteCommandLocked(header, payload))
                    throw new InvalidOperationException($"the SMT link is down: {_closed?.Detail ?? "doorbell send failed"}");
                return;
            }
            if (_queueCount == _queuedHeaders.Length)
            {
                Interlocked.Increment(ref _commandsRefused);
                throw new InvalidOperationException(
                    $"the SMT command queue is full: {_queueCount} commands already wait for the A2P slot");
            }
            var index = (_queueHead + _queueCount) % _queuedHeaders.Length;
            _queuedHeaders[index] = header;
            _queuedLengths[index] = payload.Length;
            payload.CopyTo(_queuedPayloads.AsSpan(index * SmtLayout.MaxPayload, SmtLayout.MaxPayload));
            _queueCount++;
        }
    }

    /// <summary>Publishes one command (payload, length, header, flags, then status busy) and rings; false if the doorbell is down.</summary>
    private bool WriteCommandLocked(uint header, ReadOnlySpan<byte> payload)
    {
        var area = _area!;
        var slot = _options.A2PSlot;
        // INTR_ENABLED: this agent does not poll, it waits for {0xD0, a2p}.
        area.WriteMessage(slot, header, payload, SmtLayout.FlagIntrEnabled);
        area.WriteStatus(slot, 0);
        _inFlight = true;
        _inFlightDeadline = Stopwatch.GetTimestamp() + _slotTimeoutTicks;
        _slotTimer!.Change(_options.SlotTimeout, Timeout.InfiniteTimeSpan);
        Interlocked.Increment(ref _commandsSent);
        return _doorbell!.Ring(SmtLayout.DoorbellToPlatform, slot);
    }

    /// <summary>The A2P slot is ours again: the next queued command goes out.</summary>
    private void WriteNextLocked()
    {
        if (_queueCount == 0 || _closed is not null) return;
        var index = _queueHead;
        _queueHead = (_queueHead + 1) % _queuedHeaders.Length;
        _queueCount--;
        // A failed ring ends the link; OnClosed clears the queue and the link's own timeout answers the caller.
        WriteCommandLocked(_queuedHeaders[index], _queuedPayloads.AsSpan(index * SmtLayout.MaxPayload, _queuedLengths[index]));
    }

    private void OnSlotTimer()
    {
        lock (_lock)
        {
            if (_closed is not null || !_inFlight) return;
            var remaining = _inFlightDeadline - Stopwatch.GetTimestamp();
            if (remaining > 0)
            {
                // A timer that fired early, or late for a command already answered: wait for this command's own deadline.
                _slotTimer!.Change(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
                return;
            }
            if ((_area!.ReadStatus(_options.A2PSlot) & SmtLayout.StatusFree) != 0)
            {
                // Answered, but the doorbell is not processed yet (the receive thread was held up past
                // the slot timeout): the response is in the slot, so take it rather than lose it.
                var length = _area.ReadMessage(_options.A2PSlot, _timerRx, out var header, out _);
                _inFlight = false;
                _owedDoorbells++;
                Interlocked.Increment(ref _responses);
                Interlocked.Increment(ref _responsesBeforeDoorbell);
                WriteNextLocked();
                // Posted under the lock because _timerRx is shared by timer callbacks; the receiver never blocks.
                _receiver?.Post(header, _timerRx.AsSpan(0, length));
                return;
            }
            // Reclaim the slot: the platform never answered. A late response then reads as the next
            // command's (the token tells the link), or finds nothing in flight and is counted.
            Interlocked.Increment(ref _slotTimeouts);
            _inFlight = false;
            _area.WriteStatus(_options.A2PSlot, SmtLayout.StatusFree);
            WriteNextLocked();
        }
    }

    // Receive thread: {0xD0, k}.
    private void OnDoorbell(int slot)
    {
        if (slot == _options.A2PSlot) OnResponse(slot);
        else OnP2A(slot);
    }

    /// <summary>The ISR: copy out, free (release store), complete if asked, post. No lock, no allocation.</summary>
    private void OnP2A(int slot)
    {
        var area = _area!;
        if ((area.ReadStatus(slot) & SmtLayout.StatusFree) != 0)
        {
            Interlocked.Increment(ref _spuriousDoorbells);
            return;
        }
        var length = area.ReadMessage(slot, _rx, out var header, out var flags);
        // Free as early as possible: the platform drops what it cannot write into a busy slot.
        area.WriteStatus(slot, SmtLayout.StatusFree);
        if ((flags & SmtLayout.FlagIntrEnabled) != 0 && _doorbell!.Ring(SmtLayout.DoorbellToPlatform, slot))
            Interlocked.Increment(ref _completionDoorbells);
        if (ScmiHeader.TypeOf(header) == MessageType.DelayedResponse) Interlocked.Increment(ref _delayedResponses);
        else Interlocked.Increment(ref _notifications);
        _receiver?.Post(header, _rx.AsSpan(0, length));
    }

    private void OnResponse(int slot)
    {
        uint header;
        int length;
        lock (_lock)
        {
            if (_closed is not null) return;
            if (_owedDoorbells > 0)
            {
                // The doorbell of a response the slot timer already took (doorbells arrive in order).
                _owedDoorbells--;
                return;
            }
            if (!_inFlight || (_area!.ReadStatus(slot) & SmtLayout.StatusFree) == 0)
            {
                // Nothing asked, or the platform rang without giving the slot back: nothing of ours to read.
                Interlocked.Increment(ref _unexpectedResponses);
                return;
            }
            length = _area.ReadMessage(slot, _rx, out header, out _);
            _inFlight = false;
            _slotTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Interlocked.Increment(ref _responses);
            WriteNextLocked(); // the response is copied out, so the slot can take the next command
        }
        // Types 0 and 2 go through the gate to the link, which matches the token.
        _receiver?.Post(header, _rx.AsSpan(0, length));
    }

    private void OnClosed(SmtLinkClosed closed)
    {
        lock (_lock)
        {
            _closed ??= closed;
            _inFlight = false;
            _queueCount = 0;
            _owedDoorbells = 0;
            _slotTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        _disconnected.TrySetResult(closed);
    }

    /// <summary>Closes the doorbell (the platform sees EOF), waits for the receive thread, then unmaps the area.</summary>
    public void Dispose()
    {
        SmtDoorbell? doorbell;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            doorbell = _doorbell;
        }
        doorbell?.Dispose(); // reports Disposed through OnClosed unless the link had already ended
        OnClosed(new SmtLinkClosed(SmtCloseReason.Disposed, "the agent was disposed"));
        lock (_lock)
        {
            _slotTimer?.Dispose();
            // The receive thread has stopped and timer callbacks see _closed: nothing reads the area any more.
            _area?.Dispose();
        }
    }

    private sealed class DoorbellHandler(SmtAgentTransport owner) : ISmtDoorbellHandler
    {
        public void OnDoorbell(int slot) => owner.OnDoorbell(slot);

        public void OnClosed(SmtLinkClosed closed) => owner.OnClosed(closed);
    }
}
