using Akka.Actor;
using ScmiActors.Benchmarks.Load;
using ScmiActors.Ingestion;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>
/// Posts one raw notification into a platform's gate through its in-memory transport, as the load
/// generator's ScmiActors variant does: <see cref="InMemoryTransport.PlatformEnd.Send"/> without a
/// timestamp, so the gate stamps it (the latency runs from that stamp to the subscriber).
/// </summary>
public sealed class GatePoster(string name, InMemoryTransport.PlatformEnd end, Events.Raw raw) : Poster
{
    private readonly uint _header = raw.Header;
    private readonly byte[] _payload = raw.Payload;

    public override string Name => name;

    public override bool TryPost(int stream) => end.Send(_header, _payload) switch
    {
        IngestResult.Queued => true,
        IngestResult.DroppedQueueFull => false,
        var other => throw new InvalidOperationException($"gate answered {other}"),
    };
}

/// <summary>
/// The bare Akka remoting floor: the producer decodes the raw notification itself (stamping it as
/// the gate would) and tells the report straight to an actor on the other node, one hop with no
/// ring, no protocol actor and no routing. Bounded by the same window ScmiActors uses: an Identify
/// marker after every quarter of <see cref="Window"/> reports, and no post while four markers are
/// unanswered, so the sender cannot run ahead of the subscriber by more than a window.
/// </summary>
public sealed class AkkaRemotePoster : Poster
{
    public const int Window = 1024; // scmi.subscriber-window's default
    private const int Marks = ScmiSettings.MinSubscriberWindow;
    private const int MarkEvery = Window / Marks;

    private readonly IActorRef _target;
    private readonly IActorRef _acks;
    private readonly AckCount _answered;
    private readonly PlatformDecoder _decoder;
    private readonly uint _header;
    private readonly byte[] _payload;
    private long _unmarked;
    private long _marksSent;

    public AkkaRemotePoster(ActorSystem system, IActorRef target, PlatformDecoder decoder, Events.Raw raw)
    {
        _target = target;
        _decoder = decoder;
        _header = raw.Header;
        _payload = raw.Payload;
        _answered = new AckCount();
        _acks = system.ActorOf(Props.Create(() => new AckActor(_answered)), "akka-remote-acks");
    }

    public override string Name => "akka-remote";

    public override bool TryPost(int stream)
    {
        if (_marksSent - _answered.Value >= Marks) return false;
        var result = _decoder.Decode(_header, _payload, ScmiClock.NowNs());
        if (!result.IsSuccess) throw new InvalidOperationException($"decode failed: {result}");
        _target.Tell(result.Report!, ActorRefs.NoSender);
        if (++_unmarked == MarkEvery)
        {
            _unmarked = 0;
            _marksSent++;
            _target.Tell(new Identify(_marksSent), _acks);
        }
        return true;
    }

    private sealed class AckCount
    {
        private long _value;
        public long Value => Volatile.Read(ref _value);
        public void Set(long value) => Volatile.Write(ref _value, value);
    }

    /// <summary>Receives the markers' answers (Akka answers Identify for every actor) and publishes the highest.</summary>
    private sealed class AckActor(AckCount answered) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is ActorIdentity { MessageId: long seq } && seq > answered.Value) answered.Set(seq);
        }
    }
}
