using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Subscriptions;

/// <summary>
/// What <see cref="SubscriptionControl{TRef}"/> needs from the world: actors created, control messages
/// and answers sent, subscribers watched. The handle implements it with Context and Tell; tests record it.
/// </summary>
internal interface IControlPlane<TRef> where TRef : class
{
    /// <summary>Creates the event-source actor of one source of <paramref name="evt"/> in <paramref name="registration"/>.</summary>
    TRef CreateSourceActor(Registration<TRef> registration, EventDescriptor evt, uint source);

    /// <summary>Creates the all-sources actor of <paramref name="evt"/>, holding the sources that can notify.</summary>
    TRef CreateAllSourcesActor(Registration<TRef> registration, EventDescriptor evt, uint[] notifiable);

    /// <summary>Sends AddSubscriber to an event-source or all-sources actor.</summary>
    void AddSubscriber(TRef source, SubscriptionId id, TRef subscriber, int generation);

    /// <summary>Sends RemoveSubscriber to an event-source or all-sources actor.</summary>
    void RemoveSubscriber(TRef source, SubscriptionId id, int generation);

    void Watch(TRef subscriber);

    void Unwatch(TRef subscriber);

    /// <summary>Sends a public answer or notice (SubscriptionActive, Unsubscribed, PlatformStopped ...).</summary>
    void Tell(TRef to, object message);

    /// <summary>A subscription entered the table (a Subscribe): a handle that can move keeps it where another node can read it.</summary>
    void Recorded(SubscriptionEntry<TRef> entry) { }

    /// <summary>A subscription left the table for good (unsubscribed, failed, its subscriber terminated).</summary>
    void Forgotten(SubscriptionEntry<TRef> entry) { }
}
