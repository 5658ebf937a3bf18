using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using ScmiActors.Diagnostics;
using ScmiActors.Dispatch;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using static ScmiActors.Platform.PlatformStartup;

namespace ScmiActors.Platform;

/// <summary>
/// One platform (Linux's <c>scmi_notify_instance</c>). Owns the ingestion gate, the platform link,
/// the registered protocols (their protocol actors and event-source actors) and every
/// subscription, pending or bound. Initialises by connecting the transport, stashing whatever
/// arrives meanwhile; an init failure is permanent and answered at once. Answers
/// <see cref="Subscribe"/>, <see cref="Unsubscribe"/>, <see cref="RegisterProtocolEvents"/>,
/// <see cref="DeregisterProtocolEvents"/>, <see cref="GetStats"/> and <see cref="StopPlatform"/>
/// (ordered shutdown: close the gate, drain within a deadline, disable, tell subscribers, stop).
/// Watches subscribers: one that terminates is unsubscribed.
/// An offered handle (made by the shard from an offer of a platform several nodes can reach) can move
/// between nodes: its subscriptions are kept in distributed data by its <see cref="SubscriptionReplicaActor"/>
/// child and restored by the next incarnation, it keeps trying to connect instead of failing, and a
/// hand-off tells its subscribers SubscriptionPending rather than PlatformStopped.
/// </summary>
public sealed class HandleActor : ReceiveActor, IWithStash, IWithTimers, IControlPlane<IActorRef>
{
    private readonly string _platformId;
    private readonly IScmiTransport _transport;
    private PlatformDescription _description;
    private readonly ScmiSettings _settings;
    private readonly PlatformOptions _options;
    private readonly ProtocolCatalog _catalog;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _connectCancel = new();

    private IngestionGate _gate = null!;
    private IActorRef _link = ActorRefs.Nobody;
    private readonly MetricsSource _metrics;
    private readonly ScmiMetrics? _systemMetrics;

    // The state lives in plain classes; this actor receives, decides which to call, and tells.
    private readonly ProtocolRegistrations<IActorRef> _protocols = new();
    private readonly SubscriptionControl<IActorRef> _subscriptions;
    private readonly ShutdownSequence<IActorRef> _shutdown = new();
    private readonly DropLog _dropLog = new();
    private readonly ReconnectBackoff _backoff;
    // While reconnecting: what was registered when the platform was lost, registered again once it is back.
    private List<(ProtocolDescriptor Descriptor, PlatformProtocol Description)> _lostProtocols = [];
    private bool _resumeWhenReleased;
    private bool _rediscovered;

    private PlatformState _state = PlatformState.Initialising;
    private string? _failureReason;
    private bool _restarting;
    private readonly HostedPlatform? _hosted;
    // A sharded entity passivates instead of stopping; only sharded handles have a hosted incarnation.
    private bool _sharded => _hosted is not null;
    // Offered: it may move to another node, so its subscriptions are replicated and restored.
    private bool _offered => _hosted?.Offered == true;
    private IActorRef _replica = ActorRefs.Nobody;
    private bool _everReady;
    // A hand-off (the shard moves), not a stop: the subscriptions live on in the next incarnation.
    private bool _movingOut;

    private HandleActor(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions options, ProtocolCatalog catalog, HostedPlatform? hosted, ScmiMetrics? systemMetrics)
    {
        _hosted = hosted;
        _systemMetrics = systemMetrics;
        _platformId = platformId;
        _transport = transport;
        _description = description;
        _settings = settings;
        _options = options;
        _catalog = catalog;
        _log = Context.GetLogger().WithContext("Platform", platformId);
        _metrics = new MetricsSource(platformId);
        _subscriptions = new SubscriptionControl<IActorRef>(platformId, _protocols, this, _log);
        _backoff = new ReconnectBackoff(settings.ReconnectMinBackoff, settings.ReconnectMaxBackoff);
        Become(Initialising);
    }

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A handle that is a plain child (of the registry, or of a test).</summary>
    /// <param name="metrics">Where the handle publishes its counters (its system's, from the extension); none when null.</param>
    public static Props Props(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions? options = null, ProtocolCatalog? catalog = null, ScmiMetrics? metrics = null) =>
        Akka.Actor.Props.CreateBy(new Producer(platformId, transport, description, settings,
            options ?? PlatformOptions.Default, catalog ?? ProtocolCatalogs.Default, null, metrics));

    /// <summary>
    /// A sharded entity: it passivates instead of stopping, so the shard buffers what arrives meanwhile
    /// and hands it to the stand-in that answers for a stopped platform; it marks its incarnation in
    /// <paramref name="hosted"/> stopping and gone.
    /// </summary>
    internal static Props ShardedProps(HostedPlatform hosted, ScmiSettings settings, ProtocolCatalog catalog, ScmiMetrics metrics) =>
        Akka.Actor.Props.CreateBy(new Producer(hosted.Start.PlatformId, hosted.Start.Transport, hosted.Start.Description, settings,
            hosted.Start.Options, catalog, hosted, metrics));

    /// <summary>Props.Create needs a public constructor; the incarnation is internal, so a producer builds the handle.</summary>
    private sealed class Producer(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions options, ProtocolCatalog catalog, HostedPlatform? hosted, ScmiMetrics? metrics) : IIndirectActorProducer
    {
        public Type ActorType => typeof(HandleActor);

