using Akka.Actor;
using ScmiActors.Dispatch;

namespace ScmiActors.Subscriptions;

/// <summary>
/// The one way a source actor (<see cref="EventSourceActor"/>, <see cref="AllSourcesActor"/>) runs a
/// step: send, then wait for the replies in a <see cref="PendingReplies{TKey,TReply}"/> with every
/// other message stashed, bounded by the step timeout so the control plane never wedges, and go back
/// to Idle when the last wait of the step has settled. It also watches the protocol actor: once that
/// is gone no route can be installed, so a wait for one settles at once.
/// </summary>
internal abstract class SourceStepActor : ReceiveActor, IWithStash, IWithTimers
{
    private readonly TimeSpan _stepTimeout;
    private long _step;

    protected SourceStepActor(IActorRef protocolActor, TimeSpan stepTimeout)
    {
        ProtocolActor = protocolActor;
        _stepTimeout = stepTimeout;
        Context.Watch(protocolActor);
    }

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    protected IActorRef ProtocolActor { get; }

    /// <summary>The protocol actor stopped (its protocol was deregistered): no route can be installed any more.</summary>
    protected bool ProtocolGone { get; private set; }

    /// <summary>The behaviour between steps.</summary>
    protected abstract void Idle();

    /// <summary>True when no wait of the current step is running (a step may chain several).</summary>
    protected abstract bool IsIdle { get; }

    /// <summary>For Idle: the protocol actor's Terminated only marks it gone.</summary>
    protected void ReceiveProtocolGone() => Receive<Terminated>(t => t.ActorRef.Equals(ProtocolActor), _ => { ProtocolGone = true; });

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
        Timers.StartSingleTimer("step", new StepTimedOut(step), _stepTimeout * timeoutFactor);
        Become(() =>
        {
            Receive<T>(reply =>
            {
                var match = pending.Offer(reply);
                if (match == ReplyMatch.Awaiting) onReply?.Invoke();
                // Late (its step timed out) or a duplicate: left for Idle, which drops it or gives a hold back.
                else if (match == ReplyMatch.Unmatched) Stash.Stash();
            });
            Receive<StepTimedOut>(t => t.Step == step, _ =>
            {
                expired?.Invoke(pending.Outstanding.Count, pending.Outstanding.Count + pending.Replies.Count);
                pending.Expire();
            });
            Receive<StepTimedOut>(_ => true); // a stale timer of an earlier step
            Receive<Terminated>(t => t.ActorRef.Equals(ProtocolActor), _ =>
            {
                ProtocolGone = true;
                // A route can no longer be installed: do not wait out the step for it (other replies are still awaited).
                if (typeof(T) == typeof(RouteInstalled)) pending.Expire();
            });
            ReceiveAny(_ => Stash.Stash());
        });
        pending.Begin(keys, settled => Continue(() => then(settled)));
    }

    private void Continue(Action step)
    {
        Timers.Cancel("step");
        try
        {
            step();
        }
        finally
        {
            // A step that chained another wait has replaced the behaviour and stays stashed until it ends;
            // one that threw (resumed by the handle) still goes back to Idle.
            if (IsIdle)
            {
                Become(Idle);
                Stash.UnstashAll();
            }
        }
    }

    private sealed record StepTimedOut(long Step);
}
