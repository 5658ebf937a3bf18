using System.Net.Sockets;

namespace ScmiActors.Transport.Smt;

/// <summary>Why an SMT link ended.</summary>
public enum SmtCloseReason : byte
{
    /// <summary>EOF on the socket: the peer is gone.</summary>
    PeerClosed,
    /// <summary>The peer sent a packet that is not a 2-byte doorbell of the expected kind for a known slot.</summary>
    ProtocolError,
    /// <summary>This end was disposed.</summary>
    Disposed,
    /// <summary>The socket failed, or a handler threw.</summary>
    Faulted,
}

/// <summary>How an SMT link ended: the reason and a sentence for the log.</summary>
public sealed record SmtLinkClosed(SmtCloseReason Reason, string Detail);

/// <summary>What one end of the link does with doorbells; called on the doorbell's receive thread.</summary>
public interface ISmtDoorbellHandler
{
    /// <summary>A valid doorbell: "slot <paramref name="slot"/> is ready for you". Must not block.</summary>
    void OnDoorbell(int slot);

    /// <summary>The link ended; called exactly once, on whichever thread ended it.</summary>
    void OnClosed(SmtLinkClosed closed);

    /// <summary>
    /// The receive thread is about to exit: called last on it, after <see cref="OnClosed"/> and after the
    /// last <see cref="OnDoorbell"/> returned, with no lock of the doorbell held. Where an end reports a
    /// lost link, nothing it delivered can follow the report. Must not throw.
    /// </summary>
    void OnReceiveStopped() { }
}

/// <summary>
/// The doorbell of an SMT link (TRANSPORTS.md §1.2): a Unix-domain SOCK_SEQPACKET connection whose
/// packets are exactly {kind, slot}. One dedicated thread receives (the "interrupt" context) into a
/// buffer allocated once. A packet of another size, another kind than the one this end expects, or
/// for a slot this end does not use is a protocol error: counted, and the link is dropped (the peer
/// sees EOF). Receive returning 0 is EOF: the peer is gone. The last thing the receive thread does is
/// tell its handler it stopped, so an end can report the loss after everything it delivered.
/// </summary>
public sealed class SmtDoorbell : IDisposable
{
    private readonly Socket _socket;
    private readonly byte _incomingKind;
    private readonly bool[] _acceptedSlots = new bool[SmtLayout.MaxSlots];
    private readonly byte[] _rx = new byte[16]; // larger than a packet so that a longer one shows as a wrong size
    private readonly byte[] _tx = new byte[SmtLayout.DoorbellPacketSize];
    private readonly Lock _txLock = new();
    private readonly TaskCompletionSource<SmtLinkClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ISmtDoorbellHandler? _handler;
    private Thread? _thread;
    private long _protocolErrors;

