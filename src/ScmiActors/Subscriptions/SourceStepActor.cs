using Akka.Actor;
using ScmiActors.Dispatch;

namespace ScmiActors.Subscriptions;

/// <summary>
/// The one way a source actor (<see cref="EventSourceActor"/>, <see cref="AllSourcesActor"/>) runs a
/// step: send, then wait for the replies in a <see cref="PendingReplies{TKey,TReply}"/> with every
/// other message stashed, bounded by the step timeout so the control plane never wedges, and go back
/// to Idle when the last wait of the step has settled. It also watches the protocol actor: once that
/// is gone no route can be installed, so a wait for one settles at once.
/// A node holds one source actor per subscribed source (hundreds of thousands), so the base is
/// <see cref="ActorBase"/> with a plain dispatch rather than a ReceiveActor (whose handler tables are
/// built per instance), and the step timer is a scheduled message that exists only while a step runs.
/// </summary>
internal abstract class SourceStepActor : ActorBase, IWithStash
{
    private readonly TimeSpan _stepTimeout;
    private long _step;
    // The wait the current step is in, null when idle; its timer, cancelled when the wait settles.
    private IStepWait? _wait;
    private ICancelable? _timer;

    protected SourceStepActor(IActorRef protocolActor, TimeSpan stepTimeout)
    {
        ProtocolActor = protocolActor;
        _stepTimeout = stepTimeout;
        Context.Watch(protocolActor);
    }

    public IStash Stash { get; set; } = null!;

    protected IActorRef ProtocolActor { get; }

    /// <summary>The protocol actor stopped (its protocol was deregistered): no route can be installed any more.</summary>
    protected bool ProtocolGone { get; private set; }

    /// <summary>The behaviour between steps: false for a message it does not handle (Akka's unhandled path).</summary>
    protected abstract bool Idle(object message);

    /// <summary>True when no wait of the current step is running (a step may chain several).</summary>
    protected abstract bool IsIdle { get; }

    protected sealed override bool Receive(object message)
    {
        if (message is Terminated t && t.ActorRef.Equals(ProtocolActor))
        {
            // Idle only marks it gone; a wait for a route settles (other replies are still awaited).
            ProtocolGone = true;
            _wait?.ProtocolGone();
            return true;
        }
        if (_wait is { } wait)
        {
            wait.Receive(message);
            return true;
        }
        // A step's timer that fired as the step settled.
        return message is StepTimedOut || Idle(message);
    }

    /// <summary>
    /// Waits for one reply per key, stashing everything else, then runs <paramref name="then"/> once: when all
    /// came, or when the step timed out (<paramref name="expired"/> is told how many are missing first).
    /// <paramref name="onReply"/> runs for each reply that still leaves the wait open (to keep a window full).
    /// <paramref name="timeoutFactor"/> stretches the step's bound for a wait that may queue behind another command.
    /// </summary>
    protected void Await<TKey, T>(PendingReplies<TKey, T> pending, IEnumerable<TKey> keys, Action<SettledReplies<TKey, T>> then,
        Action? onReply = null, Action<int, int>? expired = null, int timeoutFactor = 1) where TKey : notnull
    {
        var step = ++_step;
        _timer?.Cancel();
        _timer = Context.System.Scheduler.ScheduleTellOnceCancelable(_stepTimeout * timeoutFactor, Self, new StepTimedOut(step), Self);
        _wait = new StepWait<TKey, T>(this, pending, step, onReply, expired);
        pending.Begin(keys, settled => Continue(() => then(settled)));
    }

    protected override void PostStop()
    {
        _timer?.Cancel();
        base.PostStop();
    }

    private void Continue(Action step)
    {
        _timer?.Cancel();
        _timer = null;
        try
        {
            step();
        }
        finally
        {
            // A step that chained another wait is in that wait and stays stashed until it ends;
            // one that threw (resumed by the handle) still goes back to Idle.
            if (IsIdle)
            {
                _wait = null;
                Stash.UnstashAll();
            }
        }
    }

    private interface IStepWait
    {
        void Receive(object message);
        void ProtocolGone();
    }

    private sealed class StepWait<TKey, T>(SourceStepActor actor, PendingReplies<TKey, T> pending, long step, Action? onReply,
        Action<int, int>? expired) : IStepWait where TKey : notnull
    {
        public void Receive(object message)
        {
            switch (message)
            {
                case T reply:
                    var match = pending.Offer(reply);
                    if (match == ReplyMatch.Awaiting) onReply?.Invoke();
                    // Late (its step timed out) or a duplicate: left for Idle, which drops it or gives a hold back.
                    else if (match == ReplyMatch.Unmatched) actor.Stash.Stash();
                    break;
                case StepTimedOut t:
                    if (t.Step != step) break; // a stale timer of an earlier step
                    expired?.Invoke(pending.Outstanding.Count, pending.Outstanding.Count + pending.Replies.Count);
                    pending.Expire();
                    break;
                default:
                    actor.Stash.Stash();
                    break;
            }
        }

        // A route can no longer be installed: do not wait out the step for it.
        public void ProtocolGone()
        {
            if (typeof(T) == typeof(RouteInstalled)) pending.Expire();
        }
    }

    private sealed record StepTimedOut(long Step);
}
