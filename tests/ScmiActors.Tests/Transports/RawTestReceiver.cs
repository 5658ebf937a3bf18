using System.Buffers.Binary;
using System.Threading.Channels;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Tests.Transports;

/// <summary>One message as the transport posted it.</summary>
internal sealed record RawPost(uint Header, byte[] Payload)
{
    /// <summary>Header and payload as they were on the wire.</summary>
    public byte[] Bytes
    {
        get
        {
            var bytes = new byte[4 + Payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, Header);
            Payload.CopyTo(bytes, 4);
            return bytes;
        }
    }
}

/// <summary>A receiver that records every post (copied, since the span is the transport's buffer) for the test to await.</summary>
internal sealed class RawTestReceiver : IScmiReceiver
{
    private readonly Channel<RawPost> _posts = Channel.CreateUnbounded<RawPost>();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
    {
        Interlocked.Increment(ref _count);
        _posts.Writer.TryWrite(new RawPost(header, payload.ToArray()));
        return ScmiHeader.TypeOf(header) == MessageType.Notification ? IngestResult.Queued : IngestResult.NotANotification;
    }

    public async Task<RawPost> NextAsync(TimeSpan bound) => await _posts.Reader.ReadAsync().AsTask().WaitAsync(bound);
}