    /// <param name="connected">A connected Unix-domain SOCK_SEQPACKET socket; the doorbell owns it from now on.</param>
    /// <param name="incomingKind">The only kind this end accepts (0xD0 on the agent, 0xA0 on the platform).</param>
    /// <param name="slots">The slots this end uses; a doorbell for any other is a protocol error.</param>
    public SmtDoorbell(Socket connected, byte incomingKind, IEnumerable<int> slots)
    {
        _socket = connected;
        _incomingKind = incomingKind;
        foreach (var slot in slots)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(slot);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SmtLayout.MaxSlots);
            _acceptedSlots[slot] = true;
        }
    }

    /// <summary>Completes once, with why the link ended.</summary>
    public Task<SmtLinkClosed> Closed => _closed.Task;

    /// <summary>Packets that were not valid doorbells (at most one: the first ends the link).</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>A new, unconnected socket of the link's kind.</summary>
    public static Socket NewSocket() => new(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);

    /// <summary>
    /// The agent's side: connects to the platform's socket. A missing socket or a refusal is an
    /// <see cref="IOException"/> whose message says which, without a chain of inner exceptions. With a
    /// <paramref name="refusalWait"/>, a platform that closes the new connection within it (it already
    /// serves an agent) is a <see cref="SmtAgentRefusedException"/>.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string socketPath, CancellationToken cancellationToken, TimeSpan refusalWait = default)
    {
        var socket = NewSocket();
        try
        {
            // A synchronous connect: an async operation would turn the socket non-blocking for good, and
            // .NET's emulation of the blocking Receive then allocates on every packet. A Unix-domain
            // connect completes at once (or fails); the token bounds the rare wait for a full backlog.
            // The refusal check runs in the same work item: the platform may link this agent as soon as
            // the connect completes, so no second hop through a busy thread pool may follow it.
            var refused = await Task.Run(() =>
                {
                    socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                    return refusalWait > TimeSpan.Zero && IsRefused(socket, refusalWait);
                }, cancellationToken)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            if (refused) throw new SmtAgentRefusedException(socketPath);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException(File.Exists(socketPath)
                ? $"SMT doorbell {socketPath}: the platform refused the connection ({e.SocketErrorCode}: {e.Message})"
                : $"SMT doorbell socket {socketPath} not found (is the platform running?)");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when the platform closed the new connection (EOF) within <paramref name="wait"/>. A packet
    /// that came first (the platform rang already) is only peeked at and stays for the receive thread.
    /// Poll and a peeking Receive keep the socket blocking.
    /// </summary>
    private static bool IsRefused(Socket socket, TimeSpan wait)
    {
        if (!socket.Poll(wait, SelectMode.SelectRead)) return false;
        Span<byte> peek = stackalloc byte[16];
        try
        {
            return socket.Receive(peek, SocketFlags.Peek) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>
    /// The platform's side: waits for one agent on a listening socket from <see cref="Listen"/>. The
    /// accept is synchronous (after a poll that lets the token in) so that the accepted socket stays
    /// blocking, as in <see cref="ConnectAsync"/>.
    /// </summary>
    public static Task<Socket> AcceptAsync(Socket listener, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() =>
        {
            while (!listener.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) cancellationToken.ThrowIfCancellationRequested();
            return listener.Accept();
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// The platform's side: binds and listens, the socket file mode 0600 from the moment its path exists.
    /// An existing path is refused with a clear message.
    /// </summary>
    /// <remarks>
    /// bind() creates the file with 0777 &amp; ~umask, and a chmod after it leaves a window in which, with a
    /// umask such as 002, another user may connect (connecting needs write permission on the file). Changing
    /// the umask is process-wide and races with every other thread; fchmod before bind is Linux-only and not
    /// in .NET. So the socket is bound inside a fresh directory of mode 0700 beside the final path (nobody
    /// else can reach it there), made 0600, then moved to the final path with a hard link (File.Move without
    /// overwrite: link + unlink, atomic and refusing an existing path). A connection follows the inode, so
    /// the listening socket answers at its new name.
    /// </remarks>
    public static Socket Listen(string socketPath)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the SMT link needs Unix file modes and SOCK_SEQPACKET");
        var full = Path.GetFullPath(socketPath);
        if (File.Exists(full) || Directory.Exists(full)) throw AlreadyExists(socketPath);
        var parent = Path.GetDirectoryName(full) ?? "/";
        // Short: the temporary path must fit in sun_path as the final one does.
        var privateDirectory = Path.Combine(parent, "." + Guid.NewGuid().ToString("N")[..8]);
        var bound = Path.Combine(privateDirectory, "s");
        var socket = NewSocket();
        try
        {
            Directory.CreateDirectory(privateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, SmtArea.OwnerOnly);
            try
            {
                File.Move(bound, full, overwrite: false);
            }
            catch (IOException) when (File.Exists(full))
            {
                throw AlreadyExists(socketPath);
            }
            socket.Listen(ListenBacklog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? AlreadyExists(socketPath).Message
                : $"SMT doorbell socket {socketPath}: cannot listen ({e.SocketErrorCode}: {e.Message})");
        }
        catch (IOException)
        {
            socket.Dispose();
            throw;
        }
        catch (UnauthorizedAccessException e)
        {
            socket.Dispose();
            throw new IOException($"SMT doorbell socket {socketPath}: cannot listen ({e.Message})");
        }
        finally
        {
            try
            {
                if (Directory.Exists(privateDirectory)) Directory.Delete(privateDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: an empty hidden directory left behind harms nobody.
            }
        }
    }

    /// <summary>Connections the kernel holds before the platform accepts them: the agent, and any second one it refuses.</summary>
    private const int ListenBacklog = 4;

    private static IOException AlreadyExists(string socketPath) =>
        new($"SMT doorbell socket {socketPath} already exists (another platform, or a stale one to remove)");

    /// <summary>Starts the receive thread; <paramref name="handler"/> gets every valid doorbell and the end of the link.</summary>
    public void Start(string threadName, ISmtDoorbellHandler handler)
    {
        if (Interlocked.CompareExchange(ref _handler, handler, null) is not null)
            throw new InvalidOperationException("the doorbell is already started");
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    /// <summary>Sends {kind, slot}. False when the link is down (the end is reported through <see cref="Closed"/>).</summary>
    public bool Ring(byte kind, int slot)
    {
        if (_closed.Task.IsCompleted) return false;
        try
        {
            lock (_txLock)
            {
                _tx[0] = kind;
                _tx[1] = (byte)slot;
                return _socket.Send(_tx, SocketFlags.None) == SmtLayout.DoorbellPacketSize;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close(SmtCloseReason.Faulted, $"doorbell send failed: {e.Message}");
            return false;
        }
    }

    /// <summary>Sends arbitrary bytes as one packet: for tests of the peer's protocol checks.</summary>
    public bool SendRaw(ReadOnlySpan<byte> packet)
    {
        try
        {
            lock (_txLock) return _socket.Send(packet, SocketFlags.None) == packet.Length;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void ReceiveLoop()
    {
        var handler = _handler!;
        try
        {
            ReceiveUntilClosed(handler);
        }
        finally
        {
            try
            {
                handler.OnReceiveStopped();
            }
            catch
            {
                // Nothing is left on this thread to report it to; the link is already closed.
            }
        }
    }

    private void ReceiveUntilClosed(ISmtDoorbellHandler handler)
    {
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = _socket.Receive(_rx, SocketFlags.None);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    n = _rx.Length + 1; // a packet longer than the buffer
                }
                if (n == 0)
                {
                    // A zero-length packet reads the same as EOF; either way the link is over.
                    Close(SmtCloseReason.PeerClosed, "EOF on the doorbell: the peer is gone");
                    return;
                }
                if (n != SmtLayout.DoorbellPacketSize)
                {
                    ProtocolError($"a packet of {(n > _rx.Length ? $"more than {_rx.Length}" : n.ToString())} bytes, not 2");
                    return;
                }
                if (_rx[0] != _incomingKind)
                {
                    ProtocolError($"doorbell kind 0x{_rx[0]:X2} (expected 0x{_incomingKind:X2})");
                    return;
                }
                if (!_acceptedSlots[_rx[1]])
                {
                    ProtocolError($"doorbell 0x{_rx[0]:X2} for slot {_rx[1]}, which this link does not use");
                    return;
                }
                handler.OnDoorbell(_rx[1]);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close(SmtCloseReason.Faulted, $"doorbell receive failed: {e.Message}");
        }
        catch (Exception e)
        {
            Close(SmtCloseReason.Faulted, $"doorbell handler threw {e.GetType().Name}: {e.Message}");
        }
    }

    private void ProtocolError(string detail)
    {
        Interlocked.Increment(ref _protocolErrors);
        Close(SmtCloseReason.ProtocolError, "protocol error: " + detail);
    }

    /// <summary>
    /// Ends the link once: the first reason wins. Shutting the socket down wakes the receive thread
    /// (its Receive returns 0) and shows the peer EOF.
    /// </summary>
    public void Close(SmtCloseReason reason, string detail)
    {
        var closed = new SmtLinkClosed(reason, detail);
        if (!_closed.TrySetResult(closed)) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already down: nothing left to wake.
        }
        _handler?.OnClosed(closed);
    }

    /// <summary>Ends the link (reason <see cref="SmtCloseReason.Disposed"/> unless it had ended) and waits for the receive thread.</summary>
    public void Dispose()
    {
        Close(SmtCloseReason.Disposed, "this end was disposed");
        if (_thread is { } thread && thread != Thread.CurrentThread) thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }
}
