using System.Collections.Frozen;
using Akka.Actor;
using ScmiActors.Messages;

namespace ScmiActors.Dispatch;

/// <summary>The subscribers of one event: all-sources subscribers, then those of each source. Immutable.</summary>
internal sealed class EventRoute
{
    public static readonly EventRoute Empty = new([], FrozenDictionary<uint, SubscriberFlow[]>.Empty);

    public EventRoute(SubscriberFlow[] all, FrozenDictionary<uint, SubscriberFlow[]> bySource)
    {
        All = all;
        BySource = bySource;
    }

    public SubscriberFlow[] All { get; }
    public FrozenDictionary<uint, SubscriberFlow[]> BySource { get; }

    public EventRoute WithAll(SubscriberFlow[] subscribers) => new(subscribers, BySource);

    public EventRoute WithSource(uint source, SubscriberFlow[] subscribers)
    {
        var map = BySource.ToDictionary();
        if (subscribers.Length == 0) map.Remove(source);
        else map[source] = subscribers;
        return new EventRoute(All, map.ToFrozenDictionary());
    }
}

/// <summary>
/// The routing snapshot of one protocol: one <see cref="EventRoute"/> per event id. The protocol
/// actor reads it per event and replaces it (copy on write) when an event-source actor publishes
/// a change; it lives in <see cref="ProtocolRuntime"/> so that a restart of the protocol actor keeps it.
/// </summary>
internal sealed class RoutingSnapshot(EventRoute?[] events)
{
    public EventRoute?[] Events { get; } = events;

    public static RoutingSnapshot For(int eventCount) => new(new EventRoute?[eventCount]);

    public RoutingSnapshot With(byte eventId, SourceSelector key, SubscriberFlow[] subscribers)
    {
        var events = (EventRoute?[])Events.Clone();
        var route = events[eventId] ?? EventRoute.Empty;
        events[eventId] = key is SourceSelector.OneSource one ? route.WithSource(one.Source, subscribers) : route.WithAll(subscribers);
        return new RoutingSnapshot(events);
    }

    /// <summary>Every subscriber some route delivers to.</summary>
    public HashSet<SubscriberFlow> Routed()
    {
        var routed = new HashSet<SubscriberFlow>();
        foreach (var route in Events)
        {
            if (route is null) continue;
            routed.UnionWith(route.All);
            foreach (var subscribers in route.BySource.Values) routed.UnionWith(subscribers);
        }
        return routed;
    }
}
