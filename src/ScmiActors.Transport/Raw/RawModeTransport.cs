using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Wire;

namespace ScmiActors.Transport.Raw;

/// <summary>
/// The agent's end of a channel over Linux SCMI raw mode (debugfs, kernel with
/// CONFIG_ARM_SCMI_RAW_MODE_SUPPORT, run as root). Commands are one write() each to <c>raw/message</c>;
/// three reader threads (replies from <c>raw/message</c>, <c>raw/notification</c>, <c>raw/errors</c>)
/// post every message to the attached <see cref="IScmiReceiver"/>. Replies are matched by the link by
/// token, never here. Late replies, which the kernel puts in <c>raw/errors</c>, are counted apart and
/// still posted, so the link matches them (a still-pending command) or counts them unmatched.
/// Every command goes to <c>raw/message</c>, none to <c>raw/message_async</c>: SendCommand does not say
/// which commands are asynchronous. A delayed response is posted from whichever queue the kernel puts it in.
/// Notification losses in the kernel's queue (oldest overwritten, no counter) are undetectable:
/// <see cref="RawModeStats.NotificationLosses"/> says so instead of claiming 0.
/// <para>The kernel has <c>tx_max_msg</c> waiters for synchronous commands and refuses a write beyond
/// them, while a handle enables every source of its subscribers at once. So at most that many commands
/// are written and unanswered (<see cref="RawModeOptions.MaxCommandsInFlight"/>); the rest wait here in
/// order and go out as replies come back, or as the kernel's own timeout (<c>max_rx_timeout_ms</c>) has
/// surely freed a waiter whose reply never came.</para>
/// </summary>
public sealed class RawModeTransport : IScmiTransport, IDisposable
{
    private readonly RawModeOptions _options;
    private readonly string _commandFile;
    private readonly int _limit;
    private readonly RawQueueReader[] _readers;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Lock _sendLock = new();
    private readonly byte[] _tx; // one command at a time, under _sendLock: no allocation per command
    private readonly int _window;
    private readonly long _inFlightTicks;
    private readonly Dictionary<ushort, long> _inFlight = []; // token -> when written; under _sendLock
    private readonly Queue<byte[]> _waiting = new(); // whole commands past the window, under _sendLock
    private Timer? _expiry;
    private volatile IScmiReceiver? _receiver;
    private int _commandFd = -1;
    private bool _connected;
    private bool _disposed;

    private long _commandsWritten, _writeErrors, _replies, _notifications, _lateReplies, _errorsNotReplies;
    private long _truncated, _atSizeLimit, _malformed, _readErrors, _notAttached, _receiverFaults;

    public RawModeTransport(RawModeInstance instance, RawModeOptions? options = null)
    {
        Instance = instance;
        _options = options ?? new RawModeOptions();
        _commandFile = _options.CommandFile ?? instance.MessagePath;
        _limit = instance.Limits.MaxMessageBytes;
        _tx = new byte[_limit];
        _window = Math.Max(1, _options.MaxCommandsInFlight ?? instance.Limits.TxMaxMsg);
        // The kernel gives up on a reply after max_rx_timeout_ms and frees its waiter: twice that, plus scheduling slack.
        _inFlightTicks = (long)((2 * Math.Max(1, instance.Limits.MaxRxTimeoutMs) + 100) * (Stopwatch.Frequency / 1000.0));
        var pollMs = Math.Max(1, (int)_options.PollTimeout.TotalMilliseconds);
        _readers =
        [
            new RawQueueReader(this, RawQueue.Replies, instance.MessagePath, _limit, pollMs),
            new RawQueueReader(this, RawQueue.Notifications, instance.NotificationPath, _limit, pollMs),
            new RawQueueReader(this, RawQueue.Errors, instance.ErrorsPath, _limit, pollMs),
        ];
    }

    public RawModeInstance Instance { get; }

    public bool HasCommandPath => true;

    public RawModeStats Stats => new(
        Interlocked.Read(ref _commandsWritten), Interlocked.Read(ref _writeErrors), Interlocked.Read(ref _replies),
        Interlocked.Read(ref _notifications), Interlocked.Read(ref _lateReplies), Interlocked.Read(ref _errorsNotReplies),
        Interlocked.Read(ref _truncated), Interlocked.Read(ref _atSizeLimit), Interlocked.Read(ref _malformed),
        Interlocked.Read(ref _readErrors), Interlocked.Read(ref _notAttached), Interlocked.Read(ref _receiverFaults));

