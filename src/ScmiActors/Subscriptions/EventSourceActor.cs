using Akka.Actor;
using Akka.Event;
using ScmiActors.Dispatch;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Subscriptions;

/// <summary>
/// The control plane of one (event, source): its direct subscribers and the holds of the event's
/// all-sources actor, which together make the source's enable count. The first of them sends
/// NOTIFY enable through the platform link, the last NOTIFY disable; a subscription binds only
/// if the platform accepted. Publishes the source's subscribers to the protocol actor and
/// answers only once the snapshot is installed. One operation at a time: what arrives while a
/// command or an installation is outstanding (a <see cref="PendingReplies{TKey,TReply}"/> wait) is stashed.
/// Answers <see cref="AddSubscriber"/>, <see cref="RemoveSubscriber"/>, <see cref="AcquireHold"/>,
/// <see cref="ReleaseHold"/> and <see cref="ReleaseSources"/>.
/// For an event with a <see cref="NotifyGroup"/> the NOTIFY goes to the link as a <see cref="GroupNotify"/>,
/// which sends the union of the group's wanted sources; the enable count stays per source.
/// </summary>
internal sealed class EventSourceActor : SourceStepActor
{
    private readonly EventDescriptor _event;
    private readonly PlatformProtocol _protocol;
    private readonly uint _source;
    private readonly IActorRef _link;
    private readonly string _platformId;
    // Built on the first warning: most sources never log, and a node holds hundreds of thousands of them.
    private ILoggingAdapter? _log;

    // Subscription -> subscriber, in arrival order; a subscriber with two subscriptions is routed once.
    private readonly List<(SubscriptionId Id, IActorRef Subscriber)> _direct = new(1);
    // All-sources holders; most sources never have one.
    private HashSet<IActorRef>? _holders;
    private bool _enabled;
    private long _ticket;
    // What the current step waits for: the link's answer to a NOTIFY (by correlation), or the route's installation.
    private PendingReplies<object, CommandResult>? _commands;
    private PendingReplies<long, RouteInstalled>? _routes;

    public EventSourceActor(EventDescriptor evt, PlatformProtocol protocol, uint source, IActorRef link,
        IActorRef protocolActor, TimeSpan stepTimeout, string platformId) : base(protocolActor, stepTimeout)
    {
        _event = evt;
        _protocol = protocol;
        _source = source;
        _link = link;
        _platformId = platformId;
    }

    // A factory, not Props.Create(expression): that evaluates an expression tree and reflects at every creation.
    public static Props Props(EventDescriptor evt, PlatformProtocol protocol, uint source, IActorRef link,
        IActorRef protocolActor, TimeSpan stepTimeout, string platformId) =>
        ActorFactory.Props(() => new EventSourceActor(evt, protocol, source, link, protocolActor, stepTimeout, platformId));

    private ILoggingAdapter Log => _log ??= Context.GetLogger().WithContext("Platform", _platformId)
        .WithContext("Protocol", $"0x{_event.ProtocolId:X2}").WithContext("Event", _event.Name).WithContext("Source", _source);

    private int Count => _direct.Count + (_holders?.Count ?? 0);

    protected override bool Idle(object message)
    {
        switch (message)
        {
            case AddSubscriber add: OnAdd(add); return true;
            case RemoveSubscriber remove: OnRemove(remove); return true;
            case AcquireHold: OnAcquireHold(Sender); return true;
            case ReleaseHold: OnReleaseHold(Sender); return true;
            case ReleaseSources: OnReleaseSources(Sender); return true;
            case CommandResult: return true; // the late answer to a step that timed out
            default: return false;
        }
    }

    private void OnAdd(AddSubscriber add)
    {
        var replyTo = Sender;
        var isNewSubscriber = _direct.All(d => !d.Subscriber.Equals(add.Subscriber));
        _direct.Add((add.Id, add.Subscriber));
        // Route first, then enable (as Linux registers a notifier before it enables the event): a report the
        // platform sends the moment it has switched the source on already finds its subscriber.
        RouteIfNew(isNewSubscriber, installed =>
        {
            if (!installed)
            {
                _direct.RemoveAll(d => d.Id == add.Id);
                replyTo.Tell(new SubscriberBindFailed(add.Id,
                    new SubscriptionFailure.PlatformUnavailable("the protocol actor did not install the route"), add.Generation));
                return;
            }
            EnableIfFirst(failure =>
            {
                if (failure is null)
                {
                    replyTo.Tell(new SubscriberBound(add.Id, add.Generation));
                    return;
                }
                _direct.RemoveAll(d => d.Id == add.Id);
                RouteIfNew(isNewSubscriber, _ => replyTo.Tell(new SubscriberBindFailed(add.Id, failure, add.Generation)));
            });
        });
    }

    private void RouteIfNew(bool isNewSubscriber, Action<bool> then)
    {
        if (isNewSubscriber) PublishRoute(then);
        else then(true);
    }

