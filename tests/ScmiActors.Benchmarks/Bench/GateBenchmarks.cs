using Akka.Actor;
using BenchmarkDotNet.Attributes;
using ScmiActors.Ingestion;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Bench;

/// <summary>
/// IngestionGate.Post on a ring with room. A ring never drains on its own, so every measured
/// operation is one Post plus the consumer's TryPeek/Release of that entry; <see cref="RingWriteAndConsume"/>
/// is the same without the gate, so the gate's own share is the difference. Variants: the wake-up already pending
/// (the common case under load), a wake-up on every post (the idle-consumer case; told to Nobody, or
/// to a real actor that clears the flag as the protocol actor does),
/// the full ring (drop-newest), and an unknown protocol. No variant may allocate.
/// </summary>
[MemoryDiagnoser]
public class GateBenchmarks
{
    private IngestionGate _gate = null!, _wakingGate = null!, _actorWakingGate = null!, _fullGate = null!, _limitedGate = null!;
    private ProtocolRing _ring = null!, _wakingRing = null!, _actorWakingRing = null!, _fullRing = null!;
    private ActorSystem _system = null!;
    private readonly uint _header = ScmiHeader.Notification(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged);
    private readonly uint _unknownHeader = ScmiHeader.Notification(0x42, 0);
    private readonly byte[] _payload = Events.PerfLevel(1).Payload;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("gate-bench", "akka.loglevel = WARNING");

        (_gate, _ring) = NewGate(_ => ActorRefs.Nobody);
        _ring.TrySchedule(); // a wake-up is pending: Post only reads the flag

        (_wakingGate, _wakingRing) = NewGate(_ => ActorRefs.Nobody);
        (_actorWakingGate, _actorWakingRing) = NewGate(ring => _system.ActorOf(Props.Create(() => new Waker(ring)), "waker"));

        (_fullGate, _fullRing) = NewGate(_ => ActorRefs.Nobody);
        _fullRing.TrySchedule();
        while (_fullGate.Post(_header, _payload, 1) == IngestResult.Queued) { }

        // A storm guard of 1 event/s whose burst is used up: every post is a rate-limited drop.
        _limitedGate = new IngestionGate("bench", (_, _) => { });
        var limitedRing = new ProtocolRing(ProtocolDescriptor.DefaultQueueBytes);
        limitedRing.TrySchedule();
        _limitedGate.Install(new GateSlot([16, 12], new ProtocolCounters(ScmiProtocolId.Perf, limitedRing), ActorRefs.Nobody, new RateLimiter(1)));
        _limitedGate.Open();
        while (_limitedGate.Post(_header, _payload, 1) == IngestResult.Queued) { }

        // Warm-up: the first passes over every slot.
        for (var i = 0; i < 2 * _ring.Capacity; i++) PostAndConsumeWakePending();
        for (var i = 0; i < 2 * _wakingRing.Capacity; i++) PostAndConsumeWithWake();
        for (var i = 0; i < 2 * _actorWakingRing.Capacity; i++) PostAndConsumeWakingAnActor();
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>A running gate with the perf protocol installed on a ring of the default 4096-byte budget.</summary>
    private static (IngestionGate, ProtocolRing) NewGate(Func<ProtocolRing, IActorRef> consumer)
    {
        var gate = new IngestionGate("bench", (_, _) => { });
        var ring = new ProtocolRing(ProtocolDescriptor.DefaultQueueBytes);
        gate.Install(new GateSlot([16, 12], new ProtocolCounters(ScmiProtocolId.Perf, ring), consumer(ring)));
        gate.Open();
        return (gate, ring);
    }

    [Benchmark(Baseline = true)]
    public IngestResult PostAndConsumeWakePending()
    {
        var result = _gate.Post(_header, _payload, 1);
        _ring.TryPeek(out _, out _, out _);
        _ring.Release();
        return result;
    }

    /// <summary>With the clock read a transport does (ScmiClock.NowNs).</summary>
    [Benchmark]
    public IngestResult PostTimestampedAndConsume()
    {
        var result = _gate.Post(_header, _payload, ScmiClock.NowNs());
        _ring.TryPeek(out _, out _, out _);
        _ring.Release();
        return result;
    }

    /// <summary>Stamped by the gate (Post without a timestamp): the same single clock read, taken inside.</summary>
    [Benchmark]
    public IngestResult PostStampedAtGateAndConsume()
    {
        var result = _gate.Post(_header, _payload);
        _ring.TryPeek(out _, out _, out _);
        _ring.Release();
        return result;
    }

    /// <summary>
    /// The flag is cleared after each entry, so every Post sends the wake-up: the gate's share of
    /// the wake path (flag CAS and the Tell call), told to ActorRefs.Nobody so no mailbox is involved.
    /// </summary>
    [Benchmark]
    public IngestResult PostAndConsumeWithWake()
    {
        var result = _wakingGate.Post(_header, _payload, 1);
        _wakingRing.TryPeek(out _, out _, out _);
        _wakingRing.Release();
        _wakingRing.UnscheduleAndRecheck();
        return result;
    }

    /// <summary>
    /// Wake-ups go to a real actor that clears the flag when it handles one (as the protocol actor
    /// does): a Post tells only when the previous wake-up was handled, so at most one is in flight.
    /// Includes Akka's enqueue and mailbox scheduling whenever a wake-up is sent.
    /// </summary>
    [Benchmark]
    public IngestResult PostAndConsumeWakingAnActor()
    {
        var result = _actorWakingGate.Post(_header, _payload, 1);
        if (_actorWakingRing.TryPeek(out _, out _, out _)) _actorWakingRing.Release();
        return result;
    }

    /// <summary>The ring alone (TryWrite, TryPeek, Release) without the gate's checks: Post's share is the difference.</summary>
    [Benchmark]
    public bool RingWriteAndConsume()
    {
        _ring.TryWrite(_header, _payload, 1);
        var ok = _ring.TryPeek(out _, out _, out _);
        _ring.Release();
        return ok;
    }

    [Benchmark]
    public IngestResult PostQueueFull() => _fullGate.Post(_header, _payload, 1);

    /// <summary>A post over the protocol's rate limit: what each notification of a storm costs once the guard is on.</summary>
    [Benchmark]
    public IngestResult PostRateLimited() => _limitedGate.Post(_header, _payload, 1);

    /// <summary>The same with a transport's clock read as the timestamp: two clock reads per post.</summary>
    [Benchmark]
    public IngestResult PostRateLimitedTimestamped() => _limitedGate.Post(_header, _payload, ScmiClock.NowNs());

    /// <summary>Stamped by the gate: the guard uses the stamp's clock read, one per post.</summary>
    [Benchmark]
    public IngestResult PostRateLimitedStampedAtGate() => _limitedGate.Post(_header, _payload);

    [Benchmark]
    public IngestResult PostUnknownProtocol() => _gate.Post(_unknownHeader, _payload, 1);

    private sealed class Waker(ProtocolRing ring) : UntypedActor
    {
        protected override void OnReceive(object message) => ring.UnscheduleAndRecheck();
    }
}