        public ActorBase Produce() => new HandleActor(platformId, transport, description, settings, options, catalog, hosted, metrics);

        public void Release(ActorBase actor) { }
    }

    // Not logged per failure: a decoder fault is counted (DecoderFaults) and reported by the rate-limited
    // drop log; firmware that trips a decoder bug a thousand times a second must not log a thousand lines.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e => e switch
    {
        // The protocol actor's state (ring, counters, routes) lives in its runtime: a restart loses nothing.
        DecoderFaultException => Directive.Restart,
        ActorInitializationException => Directive.Stop,
        // Control-plane actors keep their counts through a bug rather than forget enables.
        _ => Directive.Resume,
    }, loggingEnabled: false);

    protected override void PreStart()
    {
        _link = Context.ActorOf(PlatformLinkActor.Props(_platformId, _transport, _settings.CommandTimeout), "link");
        var link = _link;
        var self = Self;
        _gate = new IngestionGate(_platformId, (header, payload) => link.Tell(new RawResponse(header, payload), ActorRefs.NoSender),
            reason => self.Tell(new TransportLost(reason), ActorRefs.NoSender));
        _metrics.Gate = _gate.Counters;
        _systemMetrics?.Register(_metrics);

        PlatformStartup.ConnectAsync(_transport, _settings.ConnectTimeout, _connectCancel.Token).PipeTo(Self);
        if (_offered)
        {
            // No start timeout: an offered handle keeps trying until the platform lets it in (it may still
            // serve the agent of a node that is being downed); whoever offered it asks whether it is ready.
            _replica = Context.ActorOf(SubscriptionReplicaActor.Props(_platformId, ReplicaTimeout), "replica");
            _replica.Tell(SubscriptionReplicaActor.Restore.Instance);
            return;
        }
        // Connect and discovery are each bounded; this bounds the whole way to ready.
        Timers.StartSingleTimer("start-timeout", StartTimedOut.Instance, _settings.StartTimeout);
    }

    /// <summary>How long a majority read or write of the replicated subscriptions may take.</summary>
    private static readonly TimeSpan ReplicaTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A bug in the handle's own code must not restart it: a restart would lose every subscription
    /// while protocol actors still deliver. The message is logged and dropped; the state stays.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e)
        {
            _log.Error(e, "Platform {Platform}: handling {Message} failed; the message is dropped", _platformId, message.GetType().Name);
            return true;
        }
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // A restart (a bug in the handle itself) ends this incarnation like a stop — subscribers are
        // told PlatformStopped — but the platform stays hosted: the new incarnation reconnects.
        _restarting = true;
        _log.Error(reason, "Platform {Platform} handle failed and restarts; its subscribers are told PlatformStopped", _platformId);
        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        _connectCancel.Cancel();
        if (_restarting)
        {
            // Kill or an exception outside the handlers: the children are asked to stop but may still
            // be draining, so the rings are left to them; delivery stops after the current entry.
            _gate.Close();
            foreach (var registration in _protocols.Registered) registration.Runtime.StopDelivery = true;
            _subscriptions.TellSubscribersStopped();
        }
        else if (_state != PlatformState.Stopped)
        {
            // An abrupt stop (PoisonPill, parent stopping): the children have stopped already, so
            // nothing can deliver any more; close, count what is left, tell the subscribers.
            _gate.Close();
            foreach (var registration in _protocols.Registered) DiscardRemaining(registration.Runtime.Counters);
            foreach (var counters in _protocols.RetiringCounters) DiscardRemaining(counters);
            _subscriptions.TellSubscribersStopped();
            _state = PlatformState.Stopped;
            _log.Info("Platform {Platform} stopped without ordered shutdown; queues discarded", _platformId);
        }
        DetachTransport();
        _systemMetrics?.Unregister(_metrics);
        if (_restarting) return;
        // The registry answers its stop requesters with these counters once Terminated follows.
        if (!_sharded) Context.Parent.Tell(new HandleStopped(_platformId, Stats()));
        _hosted?.MarkGone();
    }

    // ---- states --------------------------------------------------------------------------------

    private void Initialising()
    {
        Receive<Connected>(_ =>
        {
            try
            {
                _transport.Attach(_gate);
            }
            catch (Exception e)
            {
                Fail($"transport attach failed: {e.Message}");
                return;
            }
            if (!StartDiscovery()) BecomeReady();
        });
        Receive<Discovered>(d =>
        {
            _description = d.Description;
            // One short line for a terminal; the protocol list (a long line) for those who ask for Debug.
            _log.Info("Platform {Platform} discovered {Count} protocols", _platformId, d.Description.Protocols.Count);
            if (_log.IsDebugEnabled)
                _log.Debug("Platform {Platform} protocols: {Protocols}", _platformId, PlatformStartup.Describe(d.Description, _catalog));
            BecomeReady();
        });
        Receive<DiscoveryFailed>(f =>
        {
            if (_offered) WaitForPlatform($"discovery: {f.Reason}");
            else Fail($"discovery: {f.Reason}");
        });
        Receive<ConnectFailed>(f =>
        {
            if (_offered) WaitForPlatform($"transport did not connect: {f.Reason}");
            else Fail($"transport did not connect: {f.Reason}");
        });
        Receive<SubscriptionReplicaActor.Restored>(OnRestored);
        Receive<StartTimedOut>(_ =>
        {
            _connectCancel.Cancel();
            Fail($"not ready within {_settings.StartTimeout.TotalSeconds:0.###} s (scmi.start-timeout)");
        });
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        // A stop while connecting or discovering does not wait for them: nothing is registered yet.
        Receive<HandOff>(_ =>
        {
            _movingOut = true;
            _shutdown.HandedOff = true;
            Self.Tell(new StopPlatform(_platformId));
        });
        Receive<StopPlatform>(_ =>
        {
            _shutdown.AddRequester(Sender);
            _connectCancel.Cancel();
            _hosted?.MarkStopping();
            _state = PlatformState.ShuttingDown;
            Become(ShuttingDown);
            // What waited for the initialisation is answered (as during a shutdown) before the stop.
            Stash.UnstashAll();
            Self.Tell(FinishNow.Instance);
        });
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>Discovers the platform over SCMI commands when asked to and able to; false when there is nothing to discover.</summary>
    private bool StartDiscovery()
    {
        if (!_options.Discover || !_transport.HasCommandPath) return false;
        _log.Info("Platform {Platform} connected; discovering protocols over SCMI commands", _platformId);
        PlatformStartup.Outcome(PlatformDiscovery.DiscoverAsync(_link, _description, _catalog,
            _settings.CommandTimeout + TimeSpan.FromSeconds(5))).PipeTo(Self);
        return true;
    }

    /// <summary>
    /// An offered handle that could not connect or discover at its start keeps its requests answered as
    /// while reconnecting (subscriptions pending) and tries again with back-off; it never fails for good.
    /// </summary>
    private void WaitForPlatform(string reason)
    {
        _log.Warning("Platform {Platform} not reachable yet: {Reason}; trying again", _platformId, reason);
        DetachTransport();
        _state = PlatformState.Reconnecting;
        Become(Reconnecting);
        _backoff.Reset();
        ScheduleReconnect();
        Stash.UnstashAll();
    }

    private void BecomeReady()
    {
        _everReady = true;
        Timers.Cancel("start-timeout");
        _state = PlatformState.Ready;
        Become(Ready);
        Timers.StartPeriodicTimer("drop-log", LogDrops.Instance, _settings.DropLogInterval);
        if (_options.RegisterDescribedProtocols) RegisterDescribed();
        _gate.Open();
        _log.Info("Platform {Platform} ready ({Protocols} protocols described)", _platformId, _description.Protocols.Count);
        Stash.UnstashAll();
    }

    private void Fail(string reason)
    {
        Timers.Cancel("start-timeout");
        _failureReason = reason;
        _state = PlatformState.Failed;
        _log.Error("Platform {Platform} failed to initialise: {Reason}", _platformId, reason);
        Become(Failed);
        Stash.UnstashAll();
    }

    /// <summary>Permanent: every request is answered at once with the failure, nothing is retried.</summary>
    private void Failed()
    {
        RefuseRequests(new SubscriptionFailure.PlatformUnavailable($"platform {_platformId} failed to initialise: {_failureReason}"),
            "platform failed to initialise", $"platform failed to initialise: {_failureReason}", _failureReason ?? "failed to initialise");
        Receive<SendPlatformCommand>(c => Sender.Tell(new CommandResult(c.Command.Correlation, CommandOutcome.Unavailable,
            ScmiStatus.GenericError, [], "platform failed to initialise")));
        // An initialisation step still under way when the start timed out finishes into nothing.
        IgnoreInitialisation();
        Receive<TransportLost>(_ => { });
        Receive<StopPlatform>(_ =>
        {
            _shutdown.AddRequester(Sender);
            Finish();
        });
        Receive<HandOff>(_ => Finish());
    }

    private void Ready()
    {
        Receive<Subscribe>(OnSubscribe);
        Receive<Unsubscribe>(u => _subscriptions.Unsubscribe(u.Id, Sender));
        Receive<RegisterProtocolEvents>(r =>
        {
            if (_protocols.IsReleasingOld(r.Events.Protocol))
            {
                Stash.Stash();
                return;
            }
            var error = Register(r.Events.Descriptor, r.Events.Description);
            Sender.Tell(error is null
                ? new ProtocolRegistered(_platformId, r.Events.Protocol)
                : new ProtocolRegistrationFailed(_platformId, r.Events.Protocol, error));
        });
        Receive<DeregisterProtocolEvents>(d => Sender.Tell(new ProtocolDeregistered(_platformId, d.Protocol, Deregister(d.Protocol))));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<AwaitPlatformReady>(_ => Sender.Tell(new PlatformReady(_platformId)));
        Receive<SendPlatformCommand>(c => _link.Forward(c.Command));
        Receive<StopPlatform>(_ =>
        {
            _shutdown.AddRequester(Sender);
            BeginShutdown();
        });
        Receive<HandOff>(_ =>
        {
            // The shard waits for this entity to stop (it takes no Passivate while handing off).
            _movingOut = true;
            _shutdown.HandedOff = true;
            BeginShutdown();
        });
        ReceiveControlPlane();
        Receive<TransportLost>(l => OnTransportLost(l.Reason));
    }

    /// <summary>While running or reconnecting: the source actors' answers, retiring protocol actors, watched actors, the drop log.</summary>
    private void ReceiveControlPlane()
    {
        Receive<SubscriberBound>(_subscriptions.Bound);
        Receive<SubscriberBindFailed>(_subscriptions.BindFailed);
        Receive<SubscriberUnbound>(_subscriptions.Unbound);
        Receive<RouteHold>(OnRouteHold);
        Receive<QueueDrained>(_ =>
        {
            // A deregistered protocol finished discarding: stop its actor; Terminated retires its counters.
            if (_protocols.IsRetiring(Sender)) Context.Stop(Sender);
        });
        Receive<SourcesReleased>(_ => { });
        Receive<Terminated>(OnTerminated);
        Receive<LogDrops>(_ => LogDropsSinceLast());
        Receive<SubscriptionReplicaActor.Restored>(OnRestored);
    }

    /// <summary>What earlier incarnations (on this node or another) had: each subscription comes back without its subscriber asking.</summary>
    private void OnRestored(SubscriptionReplicaActor.Restored restored)
    {
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        var entries = new List<(SubscriptionId, byte, byte, SourceSelector, IActorRef)>();
        foreach (var s in restored.Subscriptions)
        {
            var subscriber = provider.ResolveActorRef(s.SubscriberPath);
            if (subscriber.IsNobody() || subscriber is DeadLetterActorRef)
            {
                _replica.Tell(new SubscriptionReplicaActor.Forget(s));
                continue;
            }
            entries.Add((s.Id, s.Protocol, s.Event, s.Source, subscriber));
        }
        if (entries.Count > 0)
            _log.Info("Platform {Platform}: {Count} subscriptions restored from the cluster; their subscribers are told SubscriptionPending", _platformId, entries.Count);
        _subscriptions.Restore(entries);
    }

    private void OnSubscribe(Subscribe s)
    {
        if (s.Subscriber is null || s.Source is null)
            Sender.Tell(new SubscriptionFailed(_platformId, s.Id ?? _subscriptions.Table.NextId(),
                new SubscriptionFailure.PlatformUnavailable("Subscribe needs a subscriber and a source selector")));
        else _subscriptions.Subscribe(s.Id, s.Protocol, s.Event, s.Source, s.Subscriber, Sender);
    }

    // ---- platform lost, and back -------------------------------------------------------------------

    /// <summary>
    /// The transport lost the platform: every protocol is deregistered (its queue discarded and counted,
    /// its sources released, its subscriptions pending again, told SubscriptionPending) and the handle
    /// connects again with back-off. Linux gives up here; a firmware reset should not need every
    /// subscriber to subscribe again.
    /// </summary>
    private void OnTransportLost(string reason)
    {
        _log.Warning("Platform {Platform} lost: {Reason}; its subscriptions are pending until it is back", _platformId, reason);
        _gate.Close();
        DetachTransport();
        _lostProtocols = _protocols.Registered.Select(r => (r.Runtime.Descriptor, r.Runtime.Description)).ToList();
        _rediscovered = false;
        foreach (var (descriptor, _) in _lostProtocols) Deregister(descriptor.Id);
        _state = PlatformState.Reconnecting;
        Become(Reconnecting);
        _backoff.Reset();
        ScheduleReconnect();
    }

    private void ScheduleReconnect() => Timers.StartSingleTimer("reconnect", Reconnect.Instance, _backoff.Next());

    private void Reconnecting()
    {
        Receive<Subscribe>(OnSubscribe); // pending until the platform is back
        Receive<Unsubscribe>(u => _subscriptions.Unsubscribe(u.Id, Sender));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<SendPlatformCommand>(c => Sender.Tell(new CommandResult(c.Command.Correlation, CommandOutcome.Unavailable,
            ScmiStatus.GenericError, [], "the platform was lost; reconnecting")));
        Receive<StopPlatform>(_ =>
        {
            _shutdown.AddRequester(Sender);
            _connectCancel.Cancel();
            BeginShutdown();
        });
        Receive<HandOff>(_ =>
        {
            _movingOut = true;
            _shutdown.HandedOff = true;
            _connectCancel.Cancel();
            BeginShutdown();
        });
        ReceiveControlPlane();
        Receive<TransportLost>(_ => { }); // the same loss, told twice
        Receive<Reconnect>(_ => PlatformStartup.ConnectAsync(_transport, _settings.ConnectTimeout, _connectCancel.Token).PipeTo(Self));
        Receive<ConnectFailed>(f =>
        {
            _log.Info("Platform {Platform} not back yet (attempt {Attempt}): {Reason}", _platformId, _backoff.Attempts, f.Reason);
            ScheduleReconnect();
        });
        Receive<Connected>(_ =>
        {
            try
            {
                _transport.Attach(_gate);
            }
            catch (Exception e)
            {
                _log.Warning("Platform {Platform}: transport attach failed on reconnection: {Error}", _platformId, e.Message);
                ScheduleReconnect();
                return;
            }
            if (!StartDiscovery()) Resume();
        });
        Receive<Discovered>(d =>
        {
            _description = d.Description;
            _rediscovered = true;
            Resume();
        });
        Receive<DiscoveryFailed>(f =>
        {
            _log.Warning("Platform {Platform} answered but its discovery failed: {Reason}; trying again", _platformId, f.Reason);
            DetachTransport();
            ScheduleReconnect();
        });
        // Registrations and AwaitPlatformReady are answered once the platform is back.
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>
    /// The platform is back (and discovered again, when asked): the protocols it had are registered again,
    /// so their pending subscriptions bind and each subscriber is told SubscriptionActive. Waits first for the
    /// lost generation's sources to finish releasing, or an old disable could land after a new enable.
    /// </summary>
    private void Resume()
    {
        // An offered handle that reaches its platform for the first time: the start it never finished.
        if (!_everReady)
        {
            _backoff.Reset();
            BecomeReady();
            return;
        }
        if (_protocols.OldSources.Any())
        {
            _resumeWhenReleased = true;
            return;
        }
        _resumeWhenReleased = false;
        _backoff.Reset();
        _state = PlatformState.Ready;
        Become(Ready);
        foreach (var (descriptor, before) in _lostProtocols)
        {
            // Rediscovered: what the platform says now; a protocol it no longer has keeps its subscriptions pending.
            var description = _rediscovered ? _description.Protocols.GetValueOrDefault(descriptor.Id) : before;
            var error = description is null ? "the platform no longer implements it" : Register(descriptor, description);
            if (error is not null) _log.Warning("Protocol 0x{Protocol:X2} not registered again: {Reason}", descriptor.Id, error);
        }
        _lostProtocols = [];
        _gate.Open();
        _log.Info("Platform {Platform} is back: {Count} protocols registered again", _platformId, _protocols.Count);
        Stash.UnstashAll();
    }

    private void ShuttingDown()
    {
        const string stopping = "platform is shutting down";
        RefuseRequests(new SubscriptionFailure.Stopped(), stopping, stopping, stopping);
        Receive<StopPlatform>(_ => _shutdown.AddRequester(Sender));
        Receive<HandOff>(_ => _shutdown.HandedOff = true);
        Receive<SendPlatformCommand>(c => _link.Forward(c.Command));
        Receive<QueueDrained>(d =>
        {
            if (_protocols.Find(d.Protocol)?.Generation == d.Generation) _shutdown.Drained(d.Protocol);
            if (_shutdown.ReadyToRelease) ReleaseSourcesForShutdown();
        });
        Receive<DrainDeadline>(_ =>
        {
            _log.Warning("Drain deadline of {Deadline} reached; discarding what {Count} protocol queues still hold",
                _settings.DrainDeadline, _shutdown.StillDraining.Count);
            foreach (var protocol in _shutdown.StillDraining) _protocols.Find(protocol)!.Actor.Tell(DiscardQueue.Instance);
            Timers.StartSingleTimer("discard-deadline", DiscardDeadline.Instance, _settings.DrainDeadline);
        });
        Receive<DiscardDeadline>(_ =>
        {
            if (_shutdown.Step == ShutdownStep.Draining) ReleaseSourcesForShutdown();
        });
        Receive<SourcesReleased>(_ =>
        {
            if (_shutdown.SourceDone(Sender)) Finish();
        });
        Receive<ReleaseDeadline>(_ =>
        {
            _log.Warning("Disable deadline of {Deadline} reached; {Count} event sources did not confirm", _settings.DisableDeadline,
                _shutdown.StillReleasing);
            Finish();
        });
        Receive<Terminated>(OnTerminated);
        Receive<FinishNow>(_ => Finish());
        // An initialisation overtaken by the stop finishes into nothing.
        IgnoreInitialisation();
        Receive<StartTimedOut>(_ => { });
        Receive<Reconnect>(_ => { });
        Receive<TransportLost>(_ => { });
        // Late control-plane replies and holds are of no use any more.
        Receive<RouteHold>(RefuseHold);
        Receive<SubscriberBound>(_ => { });
        Receive<SubscriberBindFailed>(_ => { });
        Receive<SubscriberUnbound>(_ => { });
        Receive<LogDrops>(_ => { });
    }

    /// <summary>A failed or stopping platform answers every request at once with why it cannot serve it; stats still work.</summary>
    private void RefuseRequests(SubscriptionFailure subscribe, string unsubscribe, string register, string awaitReady)
    {
        Receive<Subscribe>(s => Sender.Tell(new SubscriptionFailed(_platformId, s.Id ?? _subscriptions.Table.NextId(), subscribe)));
        Receive<Unsubscribe>(u => Sender.Tell(new UnsubscribeFailed(_platformId, u.Id, unsubscribe)));
        Receive<RegisterProtocolEvents>(r => Sender.Tell(new ProtocolRegistrationFailed(_platformId, r.Events.Protocol, register)));
        Receive<DeregisterProtocolEvents>(d => Sender.Tell(new ProtocolDeregistered(_platformId, d.Protocol, false)));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<AwaitPlatformReady>(_ => Sender.Tell(new PlatformStartFailed(_platformId, awaitReady)));
    }

    private void IgnoreInitialisation()
    {
        Receive<Connected>(_ => { });
        Receive<ConnectFailed>(_ => { });
        Receive<Discovered>(_ => { });
        Receive<DiscoveryFailed>(_ => { });
        Receive<SubscriptionReplicaActor.Restored>(_ => { });
    }

    /// <summary>Stopped, waiting for the shard to take the entity away; anything that still arrives is told so.</summary>
    private void Passivating()
    {
        Receive<HandOff>(_ => Context.Stop(Self));
        Receive<IPlatformMessage>(m => Sender.Tell(new PlatformNotFound(_platformId, m)));
        ReceiveAny(_ => { });
    }

    // ---- the control plane -----------------------------------------------------------------------

    private void OnTerminated(Terminated t)
    {
        var (wasOld, freed) = _protocols.OldSourceStopped(t.ActorRef);
        if (wasOld)
        {
            if (_shutdown.SourceDone(t.ActorRef)) Finish();
            // A registration of its protocol waited for the old generation to be released.
            if (freed) Stash.UnstashAll();
            if (_resumeWhenReleased && !_protocols.OldSources.Any()) Resume();
            return;
        }
        if (_protocols.ProtocolActorStopped(t.ActorRef))
        {
            PublishMetrics();
            return;
        }
        if (!_subscriptions.SubscriberTerminated(t.ActorRef, running: _state is PlatformState.Ready or PlatformState.Reconnecting)) return;
        _shutdown.StrikeRecipient(t.ActorRef);
        _log.Info("Subscriber {Subscriber} terminated; its subscriptions are released", t.ActorRef.Path.ToString());
    }

    private void OnRouteHold(RouteHold hold)
    {
        if (_protocols.Find(hold.Protocol) is not { } registration || registration.Generation != hold.Generation)
        {
            RefuseHold(hold);
            return;
        }
        if (registration.Runtime.Descriptor.FindEvent(hold.Event) is not { } descriptor) return;
        _subscriptions.SourceActor(registration, descriptor, hold.Source)
            .Forward(hold.Acquire ? new AcquireHold(hold.Source) : new ReleaseHold(hold.Source));
    }

    /// <summary>A hold of a deregistered generation (or during shutdown) is answered at once: the release disables what it holds.</summary>
    private void RefuseHold(RouteHold hold) => Sender.Tell(hold.Acquire
        ? new HoldAcquired(hold.Source, new SubscriptionFailure.PlatformUnavailable($"protocol 0x{hold.Protocol:X2} is not registered"))
        : new HoldReleased(hold.Source));

    IActorRef IControlPlane<IActorRef>.CreateSourceActor(Registration<IActorRef> registration, EventDescriptor evt, uint source) =>
        Context.ActorOf(EventSourceActor.Props(evt, registration.Runtime.Description, source, _link, registration.Actor, StepTimeout, _platformId),
            $"p{registration.Protocol:x2}-g{registration.Generation}-e{evt.EventId}-s{source}");

    IActorRef IControlPlane<IActorRef>.CreateAllSourcesActor(Registration<IActorRef> registration, EventDescriptor evt, uint[] notifiable) =>
        Context.ActorOf(AllSourcesActor.Props(evt, notifiable, registration.Actor, StepTimeout * 2, registration.Generation, _platformId),
            $"p{registration.Protocol:x2}-g{registration.Generation}-e{evt.EventId}-all");

    void IControlPlane<IActorRef>.AddSubscriber(IActorRef source, SubscriptionId id, IActorRef subscriber, int generation) =>
        source.Tell(new AddSubscriber(id, subscriber, generation));

    void IControlPlane<IActorRef>.RemoveSubscriber(IActorRef source, SubscriptionId id, int generation) =>
        source.Tell(new RemoveSubscriber(id, generation));

    void IControlPlane<IActorRef>.Recorded(SubscriptionEntry<IActorRef> entry)
    {
        if (_offered) _replica.Tell(new SubscriptionReplicaActor.Record(Replicated(entry)));
    }

    void IControlPlane<IActorRef>.Forgotten(SubscriptionEntry<IActorRef> entry)
    {
        if (_offered) _replica.Tell(new SubscriptionReplicaActor.Forget(Replicated(entry)));
    }

    private static ReplicatedSubscription Replicated(SubscriptionEntry<IActorRef> entry) =>
        new(entry.Id, entry.Protocol, entry.Event, entry.Source, Akka.Serialization.Serialization.SerializedActorPath(entry.Subscriber));

    void IControlPlane<IActorRef>.Watch(IActorRef subscriber) => Context.Watch(subscriber);

    void IControlPlane<IActorRef>.Unwatch(IActorRef subscriber) => Context.Unwatch(subscriber);

    // Answers are told with the handle as sender; a notice to a subscriber (PlatformStopped) without one.
    void IControlPlane<IActorRef>.Tell(IActorRef to, object message) =>
        to.Tell(message, message is PlatformStopped ? ActorRefs.NoSender : Self);

    /// <summary>A control-plane step waits at most for one command (which the link times out) plus slack.</summary>
    private TimeSpan StepTimeout => _settings.CommandTimeout + TimeSpan.FromSeconds(1);

    // ---- protocols -------------------------------------------------------------------------------

    private void RegisterDescribed()
    {
        foreach (var (id, protocol) in _description.Protocols)
        {
            var descriptor = _catalog.Find(id);
            var error = descriptor is null ? $"no descriptor for protocol 0x{id:X2} in the catalog" : Register(descriptor, protocol);
            if (error is not null) _log.Warning("Described protocol 0x{Protocol:X2} not registered: {Reason}", id, error);
        }
    }

    /// <summary>Registers a protocol; returns why not, or null.</summary>
    private string? Register(ProtocolDescriptor descriptor, PlatformProtocol description)
    {
        var queueBytes = description.QueueBytes ?? _settings.QueueBytes ?? descriptor.DefaultQueueSize;
        if (_protocols.Check(descriptor, description, queueBytes) is { } error) return error;
        var tooLarge = descriptor.Events.Where(e => e.MaxPayload + ProtocolRing.EntryOverhead > queueBytes).Select(e => e.Name).ToList();
        if (tooLarge.Count > 0)
            _log.Warning("Protocol 0x{Protocol:X2}: a queue of {QueueBytes} bytes cannot hold the largest {Events} notifications; those will be dropped",
                descriptor.Id, queueBytes, string.Join(", ", tooLarge));
        var generation = _protocols.NextGeneration();
        var counters = new ProtocolCounters(descriptor.Id, new ProtocolRing(queueBytes));
        var runtime = new ProtocolRuntime(_platformId, descriptor, description, counters, generation, _settings.SubscriberWindow);
        var actor = Context.ActorOf(ProtocolActor.Props(runtime, _settings.DrainBatch, _settings.SubscriberStallTimeout)
            .WithDispatcher(ScmiSettings.ProtocolDispatcherId), $"protocol-{descriptor.Id:x2}-g{generation}");
        var registration = new Registration<IActorRef>(runtime, actor, generation);
        _protocols.Add(registration);
        var rateLimit = description.RateLimit ?? _settings.RateLimit;
        _gate.Install(new GateSlot(descriptor.Events.Select(e => e.MaxPayload).ToArray(), counters, actor,
            rateLimit is { } limit ? new RateLimiter(limit) : null));
        PublishMetrics();
        _log.Info("Protocol {Protocol} registered: {Name} v{Version}, {Events} events, {Sources} sources, queue {QueueBytes} bytes",
            $"0x{descriptor.Id:X2}", descriptor.Name, description.Version.ToString(), descriptor.Events.Length,
            descriptor.Events.Length == 0 ? 0 : descriptor.Events.Max(e => e.SourceCount(description)), queueBytes);
        if (rateLimit is { } perSecond)
            _log.Info("Protocol {Protocol}: at most {RateLimit} notifications per second are accepted (storm guard)", $"0x{descriptor.Id:X2}", perSecond);
        _subscriptions.Registered(registration);
        return null;
    }

    /// <summary>Stops delivery, discards the queue, releases the enables and puts the subscriptions back to pending.</summary>
    private bool Deregister(byte protocol)
    {
        if (_protocols.Deregister(protocol) is not { } registration) return false;
        _gate.Remove(protocol);
        registration.Runtime.StopDelivery = true;
        Context.Watch(registration.Actor);
        registration.Actor.Tell(DiscardQueue.Instance);
        foreach (var source in registration.EventSources.Values)
        {
            source.Tell(ReleaseSources.Instance);
            // Its Terminated tells that its enables are released (OldSourceStopped).
            Context.Watch(source);
        }
        PublishMetrics();
        _subscriptions.Deregistered(protocol);
        _log.Info("Protocol {Protocol} deregistered; its subscriptions are pending again", $"0x{protocol:X2}");
        return true;
    }

    private static void DiscardRemaining(ProtocolCounters counters)
    {
        var ring = counters.Ring;
        ring.Seal();
        while (ring.TryPeek(out _, out _, out _))
        {
            counters.Discarded++;
            ring.Release();
        }
    }

    // ---- shutdown --------------------------------------------------------------------------------

    private void BeginShutdown()
    {
        _hosted?.MarkStopping();
        _state = PlatformState.ShuttingDown;
        Become(ShuttingDown);
        // A registration stashed behind a deregistration is answered by the ShuttingDown behaviour.
        Stash.UnstashAll();
        // Requests in flight are answered at the end, after the drain: a subscription told it is gone
        // must not see a report the drain still delivers. (A subscriber that terminates meanwhile is struck from them.)
        _shutdown.BeginDrain(_protocols.Registered.Select(r => r.Protocol).ToList(), _subscriptions.TakeOwedReplies());
        _log.Info("Platform {Platform} shutting down: gate closed, draining {Count} protocol queues", _platformId, _protocols.Count);
        _gate.Close();
        foreach (var registration in _protocols.Registered) registration.Actor.Tell(DrainQueue.Instance);
        if (_shutdown.ReadyToRelease) ReleaseSourcesForShutdown();
        else Timers.StartSingleTimer("drain-deadline", DrainDeadline.Instance, _settings.DrainDeadline);
    }

    private void ReleaseSourcesForShutdown()
    {
        Timers.Cancel("drain-deadline");
        var sources = _protocols.Registered.SelectMany(r => r.EventSources.Values).ToList();
        foreach (var actor in sources) actor.Tell(ReleaseSources.Instance);
        // A deregistered generation's event sources still release (an enable may be outstanding): wait for
        // them too, or the platform accepts that enable after the handle stopped, with nobody to disable it.
        // Each answers SourcesReleased or, if it did already, its Terminated clears it (OnTerminated).
        if (_shutdown.BeginRelease(sources.Concat(_protocols.OldSources))) Finish();
        else Timers.StartSingleTimer("release-deadline", ReleaseDeadline.Instance, _settings.DisableDeadline);
    }

    private void Finish()
    {
        if (_shutdown.Finish() is not { } deferred) return;
        Timers.CancelAll();
        _gate.Close();
        // Entries a late producer slipped in after the drain finished are counted, never delivered.
        foreach (var registration in _protocols.Registered)
            if (!_shutdown.IsDraining(registration.Protocol)) DiscardRemaining(registration.Runtime.Counters);
        foreach (var (to, reply) in deferred) to.Tell(reply);
        if (_offered && _movingOut) _subscriptions.TellSubscribersMoving();
        else
        {
            _subscriptions.TellSubscribersStopped();
            // Stopped for good: the next incarnation must not bring back subscriptions told they ended. Sent
            // from here, not through the replica, which stops with this actor; the replicator's answer is of no use.
            if (_offered)
                Akka.DistributedData.DistributedData.Get(Context.System).Replicator.Tell(Akka.DistributedData.Dsl.Update(SubscriptionReplicaActor.KeyOf(_platformId),
                    Akka.DistributedData.ORSet<string>.Empty, new Akka.DistributedData.WriteMajority(ReplicaTimeout), set => set.Clear(Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress)),
                    ActorRefs.Nobody);
        }
        _state = PlatformState.Stopped;
        // Detach before answering, so a caller that awaited the stop sees the transport released.
        DetachTransport();
        var stats = Stats();
        foreach (var requester in _shutdown.Requesters) requester.Tell(new PlatformShutdownComplete(_platformId, stats));
        _log.Info("Platform {Platform} shutdown complete: {Received} received, accounting {Accounting}", _platformId, stats.Received,
            stats.AddsUp ? "adds up" : "does NOT add up");
        // From now on a start for this id waits for this incarnation to be gone, then starts afresh.
        _hosted?.MarkStopping();
        if (!_sharded || _shutdown.HandedOff)
        {
            // Handed off: the shard already waits for this entity to stop. Not sharded: tell the registry
            // first, so it answers PlatformNotFound rather than forward to a stopping handle.
            if (!_sharded) Context.Parent.Tell(new HandleStopping(_platformId));
            Context.Stop(Self);
            return;
        }
        Become(Passivating);
        Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(HandOff.Instance));
    }

    private void DetachTransport()
    {
        try
        {
            _transport.Detach();
        }
        catch (Exception e)
        {
            _log.Warning("Transport detach failed: {Error}", e.Message);
        }
    }

    // ---- stats and logs --------------------------------------------------------------------------

    private PlatformStats Stats()
    {
        var gate = _gate.Counters;
        return new PlatformStats(_platformId, _state, _failureReason,
            Volatile.Read(ref gate.UnknownProtocol), Volatile.Read(ref gate.ReservedMessageType),
            Volatile.Read(ref gate.NotANotification), Volatile.Read(ref gate.NotRunning),
            _protocols.Stats().ToImmutableArray(),
            _subscriptions.Table.CountIn(SubscriptionState.Active), _subscriptions.Table.CountIn(SubscriptionState.Pending));
    }

    /// <summary>Rate-limited warnings: one line per protocol per interval, only when something was lost.</summary>
    private void LogDropsSinceLast()
    {
        var gate = _gate.Counters;
        if (_dropLog.GateSince(Volatile.Read(ref gate.UnknownProtocol), Volatile.Read(ref gate.ReservedMessageType)) is var (unknown, reserved))
            _log.Warning("Platform {Platform} rejected {UnknownProtocol} notifications of unregistered protocols and {Reserved} of the reserved message type in the last {Interval}",
                _platformId, unknown, reserved, _settings.DropLogInterval);
        foreach (var registration in _protocols.Registered)
        {
            if (_dropLog.ProtocolSince(registration.Runtime.Counters.Snapshot(registered: true)) is not { } lost) continue;
            if (lost.DroppedRateLimited > 0)
                _log.Warning("Protocol {Protocol} dropped {Dropped} notifications (queue full), {Limited} over its rate limit, rejected {Rejected}, malformed {Malformed} in the last {Interval}",
                    $"0x{lost.Protocol:X2}", lost.DroppedQueueFull, lost.DroppedRateLimited, lost.Rejected, lost.Malformed, _settings.DropLogInterval);
            else
                _log.Warning("Protocol {Protocol} dropped {Dropped} notifications (queue full), rejected {Rejected}, malformed {Malformed} in the last {Interval}",
                    $"0x{lost.Protocol:X2}", lost.DroppedQueueFull, lost.Rejected, lost.Malformed, _settings.DropLogInterval);
        }
    }

    private void PublishMetrics() => _metrics.Protocols = _protocols.AllCounters();

    // ---- messages ----------------------------------------------------------------------------------

    /// <summary>
    /// Sharding's stop message for a handle (hand-off when its shard moves or the region stops, and the
    /// end of passivation): runs the ordered shutdown if it has not run yet, then stops.
    /// </summary>
    public sealed record HandOff
    {
        public static readonly HandOff Instance = new();
    }

    /// <summary>Handle → registry: my shutdown is done, route nothing more to me (Terminated follows).</summary>
    internal sealed record HandleStopping(string PlatformId);

    /// <summary>Handle → registry, from PostStop: the final counters, for the stop requesters (Terminated follows).</summary>
    internal sealed record HandleStopped(string PlatformId, PlatformStats FinalStats);

    // To itself: its timers and steps (the start's are PlatformStartup's).
    private sealed record StartTimedOut { public static readonly StartTimedOut Instance = new(); }
    private sealed record DrainDeadline { public static readonly DrainDeadline Instance = new(); }
    private sealed record DiscardDeadline { public static readonly DiscardDeadline Instance = new(); }
    private sealed record ReleaseDeadline { public static readonly ReleaseDeadline Instance = new(); }
    private sealed record FinishNow { public static readonly FinishNow Instance = new(); }
    private sealed record LogDrops { public static readonly LogDrops Instance = new(); }
    private sealed record Reconnect { public static readonly Reconnect Instance = new(); }
    // From the gate, on the transport's thread: the platform is gone.
    private sealed record TransportLost(string Reason);
}