    private void OnRemove(RemoveSubscriber remove)
    {
        var replyTo = Sender;
        var index = _direct.FindIndex(d => d.Id == remove.Id);
        if (index < 0)
        {
            replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation));
            return;
        }
        var subscriber = _direct[index].Subscriber;
        _direct.RemoveAt(index);
        if (_direct.Any(d => d.Subscriber.Equals(subscriber)))
        {
            DisableIfLast(() => replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation)));
            return;
        }
        // Route first, so nothing is delivered for this subscription once Unbound is sent.
        PublishRoute(_ => DisableIfLast(() => replyTo.Tell(new SubscriberUnbound(remove.Id, remove.Generation))));
    }

    private void OnAcquireHold(IActorRef holder)
    {
        if (_holders?.Contains(holder) == true)
        {
            holder.Tell(new HoldAcquired(_source, null));
            return;
        }
        EnableIfFirst(failure =>
        {
            if (failure is null) (_holders ??= new()).Add(holder);
            holder.Tell(new HoldAcquired(_source, failure));
        });
    }

    private void OnReleaseHold(IActorRef holder)
    {
        if (_holders?.Remove(holder) != true)
        {
            holder.Tell(new HoldReleased(_source));
            return;
        }
        DisableIfLast(() => holder.Tell(new HoldReleased(_source)));
    }

    private void OnReleaseSources(IActorRef replyTo)
    {
        _direct.Clear();
        _holders = null;
        DisableIfLast(() =>
        {
            replyTo.Tell(new SourcesReleased(_event.ProtocolId, _event.EventId, SourceSelector.Id(_source)));
            Context.Stop(Self);
        });
    }

    // ---- steps ---------------------------------------------------------------------------------

    /// <summary>
    /// Sends NOTIFY enable when the source is off; <paramref name="then"/> gets null on success. The source
    /// is on whenever anyone holds it (a failed enable adds nobody), so "off" is "the first one".
    /// </summary>
    private void EnableIfFirst(Action<SubscriptionFailure?> then)
    {
        if (_enabled)
        {
            then(null);
            return;
        }
        SendNotify(enable: true, result =>
        {
            var failure = FailureOf(result);
            if (failure is null) _enabled = true;
            else Log.Warning("Platform refused to enable {Event} for source {Source}: {Result}", _event.Name, _source, result.ToString());
            then(failure);
        });
    }

    /// <summary>Sends NOTIFY disable when the count fell to zero; a refusal is logged and the source counted as disabled.</summary>
    private void DisableIfLast(Action then)
    {
        if (Count > 0 || !_enabled)
        {
            then();
            return;
        }
        SendNotify(enable: false, result =>
        {
            _enabled = false;
            if (FailureOf(result) is not null)
                Log.Warning("Platform did not confirm disabling {Event} for source {Source}: {Result}", _event.Name, _source, result.ToString());
            then();
        });
    }

    private void SendNotify(bool enable, Action<CommandResult> then)
    {
        var ticket = ++_ticket;
        if (_event.Group is not null)
        {
            // The link sends the group's union and may first finish a request of another source of the
            // group (at most one): each can take a command timeout, so wait twice the step.
            _link.Tell(new GroupNotify(_event, _protocol, _source, enable, ticket));
            Await(_commands ??= new(r => r.Correlation), [ticket], settled => then(settled.Complete
                ? settled.Replies[0]
                : new CommandResult(ticket, CommandOutcome.TimedOut, ScmiStatus.Success, [], "the link did not answer")), timeoutFactor: 2);
            return;
        }
        NotifyCommand command;
        try
        {
            command = _event.EncodeNotify(_source, enable, _protocol);
        }
        catch (Exception e)
        {
            // A vendor encoder bug fails this step, never wedges the actor.
            then(new CommandResult(ticket, CommandOutcome.Unavailable, ScmiStatus.GenericError, [], $"NOTIFY encoding failed: {e.Message}"));
            return;
        }
        _link.Tell(PlatformCommand.Notify(command, ticket));
        Await(_commands ??= new(r => r.Correlation), [ticket], settled => then(settled.Complete
            ? settled.Replies[0]
            : new CommandResult(ticket, CommandOutcome.TimedOut, ScmiStatus.Success, [], "the link did not answer")));
    }

    private void PublishRoute(Action<bool> then)
    {
        if (ProtocolGone)
        {
            then(false);
            return;
        }
        var ticket = ++_ticket;
        var subscribers = _direct.Select(d => d.Subscriber).Distinct().ToArray();
        ProtocolActor.Tell(new SetRoute(_event.EventId, SourceSelector.Id(_source), subscribers, ticket));
        Await(_routes ??= new(r => r.Ticket), [ticket], settled => then(settled.Complete));
    }

    // A step that chained another wait leaves the actor waiting; only a step that ends it returns to Idle.
    protected override bool IsIdle => _commands?.IsWaiting != true && _routes?.IsWaiting != true;

    internal static SubscriptionFailure? FailureOf(CommandResult result) => result.Outcome switch
    {
        CommandOutcome.NoCommandPath => null, // a receive-only transport: the platform sends what it sends
        CommandOutcome.Answered when result.Status == ScmiStatus.Success => null,
        CommandOutcome.Answered => new SubscriptionFailure.PlatformRejected(result.Status),
        _ => new SubscriptionFailure.PlatformUnavailable(result.ToString()),
    };
}
