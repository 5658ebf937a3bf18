using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Load;

/// <summary>One producer-side stream: a raw notification posted again and again on one platform.</summary>
public sealed record StreamSpec(int Platform, Events.Raw Raw);

/// <summary>A subscription: subscriber index → (platform, protocol, event, source | all).</summary>
public sealed record SubscriptionSpec(int Platform, byte Protocol, byte Event, uint? Source, int Subscriber)
{
    public bool Matches(StreamSpec s) =>
        s.Platform == Platform && s.Raw.Protocol == Protocol && s.Raw.Event == Event && (Source is null || Source == s.Raw.Source);
}

/// <summary>
/// What a case sets up, identically in every variant: platforms (each with a description),
/// subscribers (each with a latency tag), subscriptions, and the streams producers post.
/// </summary>
public sealed class Topology
{
    public Topology(int platforms, Func<string, PlatformDescription> describe, int[] subscriberTags,
        IReadOnlyList<SubscriptionSpec> subscriptions, IReadOnlyList<StreamSpec> streams)
    {
        PlatformIds = Enumerable.Range(0, platforms).Select(i => $"bench{i}").ToArray();
        Descriptions = PlatformIds.Select(describe).ToArray();
        SubscriberTags = subscriberTags;
        Subscriptions = subscriptions;
        Streams = streams;
        // Grouped by (platform, protocol) so that setup stays linear at 10 000 platforms (scale).
        _subscriptionsByQueue = subscriptions.GroupBy(s => (s.Platform, s.Protocol))
            .ToDictionary(g => g.Key, g => (IReadOnlyList<SubscriptionSpec>)g.ToArray());
        Fanout = streams.Select(s => SubscriptionsOf(s.Platform, s.Raw.Protocol).Count(sub => sub.Matches(s))).ToArray();
        if (Fanout.Any(f => f == 0)) throw new InvalidOperationException("a stream has no subscriber");
        // (platform, protocol) pairs that carry streams: one queue / reader / decode actor each in the baselines.
        Queues = streams.Select(s => (s.Platform, s.Raw.Protocol)).Distinct().ToArray();
        var queueIndex = Queues.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i);
        StreamQueue = streams.Select(s => queueIndex[(s.Platform, s.Raw.Protocol)]).ToArray();
        _largestPayload = new int[Queues.Length];
        for (var i = 0; i < streams.Count; i++)
            _largestPayload[StreamQueue[i]] = Math.Max(_largestPayload[StreamQueue[i]], streams[i].Raw.Payload.Length);
    }

    private readonly Dictionary<(int Platform, byte Protocol), IReadOnlyList<SubscriptionSpec>> _subscriptionsByQueue;
    private readonly int[] _largestPayload;

    /// <summary>The subscriptions on one (platform, protocol).</summary>
    public IReadOnlyList<SubscriptionSpec> SubscriptionsOf(int platform, byte protocol) =>
        _subscriptionsByQueue.TryGetValue((platform, protocol), out var subs) ? subs : [];

    public string[] PlatformIds { get; }
    public PlatformDescription[] Descriptions { get; }
    public int[] SubscriberTags { get; }
    public IReadOnlyList<SubscriptionSpec> Subscriptions { get; }
    public IReadOnlyList<StreamSpec> Streams { get; }

    /// <summary>Subscribers each event of the stream is delivered to.</summary>
    public int[] Fanout { get; }

    public (int Platform, byte Protocol)[] Queues { get; }
    public int[] StreamQueue { get; }

    /// <summary>Entries a queue of <paramref name="queueBytes"/> holds for the largest payload posted on it (the ring's byte rule).</summary>
    public int QueueEntries(int queue, int queueBytes)
    {
        return Math.Max(1, queueBytes / (Ingestion.ProtocolRing.EntryOverhead + _largestPayload[queue]));
    }
}

/// <summary>The subscribers of one (platform, protocol), per event: all-sources ones first, then per source (as ScmiActors delivers).</summary>
public sealed class BaselineRoute<T>
{
    private readonly T[][] _all;
    private readonly Dictionary<uint, T[]>[] _bySource;

    public BaselineRoute(Topology topology, int platform, byte protocol, Func<int, T> subscriber)
    {
        var subs = topology.SubscriptionsOf(platform, protocol);
        var events = subs.Count == 0 ? 0 : subs.Max(s => s.Event) + 1;
        _all = new T[events][];
        _bySource = new Dictionary<uint, T[]>[events];
        for (var e = 0; e < events; e++)
        {
            _all[e] = subs.Where(s => s.Event == e && s.Source is null).Select(s => subscriber(s.Subscriber)).ToArray();
            _bySource[e] = subs.Where(s => s.Event == e && s.Source is not null).GroupBy(s => s.Source!.Value)
                .ToDictionary(g => g.Key, g => g.Select(s => subscriber(s.Subscriber)).ToArray());
        }
    }

    public T[] All(int eventId) => eventId < _all.Length ? _all[eventId] : [];
    public Dictionary<uint, T[]> BySource(int eventId) => eventId < _bySource.Length ? _bySource[eventId] : Empty;

    private static readonly Dictionary<uint, T[]> Empty = new();
    public int EventCount => _all.Length;
}