    /// <summary>Writes <c>raw/reset</c> (flushing what an earlier user left queued), opens the files and starts the readers.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        lock (_sendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connected) return Task.FromException(new InvalidOperationException("SCMI raw mode: already connected"));
            try
            {
                WriteReset();
                foreach (var reader in _readers) reader.Open();
                // Non-blocking: SendCommand runs on an actor thread and must fail rather than wait.
                _commandFd = LibC.Open(_commandFile, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
                if (_commandFd < 0)
                    throw new RawModeException($"SCMI raw mode: cannot open {_commandFile} for writing: {LibC.Describe(LibC.LastError)}");
            }
            catch (RawModeException e)
            {
                foreach (var reader in _readers) reader.Stop(TimeSpan.Zero);
                return Task.FromException(e);
            }
            foreach (var reader in _readers) reader.Start();
            _connected = true;
            // Frees the window from commands whose reply never came, so what waits behind them goes out.
            _expiry = new Timer(_ => ExpireAndFlush(), null, _options.PollTimeout, _options.PollTimeout);
        }
        return Task.CompletedTask;
    }

    private void WriteReset()
    {
        var path = Instance.ResetPath;
        var fd = LibC.Open(path, LibC.O_WRONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) throw new RawModeException($"SCMI raw mode: cannot open {path}: {LibC.Describe(LibC.LastError)}");
        try
        {
            // Any write resets; the content is ignored.
            ReadOnlySpan<byte> one = "1\n"u8;
            if (LibC.Write(fd, one) < 0)
                throw new RawModeException($"SCMI raw mode: writing {path} failed: {LibC.Describe(LibC.LastError)}");
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    public void Attach(IScmiReceiver receiver) => _receiver = receiver;

    public void Detach() => _receiver = null;

    /// <summary>
    /// One write() of header and parameters: the kernel takes each write as one whole command. Never
    /// blocks; a refusal (EAGAIN, EBUSY, ENOSPC, ...) throws <see cref="InvalidOperationException"/>
    /// naming the errno, which the link counts and answers as a failed command.
    /// </summary>
    public void SendCommand(uint header, ReadOnlySpan<byte> payload)
    {
        var length = 4 + payload.Length;
        lock (_sendLock)
        {
            if (_commandFd < 0)
                throw new InvalidOperationException(_disposed ? "SCMI raw mode: transport disposed" : "SCMI raw mode: not connected");
            if (length > _limit)
            {
                Interlocked.Increment(ref _writeErrors);
                throw new InvalidOperationException(
                    $"SCMI raw mode: a command of {length} bytes exceeds max_msg_size {Instance.Limits.MaxMsgSize} plus the 4-byte header");
            }
            BinaryPrimitives.WriteUInt32LittleEndian(_tx, header);
            payload.CopyTo(_tx.AsSpan(4));
            Expire(Stopwatch.GetTimestamp());
            if (_inFlight.Count >= _window || _waiting.Count > 0)
            {
                if (_waiting.Count >= _options.CommandQueue)
                    throw new InvalidOperationException(
                        $"SCMI raw mode: {_waiting.Count} commands already wait for the kernel's {_window} in flight; command refused");
                _waiting.Enqueue(_tx.AsSpan(0, length).ToArray());
                return;
            }
            Write(length);
        }
    }

    /// <summary>Writes the command in <see cref="_tx"/>; under <see cref="_sendLock"/>.</summary>
    private void Write(int length)
    {
        nint written;
        do written = LibC.Write(_commandFd, _tx.AsSpan(0, length));
        while (written < 0 && LibC.LastError == LibC.EINTR);

        if (written < 0)
        {
            var errno = LibC.LastError;
            Interlocked.Increment(ref _writeErrors);
            throw new InvalidOperationException($"SCMI raw mode: write to {_commandFile} refused: {LibC.Describe(errno)}");
        }
        if (written != length)
        {
            // debugfs takes all or nothing; a short write would leave a cut command behind.
            Interlocked.Increment(ref _writeErrors);
            throw new InvalidOperationException($"SCMI raw mode: short write to {_commandFile}: {written} of {length} bytes");
        }
        Interlocked.Increment(ref _commandsWritten);
        _inFlight[ScmiHeader.TokenOf(BinaryPrimitives.ReadUInt32LittleEndian(_tx))] = Stopwatch.GetTimestamp();
    }

    /// <summary>Commands written and not answered, and commands waiting for the window (tests).</summary>
    internal (int InFlight, int Waiting) Window
    {
        get
        {
            lock (_sendLock) return (_inFlight.Count, _waiting.Count);
        }
    }

    private void Expire(long now)
    {
        if (_inFlight.Count == 0) return;
        foreach (var (token, at) in _inFlight)
            if (now - at > _inFlightTicks) _inFlight.Remove(token);
    }

    /// <summary>A reply (in time or late) frees its command's place in the window.</summary>
    private void Answered(uint header)
    {
        lock (_sendLock)
        {
            if (_inFlight.Remove(ScmiHeader.TokenOf(header))) Flush();
        }
    }

    private void ExpireAndFlush()
    {
        lock (_sendLock)
        {
            Expire(Stopwatch.GetTimestamp());
            Flush();
        }
    }

    /// <summary>Writes waiting commands while the window has room; a refused one is counted and dropped (the link times it out).</summary>
    private void Flush()
    {
        while (_commandFd >= 0 && _inFlight.Count < _window && _waiting.TryDequeue(out var command))
        {
            command.CopyTo(_tx, 0);
            try
            {
                Write(command.Length);
            }
            catch (InvalidOperationException)
            {
                // Counted by Write; nobody is left to throw to.
            }
        }
    }

    /// <summary>Stops the readers (each within one poll timeout, all within <see cref="RawModeOptions.DisposeTimeout"/>) and closes the files.</summary>
    public void Dispose()
    {
        lock (_sendLock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_commandFd >= 0) LibC.Close(_commandFd);
            _commandFd = -1;
            _waiting.Clear();
        }
        _expiry?.Dispose();
        _stop.Set();
        var clock = Stopwatch.StartNew();
        foreach (var reader in _readers)
        {
            var left = _options.DisposeTimeout - clock.Elapsed;
            reader.Stop(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        // _stop stays undisposed on purpose: a reader that outlived the bound may still wait on it.
    }

    internal bool Stopping => _stop.IsSet;

    internal void WaitForStop(int milliseconds) => _stop.Wait(milliseconds);

    internal void CountReadError() => Interlocked.Increment(ref _readErrors);

    /// <summary>Reader threads still running (0 after a Dispose that kept its bound).</summary>
    internal int RunningReaders => _readers.Count(r => r.IsRunning);

    /// <summary>Complete read sequences of one queue; the tests' fake debugfs hands out its next message after each.</summary>
    internal long SequencesRead(RawQueue queue) => _readers[(int)queue].Sequences;

    /// <summary>One complete message from a reader thread: count it, then post it. Allocates nothing.</summary>
    internal void Deliver(RawQueue queue, ReadOnlySpan<byte> message, bool overflowed)
    {
        if (overflowed) Interlocked.Increment(ref _truncated);
        else if (message.Length == _limit) Interlocked.Increment(ref _atSizeLimit); // the kernel cuts silently: maybe cut
        if (message.Length < 4)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        var header = BinaryPrimitives.ReadUInt32LittleEndian(message);
        switch (queue)
        {
            case RawQueue.Replies:
                Interlocked.Increment(ref _replies);
                Answered(header);
                break;
            case RawQueue.Notifications:
                Interlocked.Increment(ref _notifications);
                break;
            default:
                // A reply that came after the kernel stopped waiting (or a delayed response it had no
                // command for): the link may still have it pending, or counts it unmatched. Anything else
                // the kernel put here is not a message we could deliver.
                if (ScmiHeader.TypeOf(header) is not (MessageType.Command or MessageType.DelayedResponse))
                {
                    Interlocked.Increment(ref _errorsNotReplies);
                    return;
                }
                Interlocked.Increment(ref _lateReplies);
                if (ScmiHeader.TypeOf(header) == MessageType.Command) Answered(header);
                break;
        }

        if (_receiver is not { } receiver)
        {
            Interlocked.Increment(ref _notAttached);
            return;
        }
        try
        {
            receiver.Post(header, message[4..]);
        }
        catch (Exception)
        {
            // Receivers must not throw; one that does must not end the reader thread (nor the process).
            Interlocked.Increment(ref _receiverFaults);
        }
    }
}
