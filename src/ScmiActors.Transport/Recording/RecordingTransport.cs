namespace ScmiActors.Transport.Recording;

/// <summary>
/// An <see cref="IScmiTransport"/> decorator that records every message on the link in the
/// <see cref="RecordingLine"/> format: each command before it is handed to the wrapped transport
/// (<c>a2p</c>), each response, delayed response and notification the wrapped transport posts (<c>p2a</c>)
/// before it reaches the receiver. The receive path only copies into a <see cref="RecordingWriter"/>'s
/// bounded queue (never blocks, never throws; drops are counted there); <see cref="IScmiReceiver.TransportLost"/>
/// is forwarded and noted as a comment. Otherwise it behaves exactly as the wrapped transport: same
/// answers, same exceptions, same results from the receiver.
/// Wiring <c>--record FILE</c>: <c>transport = RecordingTransport.Wrap(transport, path)</c>, one file per
/// platform (a recording is one link); disposing it flushes and closes the file, then disposes the wrapped
/// transport when it is disposable.
/// </summary>
public sealed class RecordingTransport : IScmiTransport, IDisposable
{
    private readonly bool _ownsWriter;
    private int _disposed;

    public RecordingTransport(IScmiTransport inner, RecordingWriter writer, bool ownsWriter = false)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _ownsWriter = ownsWriter;
    }

    /// <summary>Wraps <paramref name="inner"/> with a new recording at <paramref name="path"/> that this transport owns.</summary>
    public static RecordingTransport Wrap(IScmiTransport inner, string path, int capacity = RecordingWriter.DefaultCapacity) =>
        new(inner, RecordingWriter.Create(path, capacity), ownsWriter: true);

    /// <summary>
    /// The file of one platform when a run records several (a recording is one link): the id inserted before
    /// the extension, kept to file-name-safe characters, e.g. <c>run.rec</c> → <c>run-soc0.rec</c>.
    /// </summary>
    public static string PathFor(string path, string platformId)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        var safe = string.Concat(platformId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        var extension = Path.GetExtension(path);
        return string.Concat(path.AsSpan(0, path.Length - extension.Length), "-", safe, extension);
    }

    /// <summary>The wrapped transport (for its own statistics).</summary>
    public IScmiTransport Inner { get; }

    public RecordingWriter Writer { get; }

    public bool HasCommandPath => Inner.HasCommandPath;

    public Task ConnectAsync(CancellationToken cancellationToken) => Inner.ConnectAsync(cancellationToken);

    public void Attach(IScmiReceiver receiver) => Inner.Attach(new Tap(receiver ?? throw new ArgumentNullException(nameof(receiver)), Writer));

    public void Detach() => Inner.Detach();

    public void SendCommand(uint header, ReadOnlySpan<byte> payload)
    {
        // Recorded first, so its line precedes the response's even when the answer is quick.
        Writer.TryRecord(RecordedDirection.A2P, header, payload);
        try
        {
            Inner.SendCommand(header, payload);
        }
        catch (Exception e)
        {
            Writer.TryComment($"a2p 0x{header:x8} not sent: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    /// <summary>Flushes and closes the recording (when owned), then disposes the wrapped transport if it is disposable.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // The link first: nothing is posted to the writer once it is closed.
        (Inner as IDisposable)?.Dispose();
        if (_ownsWriter) Writer.Dispose();
    }

    /// <summary>The receiver the wrapped transport posts to: records, then forwards.</summary>
    private sealed class Tap(IScmiReceiver receiver, RecordingWriter writer) : IScmiReceiver
    {
        public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs)
        {
            writer.TryRecord(RecordedDirection.P2A, header, payload);
            return receiver.Post(header, payload, timestampNs);
        }

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
        {
            writer.TryRecord(RecordedDirection.P2A, header, payload);
            return receiver.Post(header, payload);
        }

        public void TransportLost(string reason)
        {
            writer.TryComment($"transport lost: {reason}");
            receiver.TransportLost(reason);
        }
    }
}
