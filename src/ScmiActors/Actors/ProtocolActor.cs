using Akka.Actor;
using Akka.Event;
using ScmiActors.Ingestion;
using ScmiActors.Wire;

namespace ScmiActors.Actors;

/// <summary>
/// The bottom half of one registered protocol (Linux's per-protocol work item). Owns the consumer
/// side of the protocol's ring: on <see cref="ProtocolWake"/> it drains a bounded batch, decodes
/// each entry and tells the report to the event's all-sources subscribers, then to the source's,
/// straight from the routing snapshot. Installs snapshots published by event-source actors
/// (<see cref="SetRoute"/> → <see cref="RouteInstalled"/>). For shutdown it answers
/// <see cref="DrainQueue"/> and <see cref="DiscardQueue"/> with <see cref="QueueDrained"/> once
/// nothing is queued or being written. A decoder that throws is counted and escalated so that
/// the handle restarts this actor; the runtime (ring, counters, routes) survives the restart.
/// </summary>
internal sealed class ProtocolActor : ReceiveActor, IWithTimers
{
    private readonly ProtocolRuntime _runtime;
    private readonly int _batch;
    private readonly ILoggingAdapter _log;
    private readonly DecodeContext _context;

    public ProtocolActor(ProtocolRuntime runtime, int batch)
    {
        _runtime = runtime;
        _batch = batch;
        _context = new DecodeContext(runtime.PlatformId, 0, runtime.Description);
        _log = Context.GetLogger().WithContext("Platform", runtime.PlatformId).WithContext("Protocol", $"0x{runtime.Protocol:X2}");

        Receive<ProtocolWake>(_ => OnWake());
        Receive<SetRoute>(OnSetRoute);
        Receive<DrainQueue>(_ =>
        {
            _runtime.DrainRequester = Sender;
            CheckDrained();
        });
        Receive<DiscardQueue>(_ =>
        {
            _runtime.DrainRequester = Sender;
            _runtime.Discarding = true;
            DiscardPublished();
            CheckDrained();
        });
        Receive<RecheckQuiescence>(_ => OnWake());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ProtocolRuntime runtime, int batch) =>
        Akka.Actor.Props.Create(() => new ProtocolActor(runtime, batch));

    protected override void PostRestart(Exception reason)
    {
        // The wake-up flag is still set (the faulting drain never cleared it): resume draining.
        Self.Tell(ProtocolWake.Instance);
        base.PostRestart(reason);
    }

    private void OnWake()
    {
        if (_runtime.Discarding || _runtime.StopDelivery)
        {
            DiscardPublished();
            CheckDrained();
            return;
        }

        var ring = _runtime.Ring;
        var processed = 0;
        while (processed < _batch && ring.TryPeek(out var header, out var timestampNs, out var payload))
        {
            processed++;
            try
            {
                Deliver(ScmiHeader.MessageIdOf(header), payload, timestampNs);
            }
            catch (Exception e)
            {
                _runtime.Counters.DecoderFaults++;
                ring.Release();
                throw new DecoderFaultException(_runtime.Protocol, ScmiHeader.MessageIdOf(header), e);
            }
            ring.Release();
            if (_runtime.StopDelivery) break;
        }

        if (processed == _batch)
            Self.Tell(ProtocolWake.Instance); // more may be waiting: yield to other actors, stay scheduled
        else if (ring.UnscheduleAndRecheck())
            Self.Tell(ProtocolWake.Instance);

        if (_runtime.DrainRequester is not null) CheckDrained();
    }

    private void Deliver(byte eventId, ReadOnlySpan<byte> payload, long timestampNs)
    {
        var counters = _runtime.Counters;
        var descriptor = _runtime.Descriptor.FindEvent(eventId);
        if (descriptor is null)
        {
            // The gate checked the id against this registration; a mismatch is a bug, count it as malformed.
            counters.DecoderFaults++;
            return;
        }

        var result = descriptor.Decode(payload, new DecodeContext(_context.PlatformId, timestampNs, _context.Protocol));
        if (!result.IsSuccess)
        {
            switch (result.Error)
            {
                case DecodeError.PayloadTooShort: counters.MalformedTooShort++; break;
                case DecodeError.PayloadTooLong: counters.MalformedTooLong++; break;
                case DecodeError.SourceOutOfRange: counters.MalformedSourceOutOfRange++; break;
                default: counters.DecoderFaults++; break;
            }
            return;
        }

        counters.Decoded++;
        var report = result.Report!;
        var route = _runtime.Routing.Events[eventId];
        if (route is null)
        {
            counters.Unmatched++;
            return;
        }

        var delivered = 0;
        foreach (var subscriber in route.All)
        {
            subscriber.Tell(report, ActorRefs.NoSender);
            delivered++;
        }
        if (route.BySource.TryGetValue(report.Source, out var subscribers))
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.Tell(report, ActorRefs.NoSender);
                delivered++;
            }
        }
        if (delivered == 0) counters.Unmatched++;
        else counters.Delivered += delivered;
    }

    private void OnSetRoute(SetRoute message)
    {
        _runtime.Routing = _runtime.Routing.With(message.Event, message.Key, message.Subscribers);
        Sender.Tell(new RouteInstalled(message.Ticket));
    }

    private void DiscardPublished()
    {
        var ring = _runtime.Ring;
        while (ring.TryPeek(out _, out _, out _))
        {
            _runtime.Counters.Discarded++;
            ring.Release();
        }
    }

    /// <summary>Drained once the ring is sealed and every write that started was consumed.</summary>
    private void CheckDrained()
    {
        if (_runtime.DrainRequester is null) return;
        if (_runtime.Ring.IsQuiescent)
        {
            _runtime.DrainRequester.Tell(new QueueDrained(_runtime.Protocol, _runtime.Generation));
            _runtime.DrainRequester = null;
            return;
        }
        // A producer reserved space but has not published yet (or the ring is not sealed yet):
        // look again shortly rather than spin.
        if (!Timers.IsTimerActive("recheck"))
            Timers.StartSingleTimer("recheck", RecheckQuiescence.Instance, TimeSpan.FromMilliseconds(1));
    }

    private sealed class RecheckQuiescence
    {
        public static readonly RecheckQuiescence Instance = new();
    }
}

/// <summary>An event-source actor's subscribers for one key; answered with <see cref="RouteInstalled"/>.</summary>
internal sealed record SetRoute(byte Event, SourceKey Key, IActorRef[] Subscribers, long Ticket);

internal sealed record RouteInstalled(long Ticket);

/// <summary>Shutdown: keep delivering until the (sealed) ring is empty, then answer <see cref="QueueDrained"/>.</summary>
internal sealed record DrainQueue
{
    public static readonly DrainQueue Instance = new();
}

/// <summary>Shutdown deadline or deregistration: count what is queued as discarded, deliver nothing more.</summary>
internal sealed record DiscardQueue
{
    public static readonly DiscardQueue Instance = new();
}

internal sealed record QueueDrained(byte Protocol, int Generation);

/// <summary>A decoder threw: the event is counted, and the handle restarts the protocol actor.</summary>
public sealed class DecoderFaultException(byte protocol, byte eventId, Exception inner)
    : Exception($"decoder of protocol 0x{protocol:X2} event {eventId} threw: {inner.Message}", inner)
{
    public byte Protocol { get; } = protocol;
    public byte EventId { get; } = eventId;
}
