using Akka.Actor;
using Akka.Event;
using ScmiActors.Diagnostics;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;
using PlatformDirectory = ScmiActors.Platform.PlatformDirectory<Akka.Actor.IActorRef, Akka.Actor.IActorRef, ScmiActors.Messages.StartPlatform>;

namespace ScmiActors.Platform;

/// <summary>
/// The local directory of handles (<c>/user/scmi</c>): starts a <see cref="HandleActor"/> per
/// platform, routes every <see cref="IPlatformMessage"/> to it by platform id, answers
/// <see cref="PlatformNotFound"/> for a platform nobody serves (never started or stopped), and
/// stops all handles in order for CoordinatedShutdown (<see cref="StopAllPlatforms"/>).
/// Answers <see cref="StartPlatform"/> with <see cref="PlatformStarted"/> as soon as the handle
/// exists (readiness is the handle's to tell: <see cref="AwaitPlatformReady"/>) and
/// <see cref="StopPlatform"/> with <see cref="PlatformShutdownComplete"/> only once the handle has
/// terminated, so a start right after an awaited stop always succeeds. A start for an id whose
/// handle is still stopping waits for that stop and then starts. Each incarnation has its own child
/// name (<c>platform-ID-iN</c>), so a new handle never collides with one still stopping.
/// The lifecycle rules live in <see cref="PlatformDirectory"/>; this actor is the glue. It never
/// fails on a message: one platform's lifecycle never touches another's.
/// In a cluster the shard region plays this part.
/// </summary>
public sealed class PlatformRegistryActor : ReceiveActor
{
    private readonly ScmiSettings _settings;
    private readonly Func<ProtocolCatalog> _catalog;
    private readonly ScmiMetrics? _metrics;
    private readonly PlatformDirectory _directory = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _stopAllRequesters = new();
    private bool _stoppingAll;

    public PlatformRegistryActor(ScmiSettings settings, Func<ProtocolCatalog> catalog, ScmiMetrics? metrics = null)
    {
        _settings = settings;
        _catalog = catalog;
        _metrics = metrics;

        Receive<StartPlatform>(OnStart);
        Receive<StopPlatform>(OnStop);
        Receive<IPlatformMessage>(m =>
        {
            if (_directory.RouteTo(m.PlatformId) is { } handle) handle.Forward(m);
            else Sender.Tell(new PlatformNotFound(m.PlatformId, m));
        });
        Receive<StopAllPlatforms>(_ =>
        {
            _stoppingAll = true;
            _stopAllRequesters.Add(Sender);
            foreach (var (id, handle) in _directory.BeginStopAll()) handle.Tell(new StopPlatform(id));
            ReplyIfAllStopped();
        });
        Receive<PlatformShutdownComplete>(c => _directory.FinalStats(Sender, c.FinalStats));
        Receive<HandleActor.HandleStopping>(h => _directory.Gone(Sender));
        Receive<HandleActor.HandleStopped>(h => _directory.FinalStats(Sender, h.FinalStats));
        Receive<Terminated>(t => OnTerminated(t.ActorRef));
    }

    // A handle that fails outside its message handlers (constructor, PreStart) is stopped, never
    // restarted: a restart would silently lose its subscriptions.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>The registry must never restart: a restart would stop every handle on the node abruptly.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e)
        {
            _log.Error(e, "Platform registry: handling {Message} failed; the message is dropped", message.GetType().Name);
            return true;
        }
    }

    /// <param name="metrics">The system's metrics, handed to every handle it starts; none when null.</param>
    public static Props Props(ScmiSettings settings, Func<ProtocolCatalog> catalog, ScmiMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new PlatformRegistryActor(settings, catalog, metrics));

    private void OnStart(StartPlatform start)
    {
        if (_stoppingAll)
        {
            Sender.Tell(new Status.Failure(new PlatformStartException(start.PlatformId, "the node is shutting down")));
            return;
        }
        switch (_directory.Start(start.PlatformId, Sender, start))
        {
            case PlatformDirectory.StartDecision.StartNow:
                Launch(start, Sender);
                break;
            case PlatformDirectory.StartDecision.AfterStop:
                _log.Info("Platform {Platform}: start waits for the previous handle to stop", start.PlatformId);
                break;
            case PlatformDirectory.StartDecision.AlreadyStarted:
                Sender.Tell(new Status.Failure(new PlatformStartException(start.PlatformId, "already started")));
                break;
        }
    }

    private void Launch(StartPlatform start, IActorRef replyTo)
    {
        var incarnation = _directory.NextIncarnation(start.PlatformId);
        var handle = Context.ActorOf(
            HandleActor.Props(start.PlatformId, start.Transport, start.Description, _settings, start.Options, _catalog(), _metrics),
            $"platform-{Uri.EscapeDataString(start.PlatformId)}-i{incarnation}");
        Context.Watch(handle);
        _directory.Started(start.PlatformId, handle);
        replyTo.Tell(new PlatformStarted(start.PlatformId, handle));
    }

    private void OnStop(StopPlatform stop)
    {
        switch (_directory.Stop(stop.PlatformId, Sender))
        {
            case PlatformDirectory.StopDecision.Forward forward:
                // The registry collects the answer and gives it once the handle has terminated.
                forward.Handle.Tell(stop, Self);
                break;
            case PlatformDirectory.StopDecision.Wait:
                break;
            case PlatformDirectory.StopDecision.NotFound:
                Sender.Tell(new PlatformNotFound(stop.PlatformId, stop));
                break;
        }
    }

    private void OnTerminated(IActorRef handle)
    {
        var ended = _directory.Terminated(handle);
        if (ended is null) return;
        var complete = new PlatformShutdownComplete(ended.PlatformId, ended.FinalStats ?? StoppedWithoutStats(ended.PlatformId));
        foreach (var requester in ended.StopRequesters) requester.Tell(complete);
        if (ended.NextStart is { } next)
        {
            if (_stoppingAll) next.ReplyTo.Tell(new Status.Failure(new PlatformStartException(next.Start.PlatformId, "the node is shutting down")));
            else Launch(next.Start, next.ReplyTo);
        }
        ReplyIfAllStopped();
    }

    private static PlatformStats StoppedWithoutStats(string platformId) =>
        new(platformId, PlatformState.Stopped, "the handle stopped without reporting its counters", 0, 0, 0, 0, [], 0, 0);

    private void ReplyIfAllStopped()
    {
        if (_directory.Count > 0 || _stopAllRequesters.Count == 0) return;
        foreach (var requester in _stopAllRequesters) requester.Tell(AllPlatformsStopped.Instance);
        _stopAllRequesters.Clear();
    }
}
