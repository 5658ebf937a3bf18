using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>
/// One subscription as it is kept in distributed data, where a node that takes a platform over can
/// read it: the id its subscriber knows, what it subscribed to, and the subscriber's full actor path
/// (with its uid, so a restarted subscriber of the same name is not mistaken for it). Encoded as one
/// string per subscription, an element of an <see cref="ORSet{T}"/>: strings need no serializer of
/// their own, and adding and removing one are the only changes a subscription makes.
/// </summary>
public sealed record ReplicatedSubscription(SubscriptionId Id, byte Protocol, byte Event, SourceSelector Source, string SubscriberPath)
{
    private const string Version = "s1";

    public string Encode() => string.Join('|', Version, Id.Value.ToString(CultureInfo.InvariantCulture),
        Protocol.ToString(CultureInfo.InvariantCulture), Event.ToString(CultureInfo.InvariantCulture),
        Source is SourceSelector.OneSource one ? one.Source.ToString(CultureInfo.InvariantCulture) : "*", SubscriberPath);

    /// <summary>Null for an element this version cannot read (another format, or damaged): it is skipped, never thrown on.</summary>
    public static ReplicatedSubscription? TryParse(string element)
    {
        // The path goes last and may hold anything an actor path holds; the fields before it are numbers.
        var parts = element.Split('|', 6);
        if (parts.Length != 6 || parts[0] != Version) return null;
        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !byte.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var protocol)
            || !byte.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var evt)
            || parts[5].Length == 0) return null;
        SourceSelector source;
        if (parts[4] == "*") source = SourceSelector.All;
        else if (uint.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var one)) source = SourceSelector.Id(one);
        else return null;
        return new ReplicatedSubscription(new SubscriptionId(id), protocol, evt, source, parts[5]);
    }
}

/// <summary>
/// The replicated subscription set of one platform, a child of its handle on whichever node hosts it
/// (only for a platform offered by several nodes, which can move). Owns the Akka.DistributedData key
/// <c>scmi-subs-PLATFORM</c> (an <see cref="ORSet{T}"/> of <see cref="ReplicatedSubscription"/> strings).
/// Answers <see cref="Restore"/> with <see cref="Restored"/> (read from a majority, else what this node
/// has), and applies <see cref="Record"/>, <see cref="Forget"/> and <see cref="Clear"/> with a
/// majority write: any majority that survives the host's death has seen every write that completed,
/// and the split-brain resolver keeps only a majority side running (docs/cluster.md).
/// </summary>
public sealed class SubscriptionReplicaActor : ReceiveActor
{
    private readonly ORSetKey<string> _key;
    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly TimeSpan _timeout;
    private readonly ILoggingAdapter _log;
    private IActorRef _restoreTo = ActorRefs.Nobody;

    public SubscriptionReplicaActor(string platformId, TimeSpan timeout)
    {
        _key = KeyOf(platformId);
        _timeout = timeout;
        _replicator = DistributedData.Get(Context.System).Replicator;
        _self = Cluster.Get(Context.System).SelfUniqueAddress;
        _log = Context.GetLogger().WithContext("Platform", platformId);

        Receive<Restore>(_ =>
        {
            _restoreTo = Sender;
            _replicator.Tell(Dsl.Get(_key, new ReadMajority(_timeout), ReadFrom.Majority));
        });
        Receive<GetSuccess>(s => Answer(s.Get(_key).Elements));
        Receive<NotFound>(_ => Answer([]));
        Receive<GetFailure>(f =>
        {
            if (Equals(f.Request, ReadFrom.Local))
            {
                Answer([]);
                return;
            }
            // No majority answered in time (most of the cluster is gone or slow): what this node has seen.
            _log.Warning("Subscriptions of this platform: no majority answered within {Timeout}; restoring what this node has seen", _timeout);
            _replicator.Tell(Dsl.Get(_key, ReadLocal.Instance, ReadFrom.Local));
        });
        Receive<Record>(r => Write(set => set.Add(_self, r.Subscription.Encode())));
        Receive<Forget>(f => Write(set => set.Remove(_self, f.Subscription.Encode())));
        Receive<Clear>(_ => Write(set => set.Clear(_self)));
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ =>
            _log.Warning("A change of this platform's subscriptions reached fewer than a majority within {Timeout}; gossip spreads it later", _timeout));
        Receive<ModifyFailure>(f => _log.Error(f.Cause, "A change of this platform's subscriptions failed: {Error}", f.ErrorMessage));
    }

    public static Props Props(string platformId, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new SubscriptionReplicaActor(platformId, timeout));

    public static ORSetKey<string> KeyOf(string platformId) => new($"scmi-subs-{platformId}");

    private void Write(Func<ORSet<string>, ORSet<string>> modify) =>
        _replicator.Tell(Dsl.Update(_key, ORSet<string>.Empty, new WriteMajority(_timeout), modify));

    private void Answer(IEnumerable<string> elements)
    {
        var restored = new List<ReplicatedSubscription>();
        foreach (var element in elements)
        {
            if (ReplicatedSubscription.TryParse(element) is { } s) restored.Add(s);
            else _log.Warning("Skipped a replicated subscription this version cannot read: {Element}", element);
        }
        _restoreTo.Tell(new Restored(restored));
    }

    /// <summary>Handle → replica: read the set (once, at the start of an incarnation).</summary>
    public sealed record Restore
    {
        public static readonly Restore Instance = new();
    }

    /// <summary>Replica → handle: the subscriptions the previous incarnations had.</summary>
    public sealed record Restored(IReadOnlyList<ReplicatedSubscription> Subscriptions);

    public sealed record Record(ReplicatedSubscription Subscription);

    public sealed record Forget(ReplicatedSubscription Subscription);

    /// <summary>The platform was stopped for good: nobody is subscribed to it any more.</summary>
    public sealed record Clear
    {
        public static readonly Clear Instance = new();
    }

    // The request context of a Get, so a failed read of a majority is told apart from the local fallback.
    private enum ReadFrom { Majority, Local }
}
