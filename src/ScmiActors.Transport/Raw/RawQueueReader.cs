namespace ScmiActors.Transport.Raw;

/// <summary>The three raw queues a <see cref="RawModeTransport"/> reads, one thread each.</summary>
internal enum RawQueue
{
    /// <summary><c>raw/message</c>: synchronous replies (and delayed responses) to our commands.</summary>
    Replies,
    /// <summary><c>raw/notification</c>.</summary>
    Notifications,
    /// <summary><c>raw/errors</c>: late replies and messages the kernel could not place.</summary>
    Errors,
}

/// <summary>
/// One raw queue's reader thread. The kernel hands out one message per read sequence, ended by a read
/// returning 0 (EOF), which must be read before the next message; poll reports only whether the shared
/// queue holds something. So: poll with a short timeout (to see the stop flag), and after POLLIN read until
/// EOF into a buffer allocated once. The thread owns its fd and closes it when it ends, so Dispose never
/// closes an fd a thread may still be polling (the number could be reused by an unrelated open).
/// </summary>
internal sealed class RawQueueReader
{
    // Room past the kernel's limit, so a longer message is noticed (and counted) instead of silently cut by us.
    private const int Slack = 256;

    private readonly RawModeTransport _owner;
    private readonly string _path;
    private readonly byte[] _buffer;
    private readonly int _limit;
    private readonly int _pollTimeoutMs;
    private readonly int _hangUpBackoffMs;
    private int _fd = -1;
    private Thread? _thread;
    private long _sequences;

    public RawQueueReader(RawModeTransport owner, RawQueue queue, string path, int limit, int pollTimeoutMs)
    {
        _owner = owner;
        Queue = queue;
        _path = path;
        _limit = limit;
        _buffer = new byte[limit + Slack];
        _pollTimeoutMs = pollTimeoutMs;
        _hangUpBackoffMs = Math.Min(pollTimeoutMs, 5);
    }

    public RawQueue Queue { get; }

    /// <summary>Complete read sequences (EOF seen), whatever became of them; the tests' fake hands out the next message after each.</summary>
    public long Sequences => Interlocked.Read(ref _sequences);

    public bool IsRunning => _thread is { IsAlive: true };

    /// <exception cref="RawModeException">The file cannot be opened.</exception>
    public void Open()
    {
        // Non-blocking: a blocking read cannot be interrupted from .NET, and Dispose must end the thread.
        _fd = LibC.Open(_path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (_fd < 0)
            throw new RawModeException($"SCMI raw mode: cannot open {_path} for reading: {LibC.Describe(LibC.LastError)}");
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"scmi-raw-{Queue}" };
        _thread.Start();
    }

    /// <summary>Ends the reader: joins a started thread (which closes its fd), or closes the fd of one never started.</summary>
    public bool Stop(TimeSpan timeout)
    {
        if (_thread is { } thread) return thread.Join(timeout);
        if (_fd >= 0) LibC.Close(_fd);
        _fd = -1;
        return true;
    }

    private void Run()
    {
        var length = 0;
        var overflowed = false;
        try
        {
            while (!_owner.Stopping)
            {
                var ready = LibC.Poll(_fd, LibC.POLLIN, _pollTimeoutMs, out var revents);
                if (ready == 0) continue;
                if (ready < 0)
                {
                    if (LibC.LastError == LibC.EINTR) continue;
                    _owner.CountReadError();
                    _owner.WaitForStop(_pollTimeoutMs);
                    continue;
                }
                if ((revents & LibC.POLLNVAL) != 0)
                {
                    _owner.CountReadError();
                    return;
                }
                // POLLIN, but also POLLHUP/POLLERR: the read says what happened (data, EOF or an errno).
                ReadAvailable(ref length, ref overflowed);
            }
        }
        finally
        {
            LibC.Close(_fd);
            _fd = -1;
        }
    }

    // Reads until EOF (the message is complete) or EAGAIN (the rest is not there yet: a pipe writer
    // mid-message; debugfs hands over a whole message, so it never does this). A partial message
    // survives the return to poll.
    private void ReadAvailable(ref int length, ref bool overflowed)
    {
        while (!_owner.Stopping)
        {
            var n = LibC.Read(_fd, _buffer.AsSpan(length));
            if (n > 0)
            {
                length += (int)n;
                if (length > _limit)
                {
                    // Keep the first _limit bytes, as the kernel would; the rest is read into the slack and dropped.
                    overflowed = true;
                    length = _limit;
                }
                continue;
            }
            if (n == 0)
            {
                if (length == 0 && !overflowed)
                {
                    // EOF with nothing before it: a hang-up (a named pipe whose writer left; debugfs would say
                    // EAGAIN). poll keeps reporting it, so wait a little instead of spinning.
                    _owner.WaitForStop(_hangUpBackoffMs);
                    return;
                }
                _owner.Deliver(Queue, _buffer.AsSpan(0, length), overflowed);
                Interlocked.Increment(ref _sequences);
                length = 0;
                overflowed = false;
                return;
            }

            var errno = LibC.LastError;
            if (errno == LibC.EINTR) continue;
            if (errno == LibC.EAGAIN) return;
            _owner.CountReadError();
            length = 0;
            overflowed = false;
            _owner.WaitForStop(_pollTimeoutMs);
            return;
        }
    }
}
