using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using ScmiActors.Messages;

namespace ScmiActors.Hosting;

/// <summary>What one node knows of a platform it offers (<see cref="ScmiNotifications.OfferPlatform"/>); read from any thread.</summary>
public sealed class PlatformOfferStatus(string platformId)
{
    private volatile string? _hostedOn;
    private volatile bool _ready;

    public string PlatformId { get; } = platformId;

    /// <summary>Its handle answered ready within the last check (on whichever node it runs).</summary>
    public bool Ready => _ready;

    /// <summary>The address of the node whose handle answered last; null before any answer.</summary>
    public string? HostedOn => _hostedOn;

    internal void Answered(bool ready, string hostedOn)
    {
        _hostedOn = hostedOn;
        _ready = ready;
    }

    internal void Silent() => _ready = false;
}

/// <summary>
/// Keeps an offered platform's handle alive somewhere in the cluster, without remember-entities: every
/// <see cref="CheckInterval"/> it asks the shard region whether the platform is ready. The question
/// itself makes sharding start the entity (after a node's death, on a surviving node that offers it,
/// once the coordinator has given the shard a new home), and the answer says where it runs.
/// Owns the <see cref="PlatformOfferStatus"/> of its platform; answers nothing.
/// </summary>
public sealed class PlatformOfferActor : ReceiveActor, IWithTimers
{
    /// <summary>How often the handle is asked; a take-over starts at most this long after the shard can move.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _platformId;
    private readonly IActorRef _region;
    private readonly PlatformOfferStatus _status;
    private readonly TimeSpan _interval;
    private readonly Address _self;
    private DateTime _lastAnswer = DateTime.MinValue;

    public PlatformOfferActor(string platformId, IActorRef region, PlatformOfferStatus status, TimeSpan interval)
    {
        _platformId = platformId;
        _region = region;
        _status = status;
        _interval = interval;
        _self = Cluster.Get(Context.System).SelfAddress;

        Receive<Check>(_ =>
        {
            // A handle that is connecting stashes the question: no answer for two rounds is "not ready".
            if (DateTime.UtcNow - _lastAnswer > _interval * 2) _status.Silent();
            _region.Tell(new AwaitPlatformReady(_platformId));
        });
        Receive<PlatformReady>(_ => Answered(true));
        Receive<PlatformStartFailed>(_ => Answered(false));
        Receive<PlatformNotFound>(_ => Answered(false));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string platformId, IActorRef region, PlatformOfferStatus status, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new PlatformOfferActor(platformId, region, status, interval));

    protected override void PreStart()
    {
        Self.Tell(Check.Instance);
        Timers.StartPeriodicTimer("check", Check.Instance, _interval);
    }

    private void Answered(bool ready)
    {
        _lastAnswer = DateTime.UtcNow;
        var address = Sender.Path.Address;
        _status.Answered(ready, (address.HasLocalScope ? _self : address).ToString());
    }

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }
}
