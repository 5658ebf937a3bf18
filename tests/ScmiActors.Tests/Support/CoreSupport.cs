using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using ScmiActors.Ingestion;
using ScmiActors.Transport;
using ScmiActors.Wire;
using static ScmiActors.Wire.Protocols.Payload;

namespace ScmiActors.Tests.Support;

/// <summary>Changes one protocol of a description (e.g. <c>CannotNotify</c> or <c>QueueBytes</c>).</summary>
public static class DescriptionExtensions
{
    public static PlatformDescription WithProtocol(this PlatformDescription description, byte protocol,
        Func<PlatformProtocol, PlatformProtocol> change) =>
        description with { Protocols = description.Protocols.SetItem(protocol, change(description.Protocols[protocol])) };

    public static PlatformDescription WithProtocol(this PlatformDescription description, PlatformProtocol protocol) =>
        description with { Protocols = description.Protocols.SetItem(protocol.ProtocolId, protocol) };

    /// <summary>CannotNotify = { eventId → sources }.</summary>
    public static PlatformProtocol CannotNotifyFor(this PlatformProtocol protocol, byte eventId, params uint[] sources) =>
        protocol with
        {
            CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(eventId, ImmutableHashSet.Create(sources)),
        };
}

/// <summary>
/// Wraps a transport and remembers the gate the handle attaches, so a test can post straight into
/// the gate (and so have every post counted by it, even after the handle detached).
/// </summary>
public sealed class GateCapturingTransport(IScmiTransport inner) : IScmiTransport
{
    private volatile IngestionGate? _gate;

    public IngestionGate? Gate => _gate;

    public bool HasCommandPath => inner.HasCommandPath;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    /// <summary>The handle attaches its <see cref="IngestionGate"/>, which tests post to and read counters of.</summary>
    public void Attach(IScmiReceiver receiver)
    {
        _gate = (IngestionGate)receiver;
        inner.Attach(receiver);
    }

    public void Detach() => inner.Detach();

    public void SendCommand(uint header, ReadOnlySpan<byte> payload) => inner.SendCommand(header, payload);
}

/// <summary>The report of the test vendor protocol: payload agent_id, source, value.</summary>
public sealed record VendorTestReport(string PlatformId, byte ProtocolId, long TimestampNs, uint AgentId, uint SourceId, uint Value)
    : ScmiReport(PlatformId, ProtocolId, 0, SourceId, TimestampNs, AgentId);

/// <summary>
/// A vendor protocol for tests, plugged in through the same descriptor interface as the standard
/// ones: one event (id 0, exactly 12 bytes: agent_id, source, value), NOTIFY message 0x7 with
/// (source, enable). The decoder calls a hook with the value first, which may throw or block.
/// </summary>
public static class TestVendor
{
    public const byte Id = 0x90;
    public const string EventName = "TEST_VENDOR_EVENT";
    public const byte NotifyMessageId = 0x7;

    public static ProtocolDescriptor Descriptor(Action<uint>? onDecode = null, byte id = Id) => new(id, $"test-vendor-{id:x2}",
    [
        new EventDescriptor(id, 0, EventName, 12, NotifyMessageId,
            (ReadOnlySpan<byte> p, in DecodeContext c) =>
            {
                if (!IsExactly(p, 12, EventName, out var bad)) return bad;
                var source = U32(p, 4);
                if (!InRange(source, c.Protocol.SourceCount, EventName, out bad)) return bad;
                var value = U32(p, 8);
                onDecode?.Invoke(value);
                return DecodeResult.Ok(new VendorTestReport(c.PlatformId, id, c.TimestampNs, U32(p, 0), source, value));
            },
            NotifyPerSource),
    ]);

    public static PlatformProtocol Description(uint sources = 4, int? queueBytes = null, byte id = Id) =>
        PlatformProtocol.Create(id, new ProtocolVersion(1, 0), sources) with { QueueBytes = queueBytes };

    public static uint Header(byte id = Id) => ScmiHeader.Notification(id, 0);

    public static byte[] Payload(uint source, uint value, uint agent = 0) => TestPlatforms.Words(agent, source, value);
}

/// <summary>
/// A decoder hook that blocks on one value until released: the protocol actor is then stuck in
/// decode with that entry still in its ring, which makes queue-full and ordering scenarios exact.
/// </summary>
public sealed class DecoderGate : IDisposable
{
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _release = new();

