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

    /// <summary>
    /// How long <see cref="SmtAgentTransport.ConnectAsync"/> watches a new connection for the platform's
    /// refusal (it closes a second agent's connection at once, before any doorbell) before it maps the
    /// area. The kernel completes the connect before the platform accepts, so only this wait tells a
    /// refused agent from an accepted one; an accepted connection pays it in full on every connect.
    /// Zero skips the check (a refusal then shows as the link lost at its first read).
    /// </summary>
    public TimeSpan RefusalWait { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>What the agent's end of an SMT link has seen, counted since it was created, over all its connections.</summary>
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
/// <param name="Connections">Successful <see cref="SmtAgentTransport.ConnectAsync"/> calls: the first and every reconnection.</param>
/// <param name="LinksLost">Links that ended other than by Dispose (EOF, protocol error, socket fault): each is a loss,
/// reported to the receiver attached at the time.</param>
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
    long ResponsesBeforeDoorbell,
    long Connections,
    long LinksLost);

/// <summary>
/// The agent's end of the SMT link between two processes (TRANSPORTS.md §1). The doorbell's receive
/// thread is the ISR: for a P2A slot it copies the message out into a buffer allocated once, frees the
/// slot with a release store, rings {0xA0, k} only if the message asked for it (SCP sends flags 0 and
/// would misread the doorbell; i.MX sends 1 and stalls without it), then posts to the receiver; it
/// never allocates, waits for an actor or throws. One command is in flight on the A2P slot; further
/// <see cref="SendCommand"/> calls queue (bounded) so that the calling actor never blocks, and the next
/// goes out when the response came or the slot timeout reclaimed the slot.
/// <para>
/// Reconnectable, because a platform process can be restarted: a link that ends other than by
/// <see cref="Dispose"/> (EOF, a protocol error, a socket fault) is reported once to the attached
/// receiver as <see cref="IScmiReceiver.TransportLost"/>, last on the receive thread, after its last
/// post. A later <see cref="ConnectAsync"/> on the same object connects a new socket and maps the area
/// again (the restarted platform recreated its file at the same path), with fresh per-connection state:
/// no command in flight or queued, no doorbell owed, a new slot timer. Dispose is final and reports nothing.
/// </para>
/// </summary>
public sealed class SmtAgentTransport : IScmiTransport, IDisposable
{
    private readonly SmtAgentOptions _options;
    private readonly long _slotTimeoutTicks;
    private readonly Lock _lock = new();
    // Receive thread only: one connection's receive thread at a time (a new connection starts after the old one's ended).
    private readonly byte[] _rx = new byte[SmtLayout.MaxPayload];
    private readonly byte[] _timerRx = new byte[SmtLayout.MaxPayload]; // under _lock

    // The A2P channel of the current connection, under _lock: the command in flight and a ring of those waiting.
    private readonly uint[] _queuedHeaders;
    private readonly int[] _queuedLengths;
    private readonly byte[] _queuedPayloads;
    private int _queueHead;
    private int _queueCount;
    private bool _inFlight;
    private long _inFlightDeadline;
    private int _owedDoorbells; // {0xD0, a2p} still to come for responses the slot timer already took

    private volatile IScmiReceiver? _receiver;
    private Connection? _connection; // under _lock: the current connection, or the last one once it ended
    // Under _lock: the end of _connection; replaced when a connection follows one that ended.
    private TaskCompletionSource<SmtLinkClosed> _disconnected = NewEnd();
    private bool _connecting; // under _lock
    private bool _disposed;   // under _lock

    private long _notifications, _delayedResponses, _completionDoorbells, _commandsSent, _responses,
        _slotTimeouts, _unexpectedResponses, _commandsRefused, _spuriousDoorbells, _responsesBeforeDoorbell,
        _protocolErrors, _connections, _linksLost;

    public SmtAgentTransport(SmtAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CommandQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SlotTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RefusalWait, TimeSpan.Zero);
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

    /// <summary>
    /// The end of the current connection (the last one, once it ended): EOF from the platform, a protocol
    /// error, a socket fault, or <see cref="Dispose"/>. Before the first connection it is the first
    /// connection's end (or completes with Disposed). A <see cref="ConnectAsync"/> after an end gives the
    /// new connection a new task: read the property again after reconnecting.
    /// </summary>
    public Task<SmtLinkClosed> Disconnected
    {
        get { lock (_lock) return _disconnected.Task; }
    }

