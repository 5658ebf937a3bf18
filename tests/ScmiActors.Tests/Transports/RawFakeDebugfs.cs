using System.Threading.Channels;
using ScmiActors.Transport.Raw;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// The first fake: a temporary directory laid out like debugfs (<c>scmi/0/transport/*</c> with ASCII
/// values, <c>scmi/0/raw/{message, notification, errors}</c> as named pipes, <c>raw/reset</c> a plain
/// file) in front of <see cref="RawKernelQueues"/>. A pipe has no message boundaries, so each message is
/// written through its own open/close (the reader sees EOF after it), and the next one is handed out only
/// after the reader finished the last read sequence — as the kernel, which gives each reader one message
/// at a time. Commands go to a separate pipe (<see cref="CommandFile"/>): a process that held
/// <c>raw/message</c> open for writing would hide every reply's EOF from its own reader.
/// </summary>
internal sealed class RawFakeDebugfs : IDisposable
{
    public static readonly RawModeLimits DefaultLimits = new(MaxMsgSize: 128, MaxRxTimeoutMs: 30, TxMaxMsg: 20, RxMaxMsg: 20, Type: "mailbox", IsAtomic: false);

    // Waits inside the fake: long enough for a loaded 2-core machine, short enough to end a broken test.
    private static readonly TimeSpan HandOffBound = TimeSpan.FromSeconds(10);

    private readonly object _wake = new();
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly List<Thread> _threads = [];
    private readonly long[] _taken = new long[3];
    private readonly Channel<byte[]> _commands = Channel.CreateUnbounded<byte[]>();
    private int _commandFd;
    private long _clockMs;
    private volatile bool _paused;
    private volatile string? _fault;
    private RawModeTransport? _transport;