    public DecoderGate(uint blockOn) => BlockOn = blockOn;

    public uint BlockOn { get; }

    /// <summary>Throws for this value (a buggy vendor decoder), if set.</summary>
    public uint? ThrowOn { get; init; }

    public void OnDecode(uint value)
    {
        if (ThrowOn == value) throw new InvalidOperationException($"test decoder refuses value {value}");
        if (value != BlockOn) return;
        _entered.Set();
        // Bounded, so a failing test never leaves a dispatcher thread stuck for good.
        _release.Wait(TimeSpan.FromSeconds(20));
    }

    public bool WaitEntered(TimeSpan timeout) => _entered.Wait(timeout);

    public void Release() => _release.Set();

    public void Dispose() => Release();
}

/// <summary>Counts <see cref="IngestResult"/>s by outcome; thread-safe.</summary>
public sealed class OutcomeCounter
{
    private readonly long[] _counts = new long[Enum.GetValues<IngestResult>().Length];

    public void Add(IngestResult result) => Interlocked.Increment(ref _counts[(int)result]);

    public long this[IngestResult result] => Volatile.Read(ref _counts[(int)result]);

    public long Total => Enumerable.Range(0, _counts.Length).Sum(i => Volatile.Read(ref _counts[i]));

    public override string ToString() =>
        string.Join(", ", Enum.GetValues<IngestResult>().Select(r => $"{r}={this[r]}"));
}

/// <summary>
/// A thread that keeps posting raw messages (as a platform's ISR would) until stopped, counting
/// every result; it records any exception instead of dying silently.
/// </summary>
public sealed class PostingThread
{
    private readonly Thread _thread;
    private volatile bool _stop;

    /// <param name="post">Posts the i-th message and returns the gate's answer.</param>
    /// <param name="until">Checked after <see cref="Stop"/>: keep posting while it is false (e.g. until a NotRunning was seen).</param>
    public PostingThread(Func<long, IngestResult> post, Func<OutcomeCounter, bool>? until = null)
    {
        _thread = new Thread(() =>
        {
            try
            {
                long i = 0;
                while (!_stop || (until is not null && !until(Counts)))
                {
                    Counts.Add(post(i++));
                    if ((i & 63) == 0) Thread.Yield();
                }
            }
            catch (Exception e)
            {
                Error = e;
            }
        }) { IsBackground = true, Name = "test-isr" };
    }

    public OutcomeCounter Counts { get; } = new();

    public Exception? Error { get; private set; }

    public PostingThread Start()
    {
        _thread.Start();
        return this;
    }

    /// <summary>Stops posting and waits for the thread to end.</summary>
    public void Stop()
    {
        _stop = true;
        if (!_thread.Join(TimeSpan.FromSeconds(10))) throw new TimeoutException("posting thread did not stop");
    }
}

/// <summary>A subscriber that only counts the reports it gets (for floods, where a probe would hoard them).</summary>
public sealed class CountingSubscriber : ReceiveActor
{
    public CountingSubscriber(System.Runtime.CompilerServices.StrongBox<long> count)
    {
        Receive<ScmiReport>(_ => Interlocked.Increment(ref count.Value));
        ReceiveAny(_ => { });
    }

    public static Props Props(System.Runtime.CompilerServices.StrongBox<long> count) =>
        Akka.Actor.Props.Create(() => new CountingSubscriber(count));
}

/// <summary>
/// An actor reference without a mailbox: a tell runs <paramref name="onMessage"/> on the teller's
/// thread, during the tell. Subscribed to the EventStream it observes exactly when a log line is
/// written, in the middle of the writing actor's message handling.
/// </summary>
public sealed class CallbackActorRef(ActorPath path, IActorRefProvider provider, Action<object> onMessage) : MinimalActorRef
{
    public override ActorPath Path => path;

    public override IActorRefProvider Provider => provider;

    protected override void TellInternal(object message, IActorRef sender) => onMessage(message);

    public static CallbackActorRef Create(ActorSystem system, string name, Action<object> onMessage)
    {
        var provider = ((ExtendedActorSystem)system).Provider;
        return new CallbackActorRef(new RootActorPath(provider.DefaultAddress) / "temp" / name, provider, onMessage);
    }
}
