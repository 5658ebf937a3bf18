using Akka.Actor;
using Akka.Event;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Dispatch;

/// <summary>
/// The bottom half of one registered protocol (Linux's per-protocol work item). Owns the consumer
/// side of the protocol's ring: on <see cref="ProtocolWake"/> it drains a bounded batch, decodes
/// each entry and tells the report to the event's all-sources subscribers, then to the source's,
/// straight from the routing snapshot. Installs snapshots published by event-source actors
/// (<see cref="SetRoute"/> → <see cref="RouteInstalled"/>). For shutdown it answers
/// <see cref="DrainQueue"/> and <see cref="DiscardQueue"/> with <see cref="QueueDrained"/> once
/// nothing is queued or being written. A decoder that throws is counted and escalated so that
/// the handle restarts this actor; the runtime (ring, counters, routes) survives the restart.
/// <para>Back-pressure: it stops draining while a subscriber is a whole delivery window behind and
/// resumes when the subscriber answers a marker (<see cref="ActorIdentity"/>; see
/// <see cref="DeliveryWindows"/>). A subscriber that keeps its window shut for the stall timeout is
/// warned about and delivered to without a window until it answers again, so one wedged
/// subscriber cannot stop a protocol for good.</para>
/// </summary>
internal sealed class ProtocolActor : ReceiveActor, IWithTimers
{
    private readonly ProtocolRuntime _runtime;
    private readonly int _batch;
    private readonly ILoggingAdapter _log;
    private readonly DecodeContext _context;
    private readonly DeliveryWindows _windows;
    private readonly TimeSpan _stallTimeout;
    private bool _waiting; // a shut window stopped the drain: an answered marker resumes it
    private readonly HashSet<SubscriberFlow> _stalled = []; // exempted, for the "catching up" log line

    public ProtocolActor(ProtocolRuntime runtime, int batch, TimeSpan stallTimeout)
    {
        _runtime = runtime;
        _batch = batch;
        _windows = runtime.Windows;
        _stallTimeout = stallTimeout;
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
        Receive<ActorIdentity>(OnMarkerAnswered);
        Receive<CheckStalls>(_ => OnCheckStalls());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ProtocolRuntime runtime, int batch, TimeSpan stallTimeout) =>
        Akka.Actor.Props.Create(() => new ProtocolActor(runtime, batch, stallTimeout));

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

        // A shutdown drain delivers what the sealed (so bounded) ring holds without waiting for slow
        // subscribers: accepted events go to their mailboxes instead of being discarded at the deadline.
        var windowed = _runtime.DrainRequester is null;
        if (!windowed && _waiting) StopWaiting();

        var ring = _runtime.Ring;
        var processed = 0;
        while (processed < _batch && (!windowed || _windows.Blocked == 0) && ring.TryPeek(out var header, out var timestampNs, out var payload))
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
        ring.ReturnReleased(); // room for the producers before this actor yields or waits

        switch (DrainTurn.Next(processed, _batch, windowShut: windowed && _windows.Blocked > 0))
        {
            case AfterDrain.Wait:
                StartWaiting(); // stay "scheduled" so the gate sends no wake-ups; an answered marker resumes
                break;
            case AfterDrain.Yield or AfterDrain.Linger:
                Self.Tell(ProtocolWake.Instance); // still scheduled: behind the other actors' turns (fair draining)
                break;
            case AfterDrain.Unschedule:
                if (ring.UnscheduleAndRecheck()) Self.Tell(ProtocolWake.Instance);
                break;
        }

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
        foreach (var flow in route.All)
        {
            Send(flow, report);
            delivered++;
        }
        if (route.BySource.TryGetValue(report.Source, out var subscribers))
        {
            foreach (var flow in subscribers)
            {
                Send(flow, report);
                delivered++;
            }
        }
        if (delivered == 0) counters.Unmatched++;
        else counters.Delivered += delivered;
    }

    private void Send(SubscriberFlow flow, ScmiReport report)
    {
        flow.Subscriber.Tell(report, ActorRefs.NoSender);
        // The marker goes after the report, so its answer means the report was processed.
        if (_windows.Delivered(flow) is { } marker) flow.Subscriber.Tell(marker, Self);
    }

    private void OnSetRoute(SetRoute message)
    {
        var flows = new SubscriberFlow[message.Subscribers.Length];
        for (var i = 0; i < flows.Length; i++) flows[i] = _windows.For(message.Subscribers[i]);
        _runtime.Routing = _runtime.Routing.With(message.Event, message.Key, flows);
        // A subscriber that is no longer routed (unsubscribed, terminated) no longer holds the drain.
        var routed = _runtime.Routing.Routed();
        _windows.RetainOnly(routed);
        _stalled.RemoveWhere(f => !routed.Contains(f));
        Sender.Tell(new RouteInstalled(message.Ticket));
        ResumeIfOpen();
    }

    // ---- delivery windows ------------------------------------------------------------------------

    private void StartWaiting()
    {
        if (_waiting) return;
        _waiting = true;
        _runtime.Counters.SubscriberWaits++;
        ArmStallCheck();
    }

    private void OnMarkerAnswered(ActorIdentity answer)
    {
        var flow = _windows.Answered(answer.MessageId);
        if (flow is { Exempt: false } && _stalled.Remove(flow))
            _log.Info("Subscriber {Subscriber} is processing deliveries again; its delivery window applies again", flow.Subscriber.Path);
        ResumeIfOpen();
    }

    private void ResumeIfOpen()
    {
        if (!_waiting || _windows.Blocked > 0) return;
        StopWaiting();
        OnWake();
    }

    private void StopWaiting()
    {
        _waiting = false;
        Timers.Cancel("stalls");
    }

    private void ArmStallCheck()
    {
        if (_windows.OldestBlockedAtNs() is not { } oldest || Timers.IsTimerActive("stalls")) return;
        var waitedNs = ScmiClock.NowNs() - oldest;
        var remaining = _stallTimeout - TimeSpan.FromTicks(Math.Max(0, waitedNs) / 100);
        Timers.StartSingleTimer("stalls", CheckStalls.Instance, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
    }

    private void OnCheckStalls()
    {
        var cutoff = ScmiClock.NowNs() - (long)(_stallTimeout.TotalMilliseconds * 1e6);
        foreach (var flow in _windows.ExemptStalled(cutoff))
        {
            _runtime.Counters.SubscriberStalls++;
            _stalled.Add(flow);
            _log.Warning("Subscriber {Subscriber} has not processed its deliveries for {Timeout}; delivering to it without a window until it catches up",
                flow.Subscriber.Path, _stallTimeout);
        }
        if (_windows.Blocked > 0) ArmStallCheck();
        else ResumeIfOpen();
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

    private sealed class CheckStalls
    {
        public static readonly CheckStalls Instance = new();
    }
}

/// <summary>An event-source actor's subscribers for one key; answered with <see cref="RouteInstalled"/>.</summary>
internal sealed record SetRoute(byte Event, SourceSelector Key, IActorRef[] Subscribers, long Ticket);

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