    public RawFakeDebugfs(RawModeLimits? limits = null)
    {
        var l = limits ?? DefaultLimits;
        Root = Directory.CreateTempSubdirectory("scmi-raw-").FullName;
        ScmiRoot = Path.Combine(Root, "scmi");
        var instance = Path.Combine(ScmiRoot, "0");
        var transport = Directory.CreateDirectory(Path.Combine(instance, "transport")).FullName;
        File.WriteAllText(Path.Combine(transport, "max_msg_size"), $"{l.MaxMsgSize}\n");
        File.WriteAllText(Path.Combine(transport, "max_rx_timeout_ms"), $"{l.MaxRxTimeoutMs}\n");
        File.WriteAllText(Path.Combine(transport, "tx_max_msg"), $"{l.TxMaxMsg}\n");
        File.WriteAllText(Path.Combine(transport, "rx_max_msg"), $"{l.RxMaxMsg}\n");
        File.WriteAllText(Path.Combine(transport, "type"), $"{l.Type}\n");
        File.WriteAllText(Path.Combine(transport, "is_atomic"), l.IsAtomic ? "Y\n" : "N\n");

        var raw = Directory.CreateDirectory(Path.Combine(instance, "raw")).FullName;
        foreach (var name in new[] { "message", "notification", "errors" }) MkFifo(Path.Combine(raw, name));
        File.WriteAllBytes(Path.Combine(raw, "message_async"), []);
        ResetFile = Path.Combine(raw, "reset");
        File.WriteAllBytes(ResetFile, []);

        CommandFile = Path.Combine(Root, "commands");
        MkFifo(CommandFile);
        // Held open from the start: the transport's non-blocking write open needs a reader (else ENXIO).
        _commandFd = LibC.Open(CommandFile, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (_commandFd < 0) throw new IOException($"fake: open {CommandFile}: {LibC.Describe(LibC.LastError)}");

        Kernel = new RawKernelQueues(l, () => Interlocked.Read(ref _clockMs));
        Kernel.Queued += Wake;
    }

    public string Root { get; }
    public string ScmiRoot { get; }
    public string ResetFile { get; }
    public string CommandFile { get; }
    public RawKernelQueues Kernel { get; }

    public bool ResetWritten => new FileInfo(ResetFile).Length > 0;

    /// <summary>Write each message in two write() calls within its one open/close (the reader must join them).</summary>
    public bool SplitWrites { get; set; }

    /// <summary>Answers each command as it is read; null leaves answering to the test.</summary>
    public Func<byte[], byte[]?>? Responder { get; set; }

    /// <summary>The first thing that went wrong inside the fake's threads, if any.</summary>
    public string? Fault => _fault;

    /// <summary>
    /// Options pointing the transport at this fake, with a short poll so Dispose is quick. The fake takes
    /// each read() of its command pipe as one command: a test that lets several commands out before the fake
    /// reads them sets <see cref="RawModeOptions.MaxCommandsInFlight"/> to 1, or a pipe would join them.
    /// </summary>
    public RawModeOptions Options => new() { CommandFile = CommandFile, PollTimeout = TimeSpan.FromMilliseconds(20) };

    public RawModeInstance OpenInstance() => RawModeInstance.Open(0, ScmiRoot);

    public void AdvanceClock(long milliseconds) => Interlocked.Add(ref _clockMs, milliseconds);

    /// <summary>Holds the queues: messages pile up in the kernel (and its rules apply) until <see cref="Resume"/>.</summary>
    public void Pause() => _paused = true;

    public void Resume()
    {
        _paused = false;
        Wake();
    }

    public async Task<byte[]> NextCommandAsync(TimeSpan bound) => await _commands.Reader.ReadAsync().AsTask().WaitAsync(bound);

    /// <summary>Starts handing messages to <paramref name="transport"/>'s readers; with <paramref name="readCommands"/> false the command pipe fills up.</summary>
    public void Start(RawModeTransport transport, bool readCommands = true)
    {
        _transport = transport;
        var raw = Path.Combine(ScmiRoot, "0", "raw");
        StartThread(() => Pump(RawQueue.Replies, Path.Combine(raw, "message")), "fake-replies");
        StartThread(() => Pump(RawQueue.Notifications, Path.Combine(raw, "notification")), "fake-notifications");
        StartThread(() => Pump(RawQueue.Errors, Path.Combine(raw, "errors")), "fake-errors");
        if (readCommands) StartThread(ReadCommands, "fake-commands");
    }

    /// <summary>Completes when <paramref name="queue"/> is empty and the reader finished every message handed to it.</summary>
    public Task WaitDrainedAsync(RawQueue queue, TimeSpan bound) => Task.Run(() =>
    {
        if (!SpinWait.SpinUntil(() => Kernel.Count(queue) == 0 && _transport!.SequencesRead(queue) >= Interlocked.Read(ref _taken[(int)queue]), bound))
            throw new TimeoutException($"fake: {queue} not drained within {bound}");
    });

    private void StartThread(Action body, string name)
    {
        var thread = new Thread(() => body()) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void Wake()
    {
        lock (_wake) Monitor.PulseAll(_wake);
    }

    private void Fail(string what) => Interlocked.CompareExchange(ref _fault, what, null);

    private void Pump(RawQueue queue, string fifo)
    {
        long handed = 0;
        while (!_stop.IsSet)
        {
            byte[]? message = null;
            lock (_wake)
            {
                while (!_stop.IsSet && (_paused || !Kernel.TryTake(queue, out message))) Monitor.Wait(_wake, 50);
            }
            if (message is null) return;
            Interlocked.Increment(ref _taken[(int)queue]);
            if (!WriteOneMessage(fifo, message)) return;
            handed++;
            // The kernel's next message for this reader comes only after the EOF of this one.
            if (!SpinWait.SpinUntil(() => _stop.IsSet || _transport!.SequencesRead(queue) >= handed, HandOffBound))
            {
                Fail($"fake: the {queue} reader did not finish message {handed} within {HandOffBound}");
                return;
            }
        }
    }

    private bool WriteOneMessage(string fifo, byte[] message)
    {
        var fd = LibC.Open(fifo, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            Fail($"fake: open {fifo} for writing: {LibC.Describe(LibC.LastError)}");
            return false;
        }
        try
        {
            if (!SplitWrites || message.Length < 2) return WriteAll(fd, fifo, message);
            var cut = message.Length / 2;
            if (!WriteAll(fd, fifo, message.AsSpan(0, cut))) return false;
            // The reader takes the first half before the second is written: it must see a read, then EAGAIN, then the rest.
            if (!SpinWait.SpinUntil(() => _stop.IsSet || (LibC.IoctlFionread(fd, LibC.FIONREAD, out var left) == 0 && left == 0), HandOffBound))
            {
                Fail($"fake: the reader of {fifo} did not take the first half within {HandOffBound}");
                return false;
            }
            return WriteAll(fd, fifo, message.AsSpan(cut));
        }
        finally
        {
            LibC.Close(fd); // the reader's EOF: the message boundary
        }
    }

    private bool WriteAll(int fd, string fifo, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return true;
        var n = LibC.Write(fd, bytes);
        if (n == bytes.Length) return true;
        Fail($"fake: write {fifo}: {(n < 0 ? LibC.Describe(LibC.LastError) : $"{n} of {bytes.Length} bytes")}");
        return false;
    }

    // Each read() is taken as one command: the tests send one command at a time and the transport writes
    // each in one write() of at most PIPE_BUF bytes, which a pipe keeps whole.
    private void ReadCommands()
    {
        var buffer = new byte[Kernel.Limits.MaxMessageBytes + 256];
        while (!_stop.IsSet)
        {
            if (LibC.Poll(_commandFd, LibC.POLLIN, 20, out _) <= 0) continue;
            var n = LibC.Read(_commandFd, buffer);
            if (n == 0)
            {
                _stop.Wait(5); // the transport closed its end: a hang-up, reported until it reopens
                continue;
            }
            if (n < 0)
            {
                if (LibC.LastError is LibC.EAGAIN or LibC.EINTR) continue;
                Fail($"fake: read {CommandFile}: {LibC.Describe(LibC.LastError)}");
                return;
            }
            var command = buffer.AsSpan(0, (int)n).ToArray();
            Kernel.CommandTaken(BitConverter.ToUInt32(command, 0));
            _commands.Writer.TryWrite(command);
            if (Responder?.Invoke(command) is { } reply) Kernel.Reply(reply);
        }
    }

    private static void MkFifo(string path)
    {
        if (LibC.MkFifo(path, Convert.ToUInt32("600", 8)) != 0)
            throw new IOException($"fake: mkfifo {path}: {LibC.Describe(LibC.LastError)}");
    }

    public void Dispose()
    {
        _stop.Set();
        Wake();
        foreach (var thread in _threads) thread.Join(HandOffBound);
        if (_commandFd >= 0) LibC.Close(_commandFd);
        _commandFd = -1;
        Directory.Delete(Root, recursive: true);
    }
}
