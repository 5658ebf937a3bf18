using Akka.Actor;
using ScmiActors.Messages;

namespace ScmiActors.Subscriptions;

// Messages between the handle and its event-source actors (the control plane). Internal: users
// talk to the handle only.

/// <summary>Handle → event-source actor: add a subscription; answered with <see cref="SubscriberBound"/> or <see cref="SubscriberBindFailed"/>.</summary>
internal sealed record AddSubscriber(SubscriptionId Id, IActorRef Subscriber, int Generation);

internal sealed record SubscriberBound(SubscriptionId Id, int Generation);

internal sealed record SubscriberBindFailed(SubscriptionId Id, SubscriptionFailure Reason, int Generation);

/// <summary>
/// Handle → event-source actor: remove a subscription; answered with <see cref="SubscriberUnbound"/>, always
/// (also for an id it does not hold), after the route and the enable count no longer include it.
/// </summary>
internal sealed record RemoveSubscriber(SubscriptionId Id, int Generation);

internal sealed record SubscriberUnbound(SubscriptionId Id, int Generation);

/// <summary>Handle → event-source actor: disable whatever is enabled, answer <see cref="SourcesReleased"/>, stop.</summary>
internal sealed record ReleaseSources
{
    public static readonly ReleaseSources Instance = new();
}

internal sealed record SourcesReleased(byte Protocol, byte Event, SourceSelector Key);

/// <summary>
/// All-sources actor → handle: forward a hold on one source to that source's actor (created if
/// needed). The source actor answers the all-sources actor directly.
/// </summary>
internal sealed record RouteHold(byte Protocol, byte Event, uint Source, bool Acquire, int Generation);

/// <summary>A hold counts like a subscriber in the source's enable count; answered with <see cref="HoldAcquired"/>.</summary>
internal sealed record AcquireHold(uint Source);

internal sealed record HoldAcquired(uint Source, SubscriptionFailure? Failure)
{
    public bool Succeeded => Failure is null;
}

internal sealed record ReleaseHold(uint Source);

internal sealed record HoldReleased(uint Source);

/// <summary>
/// Event-source actor → platform link, for an event with a <see cref="Wire.NotifyGroup"/>: enable or
/// disable one source of its group. The link keeps the group's union (<see cref="NotifyGroupState{TWaiter}"/>),
/// sends it, and answers a <see cref="CommandResult"/> with <paramref name="Correlation"/> once a
/// request that carried this change has completed.
/// </summary>
internal sealed record GroupNotify(Wire.EventDescriptor Event, Wire.PlatformProtocol Protocol, uint Source, bool Enable, object Correlation);
