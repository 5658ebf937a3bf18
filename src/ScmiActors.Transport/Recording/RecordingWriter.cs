using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace ScmiActors.Transport.Recording;

/// <summary>
/// Writes a recording file (<see cref="RecordingLine"/> format) from any thread without blocking:
/// <see cref="TryRecord"/> copies the message into a pooled buffer and offers it to a bounded channel;
/// a background task formats and writes the lines. When the channel is full the message is dropped and
/// counted (<see cref="Dropped"/>), so a slow disk never stalls a transport's receive path and memory
/// stays bounded. Times are microseconds on a monotonic clock started when the writer was created.
/// <see cref="Dispose"/> writes what is queued, a closing comment with the drop count, and closes the file.
/// One writer per file; it is thread-safe, so commands and received messages share it.
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    /// <summary>Messages waiting to be written before new ones are dropped.</summary>
    public const int DefaultCapacity = 4096;

    private readonly Channel<Entry> _channel;
    private readonly StreamWriter _file;
    private readonly Task _writer;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _recorded, _dropped;
    private int _disposed;

    private RecordingWriter(StreamWriter file, int capacity)
    {
        _file = file;
        _channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once instead of dropping silently
            SingleReader = true,
        });
        _file.WriteLine(RecordingLine.FileHeader);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/>. Throws <see cref="IOException"/> (or UnauthorizedAccessException) when it cannot.</summary>
    public static RecordingWriter Create(string path, int capacity = DefaultCapacity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        return new RecordingWriter(new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" }, capacity);
    }

    /// <summary>Messages handed to the file writer.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Messages dropped because the writer was behind (the channel full) or already disposed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Microseconds since the recording started.</summary>
    public long NowUs => (long)Stopwatch.GetElapsedTime(_start).TotalMicroseconds;

    /// <summary>Records one message. Never blocks, never throws; false when it was dropped (counted).</summary>
    public bool TryRecord(RecordedDirection direction, uint header, ReadOnlySpan<byte> payload)
    {
        var time = NowUs;
        byte[]? buffer = null;
        try
        {
            buffer = payload.IsEmpty ? [] : ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(buffer);
            if (_channel.Writer.TryWrite(new Entry(time, direction, header, buffer, payload.Length, null)))
            {
                Interlocked.Increment(ref _recorded);
                return true;
            }
        }
        catch (Exception)
        {
            // A receive path must not throw: whatever failed, the message is only not recorded.
        }
        if (buffer is { Length: > 0 }) ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Records a comment line (<c># T_US text</c>), e.g. the link's loss. Never blocks, never throws.</summary>
    public bool TryComment(string text)
    {
        try
        {
            return _channel.Writer.TryWrite(new Entry(NowUs, default, 0, [], 0, text.ReplaceLineEndings(" ")));
        }
        catch (Exception)
        {
            return false;
        }
    }

    private async Task WriteLoopAsync()
    {
        var line = new StringBuilder(256);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                line.Clear();
                if (entry.Comment is { } comment)
                {
                    line.Append("# ").Append(entry.TimeUs).Append(' ').Append(comment);
                }
                else
                {
                    RecordingLine.Append(line, entry.TimeUs, entry.Direction, entry.Header, entry.Buffer.AsSpan(0, entry.Length));
                    if (entry.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(entry.Buffer);
                }
                _file.WriteLine(line);
            }
            // Flushed whenever the queue runs dry, so a crashed process leaves all but the last burst on disk.
            await _file.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes everything queued, a closing comment with the drop count, and closes the file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _channel.Writer.TryComplete();
        try
        {
            _writer.GetAwaiter().GetResult();
            // Written after the queue, so a full queue cannot drop the one line that says what it dropped.
            _file.WriteLine($"# {NowUs} end: {Recorded} recorded, {Dropped} dropped");
        }
        finally
        {
            _file.Dispose();
        }
    }

    private readonly record struct Entry(long TimeUs, RecordedDirection Direction, uint Header, byte[] Buffer, int Length, string? Comment);
}
