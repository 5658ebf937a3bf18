using Akka;
using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Sharding;
using ScmiActors.Actors;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors;

/// <summary>
/// The ScmiActors extension, one per ActorSystem: starts platform handles, knows the protocol
/// catalog (standard plus vendor plug-ins), and stops every handle in order when the system
/// shuts down (CoordinatedShutdown, phase before-service-unbind: the gates close before anything
/// else goes away).
/// </summary>
public sealed class ScmiNotifications : IExtension
{
    private readonly ActorSystem _system;
    private ProtocolCatalog _catalog = ProtocolCatalog.Default;
    // Sharded mode: the platforms this node hosts (their transports are local to this node).
    private readonly ConcurrentDictionary<string, StartPlatform> _hosted = new();
    private bool _sharded;

    public ScmiNotifications(ExtendedActorSystem system)
    {
        _system = system;
        Settings = ScmiSettings.FromConfig(system.Settings.Config);
        Registry = system.ActorOf(PlatformRegistryActor.Props(Settings, () => _catalog), "scmi");
        Handles = Registry;

        var registry = Registry;
        var deadline = Settings.ShutdownBudget;
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "scmi-stop-platforms", async () =>
        {
            try
            {
                var stops = _hosted.Keys.Select(id => (Task)Handles.Ask<PlatformShutdownComplete>(new StopPlatform(id), deadline)).ToList();
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

    /// <summary>Starts the handle of one platform and returns it at once; it initialises (connects) on its own and stashes requests meanwhile.</summary>
    public async Task<IActorRef> StartPlatformAsync(string platformId, IScmiTransport transport, PlatformDescription description,
        PlatformOptions? options = null, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(description);
        if (_sharded)
        {
            // The entity's props come from this node's directory; StartEntity makes sharding create it now.
            if (!_hosted.TryAdd(platformId, new StartPlatform(platformId, transport, description, options ?? PlatformOptions.Default)))
                throw new InvalidOperationException($"platform {platformId} is already started");
            Handles.Tell(new ShardRegion.StartEntity(platformId));
            return Handles;
        }
        var started = await Registry.Ask<PlatformStarted>(new StartPlatform(platformId, transport, description, options ?? PlatformOptions.Default),
            timeout ?? TimeSpan.FromSeconds(10));
        return started.Handle;
    }

    /// <summary>Runs the ordered shutdown of one platform and returns its final, exact counters.</summary>
    public Task<PlatformShutdownComplete> StopPlatformAsync(string platformId, TimeSpan? timeout = null) =>
        Handles.Ask<PlatformShutdownComplete>(new StopPlatform(platformId),
            timeout ?? Settings.ShutdownBudget + TimeSpan.FromSeconds(1));

    /// <summary>Switches to sharded handles: <see cref="Handles"/> becomes the shard region (or proxy).</summary>
    internal void UseShardRegion(IActorRef region, bool hostsPlatforms)
    {
        Handles = region;
        _sharded = true;
    }

    /// <summary>Props of the sharded entity for a platform id: its handle if this node hosts it, else a stand-in that answers PlatformNotFound.</summary>
    internal Props EntityProps(string platformId) =>
        _hosted.TryGetValue(platformId, out var start)
            ? HandleActor.Props(start.PlatformId, start.Transport, start.Description, Settings, start.Options, _catalog, sharded: true)
            : UnknownPlatformActor.Props(platformId);

    /// <summary>A handle stopped: a later message for its id must not start it again.</summary>
    internal void OnHandleStopped(string platformId) => _hosted.TryRemove(platformId, out _);

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
