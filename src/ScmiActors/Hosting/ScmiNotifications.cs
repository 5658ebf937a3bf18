using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.DependencyInjection;
using Akka.Event;
using ScmiActors.Diagnostics;
using ScmiActors.Messages;
using ScmiActors.Platform;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Hosting;

/// <summary>
/// The ScmiActors extension, one per ActorSystem: starts platform handles, knows the protocol
/// catalog (standard plus vendor plug-ins), and stops every handle in order when the system
/// shuts down (CoordinatedShutdown, phase before-service-unbind: the gates close before anything
/// else goes away).
/// </summary>
public sealed class ScmiNotifications : IExtension
{
    private readonly ActorSystem _system;
    private ProtocolCatalog _catalog = ProtocolCatalogs.Default;
    // Sharded mode: the platforms this node hosts (their transports are local to this node).
    private readonly ConcurrentDictionary<string, HostedPlatform> _hosted = new();
    private bool _sharded;
    private bool _hostsPlatforms = true;
    private volatile bool _shuttingDown;
    // Platforms this node can reach and would host wherever the shard coordinator places them.
    private readonly ConcurrentDictionary<string, PlatformOffer> _offers = new();

    public ScmiNotifications(ExtendedActorSystem system)
    {
        _system = system;
        // The library's defaults under the host's configuration, as Akka's own extensions add theirs:
        // the protocol actors' dispatcher must resolve in any ActorSystem the extension is loaded into.
        system.Settings.InjectTopLevelFallback(ScmiSettings.DefaultConfig);
        Settings = ScmiSettings.FromConfig(system.Settings.Config);
        Metrics = new ScmiMetrics(HostMeterFactory(system));
        // Once the system is gone its instruments report nothing (and its own meter, if any, is disposed).
        system.WhenTerminated.ContinueWith(_ => Metrics.Dispose(), TaskScheduler.Default);
        // Akka starts its scheduler's thread on the first timer, and every caller blocks until it runs.
        // Handles start a timer in PreStart: a burst of them on a plain ActorSystem (nothing scheduled yet)
        // blocked every pool thread at once and waited for thread injection, 13 s for 100 platforms
        // on 2 busy cores. Start it here, once, on the thread that creates the extension.
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
        Registry = system.ActorOf(PlatformRegistryActor.Props(Settings, () => _catalog, Metrics), "scmi");
        Handles = Registry;

        var registry = Registry;
        var deadline = Settings.ShutdownBudget;
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "scmi-stop-platforms", async () =>
        {
            _shuttingDown = true;
            // Nothing may ask for an offered handle any more: during the hand-off that follows, a question
            // for a shard on its way to another node would wait in the region and hold the node's stop up.
            foreach (var offer in _offers.Values) system.Stop(offer.Keeper);
            try
            {
                // Offered platforms are not stopped: their shards are handed off with the region, and the
                // handle starts on another node that offers them, with its subscriptions.
                var stops = _hosted.Where(h => !h.Value.Offered)
                    .Select(h => (Task)Handles.Ask<PlatformShutdownComplete>(new StopPlatform(h.Key), deadline)).ToList();
                stops.Add(registry.Ask<AllPlatformsStopped>(StopAllPlatforms.Instance, deadline));
                await Task.WhenAll(stops);
            }
            catch (Exception)
            {
                // Past the deadline the system goes on stopping; the handles' PostStop counts what is left.
            }
            return Done.Instance;
        });
    }

    public static ScmiNotifications Get(ActorSystem system) => system.WithExtension<ScmiNotifications, ScmiNotificationsProvider>();

    public ScmiSettings Settings { get; }

    /// <summary>This system's instruments (meter <c>ScmiActors</c>): every handle of this system reports here, and only here.</summary>
    public ScmiMetrics Metrics { get; }

    /// <summary>
    /// The host's <see cref="IMeterFactory"/>, from the service provider Akka.Hosting (or any
    /// <see cref="DependencyResolverSetup"/>) gave the system; null when there is none.
    /// </summary>
    private static IMeterFactory? HostMeterFactory(ActorSystem system)
    {
        var setup = system.Settings.Setup.Get<DependencyResolverSetup>();
        return setup.HasValue ? setup.Value.DependencyResolver.GetService<IMeterFactory>() as IMeterFactory : null;
    }

    /// <summary>The local handle registry (<c>/user/scmi</c>).</summary>
    public IActorRef Registry { get; }

    /// <summary>
    /// Where every <see cref="IPlatformMessage"/> can be sent: the local registry, or, once the node
    /// runs handles as sharded entities, the shard region.
    /// </summary>
    public IActorRef Handles { get; internal set; }

    /// <summary>The protocols handles can decode: standard, i.MX BBM, and what <see cref="AddVendorProtocol"/> added.</summary>
    public ProtocolCatalog Catalog => _catalog;

    /// <summary>Plugs in a vendor protocol for handles started from now on.</summary>
    public void AddVendorProtocol(ProtocolDescriptor descriptor) =>
        ImmutableInterlocked(ref _catalog, c => c.With(descriptor));

    /// <summary>
    /// Starts the handle of one platform and completes when it is ready: the transport connected,
    /// discovery (if asked for) done, the gate open. Returns where to send its messages: the handle
    /// itself, or the shard region in a cluster. Throws <see cref="PlatformStartException"/> with the
    /// reason when it cannot be ready: the transport did not connect, discovery failed, the handle was
    /// not ready within <paramref name="timeout"/> (default: <c>scmi.start-timeout</c> and slack), the id
    /// is already started, or the node is shutting down. A handle whose initialisation failed stays
    /// failed (it answers every request with the reason) until it is stopped; then the id can be
    /// started again. A start for an id whose previous handle is still stopping waits for that stop
    /// to finish and then starts.
    /// </summary>
    public async Task<IActorRef> StartPlatformAsync(string platformId, IScmiTransport transport, PlatformDescription description,
        PlatformOptions? options = null, TimeSpan? timeout = null)
    {
        var started = await LaunchPlatformAsync(platformId, transport, description, options, timeout);
        await AwaitReadyAsync(platformId, started.Handle, started.Deadline);
        return started.Handle;
    }

    /// <summary>
    /// Starts the handle of one platform without waiting for it to be ready (it initialises on its own
    /// and keeps the requests that arrive meanwhile); <see cref="AwaitPlatformReady"/> asks later.
    /// </summary>
    public async Task<IActorRef> BeginStartPlatformAsync(string platformId, IScmiTransport transport, PlatformDescription description,
        PlatformOptions? options = null, TimeSpan? timeout = null) =>
        (await LaunchPlatformAsync(platformId, transport, description, options, timeout)).Handle;

    private async Task<(IActorRef Handle, DateTime Deadline)> LaunchPlatformAsync(string platformId, IScmiTransport transport,
        PlatformDescription description, PlatformOptions? options, TimeSpan? timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(description);
        var budget = timeout ?? Settings.StartTimeout + Settings.ShutdownBudget + TimeSpan.FromSeconds(1);
        var deadline = DateTime.UtcNow + budget;
        var start = new StartPlatform(platformId, transport, description, options ?? PlatformOptions.Default);
        if (_sharded)
        {
            await HostAsync(start, deadline);
            // The entity's props come from this node's table; StartEntity makes sharding create it now.
            // No sender: the StartEntityAck must not land in whatever actor context this continuation runs on.
            Handles.Tell(new ShardRegion.StartEntity(platformId), ActorRefs.NoSender);
            return (Handles, deadline);
        }
        try
        {
            var started = await Registry.Ask<PlatformStarted>(start, Remaining(deadline));
            return (started.Handle, deadline);
        }
        catch (PlatformStartException)
        {
            throw;
        }
        catch (AskTimeoutException)
        {
            throw new PlatformStartException(platformId, $"no handle within {budget.TotalSeconds:0.###} s (the previous one is still stopping)");
        }
    }

    /// <summary>Adds a platform to this node's table of hosted platforms; waits for a stopping incarnation of the same id to be gone.</summary>
    private async Task HostAsync(StartPlatform start, DateTime deadline)
    {
        while (true)
        {
            if (_shuttingDown) throw new PlatformStartException(start.PlatformId, "the node is shutting down");
            var hosted = new HostedPlatform(start, _hosted);
            if (_hosted.TryAdd(start.PlatformId, hosted)) return;
            if (!_hosted.TryGetValue(start.PlatformId, out var previous)) continue;
            if (!previous.Stopping) throw new PlatformStartException(start.PlatformId, "already started");
            try
            {
                await previous.Gone.WaitAsync(Remaining(deadline));
            }
            catch (TimeoutException)
            {
                throw new PlatformStartException(start.PlatformId, "the previous handle of this id did not stop in time");
            }
        }
    }

    private async Task AwaitReadyAsync(string platformId, IActorRef handles, DateTime deadline)
    {
        object answer;
        try
        {
            answer = await handles.Ask<object>(new AwaitPlatformReady(platformId), Remaining(deadline));
        }
        catch (AskTimeoutException)
        {
            throw new PlatformStartException(platformId, "not ready in time (the start's timeout passed first)");
        }
        switch (answer)
        {
            case PlatformReady:
                return;
            case PlatformStartFailed failed:
                throw new PlatformStartException(platformId, failed.Reason);
            case PlatformNotFound:
                throw new PlatformStartException(platformId, "the handle stopped before it was ready");
            default:
                throw new PlatformStartException(platformId, $"unexpected answer {answer.GetType().Name}");
        }
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>
    /// Runs the ordered shutdown of one platform and returns its final, exact counters once the handle
    /// has terminated (so a start right after succeeds). Throws <see cref="InvalidOperationException"/>
    /// for a platform that is not started.
    /// </summary>
    public async Task<PlatformShutdownComplete> StopPlatformAsync(string platformId, TimeSpan? timeout = null)
    {
        var budget = timeout ?? Settings.ShutdownBudget + TimeSpan.FromSeconds(1);
        var deadline = DateTime.UtcNow + budget;
        // Hosted here: from now on a start of this id waits for this incarnation to be gone.
        if (_hosted.TryGetValue(platformId, out var hosted)) hosted.MarkStopping();
        var answer = await Handles.Ask<object>(new StopPlatform(platformId), budget);
        switch (answer)
        {
            case PlatformShutdownComplete complete:
                // Sharded: the handle answers before its entity has stopped; the stop is done when it is gone.
                if (hosted is not null) await hosted.Gone.WaitAsync(Remaining(deadline));
                return complete;
            case PlatformNotFound:
                throw new InvalidOperationException($"platform {platformId} is not started");
            default:
                throw new InvalidOperationException($"platform {platformId}: unexpected answer {answer.GetType().Name} to StopPlatform");
        }
    }

    /// <summary>
    /// Offers a platform this node can reach, in a cluster where several nodes can (each offers it with
    /// a transport of its own to the same platform, e.g. the same shared-memory link). Its handle runs as
    /// a sharded entity on one of them, wherever the coordinator places its shard; when that node leaves
    /// or dies, the shard starts on another that offers it, and the handle there connects (retrying while
    /// the platform still holds the previous agent), discovers, restores the subscriptions from
    /// distributed data and enables again what they need: their subscribers are told SubscriptionPending,
    /// then SubscriptionActive, without subscribing again. <paramref name="transport"/> makes a new
    /// transport for each incarnation on this node; it is disposed when that incarnation stops. Only on a
    /// node that hosts handles in a cluster; an id offered twice on a node throws.
    /// </summary>
    /// <returns>What this node knows of the offered platform: whether it is ready and which node hosts it.</returns>
    public PlatformOfferStatus OfferPlatform(string platformId, Func<IScmiTransport> transport, PlatformDescription description,
        PlatformOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(description);
        if (!_sharded || !_hostsPlatforms)
            throw new InvalidOperationException("a platform is offered only on a cluster node that hosts handles (sharding on, HostsPlatforms)");
        if (_shuttingDown) throw new InvalidOperationException("the node is shutting down");
        var offer = new PlatformOffer(transport, description, options ?? PlatformOptions.Default, new PlatformOfferStatus(platformId));
        if (!_offers.TryAdd(platformId, offer)) throw new InvalidOperationException($"platform {platformId} is offered already");
        offer.Keeper = _system.ActorOf(PlatformOfferActor.Props(platformId, Handles, offer.Status, PlatformOfferActor.CheckInterval),
            $"offer-{Uri.EscapeDataString(platformId)}");
        return offer.Status;
    }

    /// <summary>The platforms this node offers, with what it knows of each.</summary>
    public IReadOnlyList<PlatformOfferStatus> Offers => _offers.Values.Select(o => o.Status).ToList();

    /// <summary>Switches to sharded handles: <see cref="Handles"/> becomes the shard region (or proxy).</summary>
    internal void UseShardRegion(IActorRef region, bool hostsPlatforms = true)
    {
        Handles = region;
        _sharded = true;
        _hostsPlatforms = hostsPlatforms;
    }

    /// <summary>
    /// Props of the sharded entity for a platform id: its handle if this node hosts it or offers it (a new
    /// incarnation with a transport of its own), else a stand-in that answers PlatformNotFound.
    /// </summary>
    internal Props EntityProps(string platformId)
    {
        if (_hosted.TryGetValue(platformId, out var hosted) && !hosted.Stopping && !hosted.Offered)
            return HandleActor.ShardedProps(hosted, Settings, _catalog, Metrics);
        if (_offers.TryGetValue(platformId, out var offer) && !_shuttingDown)
        {
            IScmiTransport transport;
            try
            {
                transport = offer.Transport();
            }
            catch (Exception e)
            {
                _system.Log.Error(e, "Platform {0}: its offered transport could not be made: {1}", platformId, e.Message);
                return UnknownPlatformActor.Props(platformId);
            }
            var incarnation = new HostedPlatform(new StartPlatform(platformId, transport, offer.Description, offer.Options), _hosted, offered: true);
            // A stopping incarnation of the same id has left the shard already (the shard creates an entity
            // only once the previous one terminated); its own MarkGone removes only itself.
            _hosted[platformId] = incarnation;
            return HandleActor.ShardedProps(incarnation, Settings, _catalog, Metrics);
        }
        return UnknownPlatformActor.Props(platformId);
    }

    private sealed record PlatformOffer(Func<IScmiTransport> Transport, PlatformDescription Description, PlatformOptions Options,
        PlatformOfferStatus Status)
    {
        public IActorRef Keeper { get; set; } = ActorRefs.Nobody;
    }

    private static void ImmutableInterlocked(ref ProtocolCatalog location, Func<ProtocolCatalog, ProtocolCatalog> update)
    {
        while (true)
        {
            var current = Volatile.Read(ref location);
            if (Interlocked.CompareExchange(ref location, update(current), current) == current) return;
        }
    }
}

public sealed class ScmiNotificationsProvider : ExtensionIdProvider<ScmiNotifications>
{
    public override ScmiNotifications CreateExtension(ExtendedActorSystem system) => new(system);
}
