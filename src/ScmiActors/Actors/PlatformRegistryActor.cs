using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Actors;

/// <summary>
/// The local directory of handles (<c>/user/scmi</c>): starts a <see cref="HandleActor"/> per
/// platform, routes every <see cref="IPlatformMessage"/> to it by platform id, answers
/// <see cref="PlatformNotFound"/> for a platform nobody serves (never started or stopped), and
/// stops all handles in order for CoordinatedShutdown (<see cref="StopAllPlatforms"/>).
/// In a cluster the shard region plays this part.
/// </summary>
public sealed class PlatformRegistryActor : ReceiveActor
{
    private readonly ScmiSettings _settings;
    private readonly Func<ProtocolCatalog> _catalog;
    private readonly Dictionary<string, IActorRef> _handles = new();
    private readonly List<IActorRef> _stopAllRequesters = new();

    public PlatformRegistryActor(ScmiSettings settings, Func<ProtocolCatalog> catalog)
    {
        _settings = settings;
        _catalog = catalog;

        Receive<StartPlatform>(OnStart);
        Receive<IPlatformMessage>(m =>
        {
            if (_handles.TryGetValue(m.PlatformId, out var handle)) handle.Forward(m);
            else Sender.Tell(new PlatformNotFound(m.PlatformId, m));
        });
        Receive<StopAllPlatforms>(_ =>
        {
            _stopAllRequesters.Add(Sender);
            foreach (var (id, handle) in _handles) handle.Tell(new StopPlatform(id));
            ReplyIfAllStopped();
        });
        Receive<PlatformShutdownComplete>(_ => { });
        Receive<HandleActor.HandleStopping>(h =>
        {
            if (_handles.TryGetValue(h.PlatformId, out var handle) && handle.Equals(Sender)) _handles.Remove(h.PlatformId);
            ReplyIfAllStopped();
        });
        Receive<Terminated>(t =>
        {
            var id = _handles.FirstOrDefault(kv => kv.Value.Equals(t.ActorRef)).Key;
            if (id is not null) _handles.Remove(id);
            ReplyIfAllStopped();
        });
    }

    // A handle that fails outside its message handlers (constructor, PreStart) is stopped, never
    // restarted: a restart would silently lose its subscriptions.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(ScmiSettings settings, Func<ProtocolCatalog> catalog) =>
        Akka.Actor.Props.Create(() => new PlatformRegistryActor(settings, catalog));

    private void OnStart(StartPlatform start)
    {
        if (_handles.ContainsKey(start.PlatformId))
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException($"platform {start.PlatformId} is already started")));
            return;
        }
        var handle = Context.ActorOf(
            HandleActor.Props(start.PlatformId, start.Transport, start.Description, _settings, start.Options, _catalog()),
            "platform-" + Uri.EscapeDataString(start.PlatformId));
        Context.Watch(handle);
        _handles[start.PlatformId] = handle;
        Sender.Tell(new PlatformStarted(start.PlatformId, handle));
    }

    private void ReplyIfAllStopped()
    {
        if (_handles.Count > 0 || _stopAllRequesters.Count == 0) return;
        foreach (var requester in _stopAllRequesters) requester.Tell(AllPlatformsStopped.Instance);
        _stopAllRequesters.Clear();
    }
}

/// <summary>Starts a handle; answered with <see cref="PlatformStarted"/> or a <see cref="Status.Failure"/>.</summary>
public sealed record StartPlatform(string PlatformId, IScmiTransport Transport, PlatformDescription Description, PlatformOptions Options);

public sealed record PlatformStarted(string PlatformId, IActorRef Handle);

/// <summary>Ordered shutdown of every handle; answered with <see cref="AllPlatformsStopped"/>.</summary>
public sealed record StopAllPlatforms
{
    public static readonly StopAllPlatforms Instance = new();
}

public sealed record AllPlatformsStopped
{
    public static readonly AllPlatformsStopped Instance = new();
}
