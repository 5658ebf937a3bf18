using Akka.Actor;
using Akka.Event;
using ScmiActors.Dispatch;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Subscriptions;

/// <summary>
/// The control plane of one (event, all sources). Its first subscriber makes it take a hold on
/// every source the platform says can notify (through the handle, which forwards each hold to
/// that source's <see cref="EventSourceActor"/>); it binds if at least one source enabled, as
/// Linux does, and remembers exactly which sources it holds, so releasing never touches a source
/// it did not enable. Publishes its subscribers as the event's all-sources route. One step at a
/// time: what arrives while holds, releases or the route are awaited (a
/// <see cref="PendingReplies{TKey,TReply}"/> wait) is stashed.
/// Answers <see cref="AddSubscriber"/>, <see cref="RemoveSubscriber"/> and <see cref="ReleaseSources"/>.
/// </summary>
internal sealed class AllSourcesActor : SourceStepActor
{
    private readonly EventDescriptor _event;
    private readonly uint[] _notifiable;
    private readonly TimeSpan _stepTimeout;
    private readonly int _generation;
    private readonly string _platformId;
    // Built on the first warning: most actors never log.
    private ILoggingAdapter? _log;

    /// <summary>Enables of one all-sources subscription in flight at once.</summary>
    public const int HoldWindow = 32;

    private readonly List<(SubscriptionId Id, IActorRef Subscriber)> _subscribers = new();
    private readonly HashSet<uint> _held = new();
    private bool _holding;
    private long _ticket;
    // What the current step waits for. Holds and releases carry no ticket, so they match by source:
    // a late answer of an earlier step is never counted for another source.
    private readonly PendingReplies<uint, HoldAcquired> _holds = new(h => h.Source);
    private readonly PendingReplies<uint, HoldReleased> _releases = new(h => h.Source);
    private readonly PendingReplies<long, RouteInstalled> _routes = new(r => r.Ticket);

    public AllSourcesActor(EventDescriptor evt, uint[] notifiableSources, IActorRef protocolActor, TimeSpan stepTimeout,
        int generation, string platformId) : base(protocolActor, stepTimeout)
    {
        _event = evt;
        _notifiable = notifiableSources;
        _stepTimeout = stepTimeout;
        _generation = generation;
        _platformId = platformId;
    }

    public static Props Props(EventDescriptor evt, uint[] notifiableSources, IActorRef protocolActor, TimeSpan stepTimeout,
        int generation, string platformId) =>
        ActorFactory.Props(() => new AllSourcesActor(evt, notifiableSources, protocolActor, stepTimeout, generation, platformId));

    private ILoggingAdapter Log => _log ??= Context.GetLogger().WithContext("Platform", _platformId)
        .WithContext("Protocol", $"0x{_event.ProtocolId:X2}").WithContext("Event", _event.Name).WithContext("Source", "all");

    protected override bool Idle(object message)
    {
        switch (message)
        {
            case AddSubscriber add:
                OnAdd(add);
                return true;
            case RemoveSubscriber remove:
                OnRemove(remove);
                return true;
            // A hold that answered after its step timed out is not recorded: give it back at once.
            case HoldAcquired late:
                if (late.Succeeded && !_held.Contains(late.Source))
                    Context.Parent.Tell(new RouteHold(_event.ProtocolId, _event.EventId, late.Source, Acquire: false, _generation));
                return true;
            case HoldReleased or RouteInstalled:
                return true;
            case ReleaseSources:
                // The source actors release their own enables; this actor only stops routing.
                Sender.Tell(new SourcesReleased(_event.ProtocolId, _event.EventId, SourceSelector.All));
                Context.Stop(Self);
                return true;
            default:
                return false;
        }
    }

    private void OnAdd(AddSubscriber add)
    {
        var replyTo = Sender;
        if (_holding)
        {
            Bind(add, replyTo);
            return;
        }
        // Route first, then enable (as Linux registers a notifier before it enables the event): a report the
        // platform sends the moment a source is on already finds its subscriber.
        _subscribers.Add((add.Id, add.Subscriber));
        PublishRoute(() => AcquireHolds(add, replyTo));
    }