    /// <summary>True from a successful <see cref="ConnectAsync"/> until that link ends.</summary>
    public bool IsConnected
    {
        get { lock (_lock) return _connection is { Closed: null }; }
    }

    /// <summary>The mapped area while connected, else null (diagnostics and tests; unmapped when the link ends).</summary>
    public SmtArea? Area
    {
        get { lock (_lock) return _connection is { Closed: null } connection ? connection.Area : null; }
    }

    public SmtAgentStats Stats => new(
        Interlocked.Read(ref _notifications),
        Interlocked.Read(ref _delayedResponses),
        Interlocked.Read(ref _completionDoorbells),
        Interlocked.Read(ref _commandsSent),
        Interlocked.Read(ref _responses),
        Interlocked.Read(ref _slotTimeouts),
        Interlocked.Read(ref _unexpectedResponses),
        Interlocked.Read(ref _protocolErrors),
        Interlocked.Read(ref _commandsRefused),
        Interlocked.Read(ref _spuriousDoorbells),
        Interlocked.Read(ref _responsesBeforeDoorbell),
        Interlocked.Read(ref _connections),
        Interlocked.Read(ref _linksLost));

    /// <summary>
    /// Connects to the platform's socket, then maps its area (the platform created the area before it
    /// listened). A missing socket or file fails with an <see cref="IOException"/> that says which, and
    /// may be retried; a platform that already serves another agent closes the connection at once, which
    /// fails with <see cref="SmtAgentRefusedException"/> (see <see cref="SmtAgentOptions.RefusalWait"/>). After a link ended it connects again (the handle does so when the platform was lost);
    /// while connected, or while another attempt runs, it throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        Connection? previous;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting) throw new InvalidOperationException("an SMT agent transport connects once at a time: an attempt is under way");
            if (_connection is { Closed: null })
                throw new InvalidOperationException("the SMT link is connected: an agent connects again only after its link ended");
            _connecting = true;
            previous = _connection;
        }
        try
        {
            // The ended link's receive thread reports the loss last: wait for it (normally gone already), so
            // that the old loss can never be reported after the new connection is up.
            previous?.Doorbell.Dispose();
            await ConnectNewAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock) _connecting = false;
        }
    }

    private async Task ConnectNewAsync(CancellationToken cancellationToken)
    {
        var socket = await SmtDoorbell.ConnectAsync(_options.SocketPath, cancellationToken, _options.RefusalWait).ConfigureAwait(false);
        SmtArea? area = null;
        Connection? connection = null;
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
                if (_disconnected.Task.IsCompleted) _disconnected = NewEnd(); // the last link's end stays with it
                connection = new Connection(this, area, doorbell, _disconnected);
                _connection = connection;
                // Fresh per-connection state: what was in flight or queued went with the old link (OnClosed).
                _inFlight = false;
                _queueHead = 0;
                _queueCount = 0;
                _owedDoorbells = 0;
            }
            Interlocked.Increment(ref _connections);
            doorbell.Start($"smt-agent {Path.GetFileName(_options.SocketPath)}", new DoorbellHandler(this, connection));
        }
        catch
        {
            if (connection is null)
            {
                area?.Dispose();
                socket.Dispose();
            }
            throw;
        }
    }

    public void Attach(IScmiReceiver receiver) => _receiver = receiver;

    /// <summary>Stops posting to the receiver; a loss after this is counted but told to nobody.</summary>
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
            if (_connection is not { } connection) throw new InvalidOperationException("the SMT link is not connected");
            if (connection.Closed is { } closed) throw new InvalidOperationException($"the SMT link is down: {closed.Detail}");
            if (!_inFlight && _queueCount == 0)
            {
                if (!WriteCommandLocked(connection, header, payload))
                    throw new InvalidOperationException($"the SMT link is down: {connection.Closed?.Detail ?? "doorbell send failed"}");
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
    private bool WriteCommandLocked(Connection connection, uint header, ReadOnlySpan<byte> payload)
    {
        var area = connection.Area;
        var slot = _options.A2PSlot;
        // INTR_ENABLED: this agent does not poll, it waits for {0xD0, a2p}.
        area.WriteMessage(slot, header, payload, SmtLayout.FlagIntrEnabled);
        area.WriteStatus(slot, 0);
        _inFlight = true;
        _inFlightDeadline = Stopwatch.GetTimestamp() + _slotTimeoutTicks;
        connection.SlotTimer.Change(_options.SlotTimeout, Timeout.InfiniteTimeSpan);
        Interlocked.Increment(ref _commandsSent);
        return connection.Doorbell.Ring(SmtLayout.DoorbellToPlatform, slot);
    }

    /// <summary>The A2P slot is ours again: the next queued command goes out.</summary>
    private void WriteNextLocked(Connection connection)
    {
        if (_queueCount == 0 || connection.Closed is not null) return;
        var index = _queueHead;
        _queueHead = (_queueHead + 1) % _queuedHeaders.Length;
        _queueCount--;
        // A failed ring ends the link; OnClosed clears the queue and the link's own timeout answers the caller.
        WriteCommandLocked(connection, _queuedHeaders[index], _queuedPayloads.AsSpan(index * SmtLayout.MaxPayload, _queuedLengths[index]));
    }

    private void OnSlotTimer(Connection connection)
    {
        lock (_lock)
        {
            // An ended link's timer (a callback already under way when it was stopped) finds nothing of its own.
            if (connection.Closed is not null || connection != _connection || !_inFlight) return;
            var remaining = _inFlightDeadline - Stopwatch.GetTimestamp();
            if (remaining > 0)
            {
                // A timer that fired early, or late for a command already answered: wait for this command's own deadline.
                connection.SlotTimer.Change(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
                return;
            }
            var area = connection.Area;
            if ((area.ReadStatus(_options.A2PSlot) & SmtLayout.StatusFree) != 0)
            {
                // Answered, but the doorbell is not processed yet (the receive thread was held up past
                // the slot timeout): the response is in the slot, so take it rather than lose it.
                var length = area.ReadMessage(_options.A2PSlot, _timerRx, out var header, out _);
                _inFlight = false;
                _owedDoorbells++;
                Interlocked.Increment(ref _responses);
                Interlocked.Increment(ref _responsesBeforeDoorbell);
                WriteNextLocked(connection);
                // Posted under the lock because _timerRx is shared by timer callbacks; the receiver never blocks.
                // A loss is reported only after the lock saw Closed, so this post never follows that report.
                _receiver?.Post(header, _timerRx.AsSpan(0, length));
                return;
            }
            // Reclaim the slot: the platform never answered. A late response then reads as the next
            // command's (the token tells the link), or finds nothing in flight and is counted.
            Interlocked.Increment(ref _slotTimeouts);
            _inFlight = false;
            area.WriteStatus(_options.A2PSlot, SmtLayout.StatusFree);
            WriteNextLocked(connection);
        }
    }

    // Receive thread: {0xD0, k}.
    private void OnDoorbell(Connection connection, int slot)
    {
        if (slot == _options.A2PSlot) OnResponse(connection, slot);
        else OnP2A(connection, slot);
    }

    /// <summary>The ISR: copy out, free (release store), complete if asked, post. No lock, no allocation.</summary>
    private void OnP2A(Connection connection, int slot)
    {
        // The area stays mapped until this thread stops (OnReceiveStopped) or Dispose has joined it.
        var area = connection.Area;
        if ((area.ReadStatus(slot) & SmtLayout.StatusFree) != 0)
        {
            Interlocked.Increment(ref _spuriousDoorbells);
            return;
        }
        var length = area.ReadMessage(slot, _rx, out var header, out var flags);
        // Free as early as possible: the platform drops what it cannot write into a busy slot.
        area.WriteStatus(slot, SmtLayout.StatusFree);
        if ((flags & SmtLayout.FlagIntrEnabled) != 0 && connection.Doorbell.Ring(SmtLayout.DoorbellToPlatform, slot))
            Interlocked.Increment(ref _completionDoorbells);
        if (ScmiHeader.TypeOf(header) == MessageType.DelayedResponse) Interlocked.Increment(ref _delayedResponses);
        else Interlocked.Increment(ref _notifications);
        _receiver?.Post(header, _rx.AsSpan(0, length));
    }

    private void OnResponse(Connection connection, int slot)
    {
        uint header;
        int length;
        lock (_lock)
        {
            if (connection.Closed is not null) return;
            if (_owedDoorbells > 0)
            {
                // The doorbell of a response the slot timer already took (doorbells arrive in order).
                _owedDoorbells--;
                return;
            }
            if (!_inFlight || (connection.Area.ReadStatus(slot) & SmtLayout.StatusFree) == 0)
            {
                // Nothing asked, or the platform rang without giving the slot back: nothing of ours to read.
                Interlocked.Increment(ref _unexpectedResponses);
                return;
            }
            length = connection.Area.ReadMessage(slot, _rx, out header, out _);
            _inFlight = false;
            connection.SlotTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Interlocked.Increment(ref _responses);
            WriteNextLocked(connection); // the response is copied out, so the slot can take the next command
        }
        // Types 0 and 2 go through the gate to the link, which matches the token.
        _receiver?.Post(header, _rx.AsSpan(0, length));
    }

    // Whichever thread ended the link: the receive thread (EOF, protocol error), a sender whose ring failed, Dispose.
    private void OnClosed(Connection connection, SmtLinkClosed closed)
    {
        lock (_lock)
        {
            if (connection.Closed is not null) return;
            connection.Closed = closed;
            if (connection == _connection)
            {
                _inFlight = false;
                _queueCount = 0;
                _owedDoorbells = 0;
            }
            connection.SlotTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (closed.Reason == SmtCloseReason.ProtocolError) Interlocked.Increment(ref _protocolErrors);
            if (closed.Reason != SmtCloseReason.Disposed) Interlocked.Increment(ref _linksLost);
        }
        connection.End.TrySetResult(closed);
    }

    /// <summary>
    /// Last on the link's receive thread, no lock held: unmaps the area (nothing reads it any more) and,
    /// unless the agent was disposed, tells the receiver attached now that the platform is lost. Its last
    /// post is behind it, and the slot timer posts nothing once the link is closed.
    /// </summary>
    private void OnReceiveStopped(Connection connection)
    {
        IScmiReceiver? receiver = null;
        string? reason = null;
        lock (_lock)
        {
            connection.Release();
            if (!_disposed && connection.Closed is { Reason: not SmtCloseReason.Disposed } closed && !connection.LossReported)
            {
                connection.LossReported = true;
                receiver = _receiver;
                reason = $"SMT link {_options.SocketPath} ended: {closed.Detail}";
            }
        }
        connection.Doorbell.Dispose(); // the socket; no join on its own thread
        if (receiver is null) return;
        try
        {
            receiver.TransportLost(reason!);
        }
        catch
        {
            // A receiver must not throw; if one does, the receive thread still ends quietly.
        }
    }

    /// <summary>
    /// Final: closes the doorbell (the platform sees EOF), waits for the receive thread, then unmaps the
    /// area. Reports no loss, and a loss already reported is not reported again.
    /// </summary>
    public void Dispose()
    {
        Connection? connection;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            connection = _connection;
        }
        connection?.Doorbell.Dispose(); // reports Disposed through OnClosed unless the link had already ended
        TaskCompletionSource<SmtLinkClosed> end;
        lock (_lock)
        {
            // The receive thread has stopped and timer callbacks see Closed: nothing reads the area any more.
            connection?.Release();
            _inFlight = false;
            _queueCount = 0;
            end = _disconnected;
        }
        end.TrySetResult(new SmtLinkClosed(SmtCloseReason.Disposed, "the agent was disposed")); // never connected: the first end
    }

    private static TaskCompletionSource<SmtLinkClosed> NewEnd() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One connection: its socket, its mapping of the area, its slot timer and how it ended.</summary>
    private sealed class Connection
    {
        public Connection(SmtAgentTransport owner, SmtArea area, SmtDoorbell doorbell, TaskCompletionSource<SmtLinkClosed> end)
        {
            Area = area;
            Doorbell = doorbell;
            End = end;
            SlotTimer = new Timer(static state =>
            {
                var (agent, connection) = ((SmtAgentTransport, Connection))state!;
                agent.OnSlotTimer(connection);
            }, (owner, this), Timeout.Infinite, Timeout.Infinite);
        }

        public SmtArea Area { get; }
        public SmtDoorbell Doorbell { get; }
        public Timer SlotTimer { get; }
        public TaskCompletionSource<SmtLinkClosed> End { get; }
        public SmtLinkClosed? Closed { get; set; } // under the owner's lock
        public bool LossReported { get; set; }     // under the owner's lock

        /// <summary>Under the owner's lock, once its readers stopped; idempotent.</summary>
        public void Release()
        {
            SlotTimer.Dispose();
            Area.Dispose();
        }
    }

    private sealed class DoorbellHandler(SmtAgentTransport owner, Connection connection) : ISmtDoorbellHandler
    {
        public void OnDoorbell(int slot) => owner.OnDoorbell(connection, slot);

        public void OnClosed(SmtLinkClosed closed) => owner.OnClosed(connection, closed);

        public void OnReceiveStopped() => owner.OnReceiveStopped(connection);
    }
}
