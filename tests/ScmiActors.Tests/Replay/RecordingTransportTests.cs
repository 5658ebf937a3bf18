using ScmiActors.Transport;
using ScmiActors.Transport.Recording;
using Xunit;

namespace ScmiActors.Tests.Replay;

/// <summary>The recording decorator: both directions written in order, the wrapped transport's behaviour kept, the loss forwarded, drops counted.</summary>
public sealed class RecordingTransportTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"scmi-recording-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Commands_and_received_messages_are_written_in_order_and_the_receivers_answers_are_kept()
    {
        var inner = new FakeTransport();
        var receiver = new AnsweringReceiver(IngestResult.DroppedQueueFull);
        using (var transport = RecordingTransport.Wrap(inner, _file))
        {
            transport.Attach(receiver);
            transport.SendCommand(0x00084c0a, [0, 0, 0, 0, 1, 0, 0, 0]);
            Assert.Equal((0x00084c0au, "0000000001000000"), (inner.Sent.Single().Header, Convert.ToHexStringLower(inner.Sent.Single().Payload)));
            Assert.Equal(IngestResult.DroppedQueueFull, inner.Receiver!.Post(0x00084c0a, [0, 0, 0, 0]));
            Assert.Equal(IngestResult.DroppedQueueFull, inner.Receiver.Post(0x00004f01, [1, 0, 0, 0], 123));
            inner.Receiver.TransportLost("end of file");
            Assert.Equal(["end of file"], receiver.Losses);
            Assert.Equal(2, receiver.Posts);
        }
        Assert.True(inner.Disposed, "the wrapped transport is disposed with the decorator");

        var lines = File.ReadAllLines(_file);
        Assert.Equal(RecordingLine.FileHeader, lines[0]);
        var messages = lines.Where(l => !RecordingLine.IsComment(l)).Select(l =>
        {
            Assert.True(RecordingLine.TryParse(l, out var m, out var error), error);
            return m;
        }).ToList();
        Assert.Equal([(RecordedDirection.A2P, 0x00084c0au), (RecordedDirection.P2A, 0x00084c0au), (RecordedDirection.P2A, 0x00004f01u)],
            messages.Select(m => (m.Direction, m.Header)));
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.TimeUs <= p.Second.TimeUs), "times are monotonic");
        Assert.Contains(lines, l => l.StartsWith('#') && l.EndsWith("transport lost: end of file"));
        Assert.EndsWith("end: 3 recorded, 0 dropped", lines[^1]);
    }

    [Fact]
    public void A_refused_command_throws_as_before_and_is_noted()
    {
        var inner = new FakeTransport { Refuse = true };
        using (var transport = RecordingTransport.Wrap(inner, _file))
        {
            Assert.Equal("link down", Assert.Throws<IOException>(() => transport.SendCommand(0x00004000, [])).Message);
            Assert.Equal(inner.HasCommandPath, transport.HasCommandPath);
        }
        Assert.Contains(File.ReadAllLines(_file), l => l.StartsWith('#') && l.Contains("not sent: IOException: link down"));
    }

    [Fact]
    public void After_dispose_a_message_is_dropped_and_counted_without_throwing()
    {
        var writer = RecordingWriter.Create(_file);
        writer.Dispose();
        Assert.False(writer.TryRecord(RecordedDirection.P2A, 0x00004f01, [1, 2, 3, 4]));
        Assert.Equal((0L, 1L), (writer.Recorded, writer.Dropped));
    }

    [Fact]
    public void Several_platforms_record_one_file_each_named_after_the_platform()
    {
        Assert.Equal("/tmp/run-soc0.rec", RecordingTransport.PathFor("/tmp/run.rec", "soc0"));
        Assert.Equal("/tmp/run-a_b", RecordingTransport.PathFor("/tmp/run", "a/b"));
    }

    private sealed class FakeTransport : IScmiTransport, IDisposable
    {
        public List<(uint Header, byte[] Payload)> Sent { get; } = [];
        public IScmiReceiver? Receiver { get; private set; }
        public bool Refuse { get; init; }
        public bool Disposed { get; private set; }
        public bool HasCommandPath => true;
        public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Attach(IScmiReceiver receiver) => Receiver = receiver;
        public void Detach() => Receiver = null;

        public void SendCommand(uint header, ReadOnlySpan<byte> payload)
        {
            if (Refuse) throw new IOException("link down");
            Sent.Add((header, payload.ToArray()));
        }

        public void Dispose() => Disposed = true;
    }

    private sealed class AnsweringReceiver(IngestResult answer) : IScmiReceiver
    {
        public int Posts { get; private set; }
        public List<string> Losses { get; } = [];
        public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
        {
            Posts++;
            return answer;
        }

        public void TransportLost(string reason) => Losses.Add(reason);
    }
}