    private void AcquireHolds(AddSubscriber add, IActorRef replyTo)
    {
        // At most HoldWindow enables in flight: the link has 1024 tokens and the platform a queue.
        var next = 0;
        void SendNext()
        {
            if (next < _notifiable.Length)
                Context.Parent.Tell(new RouteHold(_event.ProtocolId, _event.EventId, _notifiable[next++], Acquire: true, _generation));
        }
        for (var i = 0; i < HoldWindow; i++) SendNext();
        Await(_holds, _notifiable, onReply: SendNext, expired: AnswersMissing, then: settled =>
        {
            var results = settled.Replies;
            foreach (var r in results.Where(r => r.Succeeded)) _held.Add(r.Source);
            var failed = results.Where(r => !r.Succeeded).ToList();
            if (_held.Count == 0)
            {
                var reason = failed.FirstOrDefault()?.Failure
                    ?? new SubscriptionFailure.PlatformUnavailable($"no source of {_event.Name} answered the hold");
                _subscribers.RemoveAll(s => s.Id == add.Id);
                PublishRoute(() => replyTo.Tell(new SubscriberBindFailed(add.Id, reason, add.Generation)));
                return;
            }
            if (failed.Count > 0 || !settled.Complete)
                Log.Warning("{Event}: {Enabled} of {Total} sources enabled for all-sources subscribers; first failure {Failure}",
                    _event.Name, _held.Count, _notifiable.Length, failed.FirstOrDefault()?.Failure?.ToString() ?? "no answer");
            _holding = true;
            replyTo.Tell(new SubscriberBound(add.Id, add.Generation));
        });
    }

    private void Bind(AddSubscriber add, IActorRef replyTo)
    {
        var isNew = _subscribers.All(s => !s.Subscriber.Equals(add.Subscriber));
        _subscribers.Add((add.Id, add.Subscriber));
        if (!isNew)
        {
            replyTo.Tell(new SubscriberBound(add.Id, add.Generation));
            return;
        }
        PublishRoute(() => replyTo.Tell(new SubscriberBound(add.Id, add.Generation)));
    }

    private void OnRemove(RemoveSubscriber remove)
    {
        var replyTo = Sender;
        var index = _subscribers.FindIndex(s => s.Id == remove.Id);
        if (index < 0)
        {
            replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation));
            return;
        }
        var subscriber = _subscribers[index].Subscriber;
        _subscribers.RemoveAt(index);
        var stillRouted = _subscribers.Any(s => s.Subscriber.Equals(subscriber));
        if (stillRouted) ReleaseIfLast(() => replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation)));
        else PublishRoute(() => ReleaseIfLast(() => replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation))));
    }

    private void ReleaseIfLast(Action then)
    {
        if (_subscribers.Count > 0 || !_holding)
        {
            then();
            return;
        }
        var held = _held.ToArray();
        foreach (var source in held)
            Context.Parent.Tell(new RouteHold(_event.ProtocolId, _event.EventId, source, Acquire: false, _generation));
        _held.Clear();
        _holding = false;
        Await(_releases, held, _ => then(), expired: AnswersMissing);
    }

    private void PublishRoute(Action then)
    {
        if (ProtocolGone)
        {
            then();
            return;
        }
        var ticket = ++_ticket;
        var subscribers = _subscribers.Select(s => s.Subscriber).Distinct().ToArray();
        ProtocolActor.Tell(new SetRoute(_event.EventId, SourceSelector.All, subscribers, ticket));
        Await(_routes, [ticket], _ => then(), expired: AnswersMissing);
    }

    private void AnswersMissing(int missing, int expected) =>
        Log.Warning("{Event}: {Missing} of {Expected} answers missing after {Timeout}", _event.Name, missing, expected, _stepTimeout);

    protected override bool IsIdle => !_holds.IsWaiting && !_releases.IsWaiting && !_routes.IsWaiting;
}
