using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using ScmiActors.Discovery;
using ScmiActors.Ingestion;
using ScmiActors.Link;
using ScmiActors.Messages;
using ScmiActors.Metrics;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Actors;

/// <summary>
/// One platform (Linux's <c>scmi_notify_instance</c>). Owns the ingestion gate, the platform link,
/// the registered protocols (their protocol actors and event-source actors) and every
/// subscription, pending or bound. Initialises by connecting the transport, stashing whatever
/// arrives meanwhile; an init failure is permanent and answered at once. Answers
/// <see cref="Subscribe"/>, <see cref="Unsubscribe"/>, <see cref="RegisterProtocolEvents"/>,
/// <see cref="DeregisterProtocolEvents"/>, <see cref="GetStats"/> and <see cref="StopPlatform"/>
/// (ordered shutdown: close the gate, drain within a deadline, disable, tell subscribers, stop).
/// Watches subscribers: one that terminates is unsubscribed.
/// </summary>
public sealed class HandleActor : ReceiveActor, IWithStash, IWithTimers
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

    private readonly Dictionary<byte, Registration> _registrations = new();
    private readonly Dictionary<byte, ProtocolStats> _retiredStats = new();
    private readonly Dictionary<IActorRef, ProtocolCounters> _retiring = new();
    private readonly Dictionary<SubscriptionId, SubscriptionEntry> _subscriptions = new();
    private readonly Dictionary<IActorRef, int> _watched = new();
    private readonly Dictionary<byte, ProtocolStats> _lastLogged = new();
    private long _lastUnknownProtocol;
    private long _lastReservedType;
    private readonly Dictionary<byte, HashSet<IActorRef>> _releasingOld = new();
    private readonly List<ProtocolCounters> _retiredCounters = new();
    private long _nextSubscriptionId;
    private int _nextGeneration;

    private PlatformState _state = PlatformState.Initialising;
    private string? _failureReason;

    // shutdown
    private readonly List<IActorRef> _stopRequesters = new();
    private readonly HashSet<byte> _awaitingDrain = new();
    private readonly HashSet<IActorRef> _awaitingRelease = new();
    private bool _releasing;
    private bool _handedOff;
    private readonly List<(IActorRef To, object Reply)> _deferredReplies = new();
    private bool _restarting;
    private readonly HostedPlatform? _hosted;
    // A sharded entity passivates instead of stopping; only sharded handles have a hosted incarnation.
    private bool _sharded => _hosted is not null;

    private HandleActor(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions options, ProtocolCatalog catalog, HostedPlatform? hosted)
    {
        _hosted = hosted;
        _platformId = platformId;
        _transport = transport;
        _description = description;
        _settings = settings;
        _options = options;
        _catalog = catalog;
        _log = Context.GetLogger().WithContext("Platform", platformId);
        _metrics = new MetricsSource(platformId);
        Become(Initialising);
    }

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A handle that is a plain child (of the registry, or of a test).</summary>
    public static Props Props(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions? options = null, ProtocolCatalog? catalog = null) =>
        Akka.Actor.Props.CreateBy(new Producer(platformId, transport, description, settings,
            options ?? PlatformOptions.Default, catalog ?? ProtocolCatalogs.Default, null));

    /// <summary>
    /// A sharded entity: it passivates instead of stopping, so the shard buffers what arrives meanwhile
    /// and hands it to the stand-in that answers for a stopped platform; it marks its incarnation in
    /// <paramref name="hosted"/> stopping and gone.
    /// </summary>
    internal static Props ShardedProps(HostedPlatform hosted, ScmiSettings settings, ProtocolCatalog catalog) =>
        Akka.Actor.Props.CreateBy(new Producer(hosted.Start.PlatformId, hosted.Start.Transport, hosted.Start.Description, settings,
            hosted.Start.Options, catalog, hosted));

    /// <summary>Props.Create needs a public constructor; the incarnation is internal, so a producer builds the handle.</summary>
    private sealed class Producer(string platformId, IScmiTransport transport, PlatformDescription description, ScmiSettings settings,
        PlatformOptions options, ProtocolCatalog catalog, HostedPlatform? hosted) : IIndirectActorProducer
    {
        public Type ActorType => typeof(HandleActor);

        public ActorBase Produce() => new HandleActor(platformId, transport, description, settings, options, catalog, hosted);

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
        _gate = new IngestionGate(_platformId, (header, payload) => link.Tell(new RawResponse(header, payload), ActorRefs.NoSender));
        _metrics.Gate = _gate.Counters;
        ScmiNotifications.Get(Context.System).Metrics.Register(_metrics);

        var self = Self;
        _transport.ConnectAsync(_connectCancel.Token)
            .WaitAsync(_settings.ConnectTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)Connected.Instance
                : new ConnectFailed(t.Exception?.GetBaseException().Message ?? "connection cancelled"), TaskScheduler.Default)
            .PipeTo(self);
        // Connect and discovery are each bounded; this bounds the whole way to ready.
        Timers.StartSingleTimer("start-timeout", StartTimedOut.Instance, _settings.StartTimeout);
    }

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
            foreach (var registration in _registrations.Values) registration.Runtime.StopDelivery = true;
            TellSubscribersStopped();
        }
        else if (_state != PlatformState.Stopped)
        {
            // An abrupt stop (PoisonPill, parent stopping): the children have stopped already, so
            // nothing can deliver any more; close, count what is left, tell the subscribers.
            _gate.Close();
            foreach (var registration in _registrations.Values) DiscardRemaining(registration.Runtime);
            foreach (var counters in _retiring.Values) DiscardRemaining(counters);
            TellSubscribersStopped();
            _state = PlatformState.Stopped;
            _log.Info("Platform {Platform} stopped without ordered shutdown; queues discarded", _platformId);
        }
        DetachTransport();
        ScmiNotifications.Get(Context.System).Metrics.Unregister(_metrics);
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
            if (_options.Discover && _transport.HasCommandPath)
            {
                _log.Info("Platform {Platform} connected; discovering protocols over SCMI commands", _platformId);
                PlatformDiscovery.DiscoverAsync(_link, _description, _catalog, _settings.CommandTimeout + TimeSpan.FromSeconds(5))
                    .ContinueWith(t => t.IsCompletedSuccessfully
                        ? (object)new Discovered(t.Result)
                        : new DiscoveryFailed(t.Exception?.GetBaseException() is DiscoveryException d ? d.Message
                            : $"discovery failed: {t.Exception?.GetBaseException().Message}"), TaskScheduler.Default)
                    .PipeTo(Self);
                return;
            }
            BecomeReady();
        });
        Receive<Discovered>(d =>
        {
            _description = d.Description;
            // One short line for a terminal; the protocol list (a long line) for those who ask for Debug.
            _log.Info("Platform {Platform} discovered {Count} protocols", _platformId, d.Description.Protocols.Count);
            if (_log.IsDebugEnabled)
                _log.Debug("Platform {Platform} protocols: {Protocols}", _platformId,
                    string.Join(", ", d.Description.Protocols.Values.Select(p =>
                        $"{_catalog.Find(p.ProtocolId)?.Name ?? $"0x{p.ProtocolId:X2}"} v{p.Version} ({p.SourceCount} sources)")));
            BecomeReady();
        });
        Receive<DiscoveryFailed>(f => Fail($"discovery: {f.Reason}"));
        Receive<ConnectFailed>(f => Fail($"transport did not connect: {f.Reason}"));
        Receive<StartTimedOut>(_ =>
        {
            _connectCancel.Cancel();
            Fail($"not ready within {_settings.StartTimeout.TotalSeconds:0.###} s (scmi.start-timeout)");
        });
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        // A stop while connecting or discovering does not wait for them: nothing is registered yet.
        Receive<HandOff>(_ => Self.Tell(new StopPlatform(_platformId)));
        Receive<StopPlatform>(_ =>
        {
            _stopRequesters.Add(Sender);
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

    private void BecomeReady()
    {
        Timers.Cancel("start-timeout");
        _state = PlatformState.Ready;
        Become(Ready);
        StartDropLog();
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
        var unavailable = new SubscriptionFailure.PlatformUnavailable($"platform {_platformId} failed to initialise: {_failureReason}");
        Receive<Subscribe>(s => Sender.Tell(new SubscriptionFailed(_platformId, s.Id ?? NextSubscriptionId(), unavailable)));
        Receive<Unsubscribe>(u => Sender.Tell(new UnsubscribeFailed(_platformId, u.Id, "platform failed to initialise")));
        Receive<RegisterProtocolEvents>(r => Sender.Tell(new ProtocolRegistrationFailed(_platformId, r.Events.Protocol,
            $"platform failed to initialise: {_failureReason}")));
        Receive<DeregisterProtocolEvents>(d => Sender.Tell(new ProtocolDeregistered(_platformId, d.Protocol, false)));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<AwaitPlatformReady>(_ => Sender.Tell(new PlatformStartFailed(_platformId, _failureReason ?? "failed to initialise")));
        Receive<SendPlatformCommand>(c => Sender.Tell(new CommandResult(c.Command.Correlation, CommandOutcome.Unavailable,
            ScmiStatus.GenericError, [], "platform failed to initialise")));
        // An initialisation step still under way when the start timed out finishes into nothing.
        Receive<Connected>(_ => { });
        Receive<ConnectFailed>(_ => { });
        Receive<Discovered>(_ => { });
        Receive<DiscoveryFailed>(_ => { });
        Receive<StopPlatform>(_ =>
        {
            _stopRequesters.Add(Sender);
            Finish();
        });
        Receive<HandOff>(_ => Finish());
    }

    private void Ready()
    {
        Receive<Subscribe>(OnSubscribe);
        Receive<Unsubscribe>(OnUnsubscribe);
        Receive<RegisterProtocolEvents>(r =>
        {
            if (_releasingOld.ContainsKey(r.Events.Protocol))
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
            _stopRequesters.Add(Sender);
            BeginShutdown();
        });
        Receive<HandOff>(_ => BeginShutdown());
        ReceiveControlPlaneReplies();
    }

    private void ShuttingDown()
    {
        Receive<Subscribe>(s => Sender.Tell(new SubscriptionFailed(_platformId, s.Id ?? NextSubscriptionId(), new SubscriptionFailure.Stopped())));
        Receive<Unsubscribe>(u => Sender.Tell(new UnsubscribeFailed(_platformId, u.Id, "platform is shutting down")));
        Receive<RegisterProtocolEvents>(r => Sender.Tell(new ProtocolRegistrationFailed(_platformId, r.Events.Protocol, "platform is shutting down")));
        Receive<DeregisterProtocolEvents>(d => Sender.Tell(new ProtocolDeregistered(_platformId, d.Protocol, false)));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<AwaitPlatformReady>(_ => Sender.Tell(new PlatformStartFailed(_platformId, "platform is shutting down")));
        Receive<StopPlatform>(_ => _stopRequesters.Add(Sender));
        Receive<HandOff>(_ => _handedOff = true);
        Receive<SendPlatformCommand>(c => _link.Forward(c.Command));
        Receive<QueueDrained>(d =>
        {
            if (_registrations.TryGetValue(d.Protocol, out var r) && r.Generation == d.Generation) _awaitingDrain.Remove(d.Protocol);
            if (_awaitingDrain.Count == 0) ReleaseSourcesForShutdown();
        });
        Receive<DrainDeadline>(_ =>
        {
            _log.Warning("Drain deadline of {Deadline} reached; discarding what {Count} protocol queues still hold",
                _settings.DrainDeadline, _awaitingDrain.Count);
            foreach (var protocol in _awaitingDrain) _registrations[protocol].Actor.Tell(DiscardQueue.Instance);
            Timers.StartSingleTimer("discard-deadline", DiscardDeadline.Instance, _settings.DrainDeadline);
        });
        Receive<DiscardDeadline>(_ => ReleaseSourcesForShutdown());
        Receive<SourcesReleased>(_ =>
        {
            _awaitingRelease.Remove(Sender);
            if (_releasing && _awaitingRelease.Count == 0) Finish();
        });
        Receive<ReleaseDeadline>(_ =>
        {
            _log.Warning("Disable deadline of {Deadline} reached; {Count} event sources did not confirm", _settings.DisableDeadline,
                _awaitingRelease.Count);
            Finish();
        });
        Receive<Terminated>(OnTerminated);
        Receive<FinishNow>(_ => Finish());
        // An initialisation overtaken by the stop finishes into nothing.
        Receive<Connected>(_ => { });
        Receive<ConnectFailed>(_ => { });
        Receive<Discovered>(_ => { });
        Receive<DiscoveryFailed>(_ => { });
        Receive<StartTimedOut>(_ => { });
        // Late control-plane replies and holds are of no use any more.
        Receive<RouteHold>(RefuseHold);
        Receive<SubscriberBound>(_ => { });
        Receive<SubscriberBindFailed>(_ => { });
        Receive<SubscriberUnbound>(_ => { });
        Receive<LogDrops>(_ => { });
    }

    /// <summary>Stopped, waiting for the shard to take the entity away; anything that still arrives is told so.</summary>
    private void Passivating()
    {
        Receive<HandOff>(_ => Context.Stop(Self));
        Receive<IPlatformMessage>(m => Sender.Tell(new PlatformNotFound(_platformId, m)));
        ReceiveAny(_ => { });
    }

    private void ReceiveControlPlaneReplies()
    {
        Receive<SubscriberBound>(OnBound);
        Receive<SubscriberBindFailed>(OnBindFailed);
        Receive<SubscriberUnbound>(OnUnbound);
        Receive<RouteHold>(OnRouteHold);
        Receive<QueueDrained>(d =>
        {
            // A deregistered protocol finished discarding: stop its actor; Terminated retires its counters.
            if (_retiring.Keys.FirstOrDefault(a => a.Equals(Sender)) is { } actor) Context.Stop(actor);
        });
        Receive<SourcesReleased>(_ => { });
        Receive<Terminated>(OnTerminated);
        Receive<LogDrops>(_ => LogDropsSinceLast());
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    private void OnSubscribe(Subscribe s)
    {
        if (s.Subscriber is null || s.Source is null)
        {
            Sender.Tell(new SubscriptionFailed(_platformId, s.Id ?? NextSubscriptionId(),
                new SubscriptionFailure.PlatformUnavailable("Subscribe needs a subscriber and a source selector")));
            return;
        }
        if (s.Id is { } chosen && _subscriptions.ContainsKey(chosen))
        {
            Sender.Tell(new SubscriptionFailed(_platformId, chosen, new SubscriptionFailure.DuplicateId()));
            return;
        }
        var entry = new SubscriptionEntry(s.Id ?? NextSubscriptionId(), s.Protocol, s.Event, s.Source, s.Subscriber);
        _subscriptions[entry.Id] = entry;
        Watch(entry.Subscriber);
        if (!_registrations.ContainsKey(s.Protocol))
        {
            entry.State = SubscriptionState.Pending;
            Sender.Tell(new SubscriptionPending(_platformId, entry.Id));
            return;
        }
        Bind(entry, Sender);
    }

    /// <summary>Validates against the registered protocol and hands the subscription to its event-source actor.</summary>
    private void Bind(SubscriptionEntry entry, IActorRef replyTo)
    {
        var registration = _registrations[entry.Protocol];
        var descriptor = registration.Runtime.Descriptor.FindEvent(entry.Event);
        if (descriptor is null)
        {
            FailEntry(entry, replyTo, new SubscriptionFailure.NoSuchEvent(entry.Protocol, entry.Event));
            return;
        }
        var protocol = registration.Runtime.Description;
        var count = descriptor.SourceCount(protocol);
        IActorRef target;
        if (entry.Source is SourceSelector.OneSource one)
        {
            if (one.Source >= count)
            {
                FailEntry(entry, replyTo, new SubscriptionFailure.SourceOutOfRange(one.Source, count));
                return;
            }
            if (!protocol.CanNotify(descriptor.EventId, one.Source))
            {
                FailEntry(entry, replyTo, new SubscriptionFailure.NotSupportedByPlatform(
                    $"source {one.Source} of {descriptor.Name} cannot notify"));
                return;
            }
            target = SourceActor(registration, descriptor, one.Source);
        }
        else
        {
            if (!AnyNotifiable(protocol, descriptor, count))
            {
                FailEntry(entry, replyTo, new SubscriptionFailure.NotSupportedByPlatform($"no source of {descriptor.Name} can notify"));
                return;
            }
            target = AllActor(registration, descriptor, count);
        }
        entry.State = SubscriptionState.Binding;
        entry.Generation = registration.Generation;
        entry.ReplyTo = replyTo;
        target.Tell(new AddSubscriber(entry.Id, entry.Subscriber, registration.Generation));
    }

    private static bool AnyNotifiable(PlatformProtocol protocol, EventDescriptor descriptor, uint count)
    {
        if (!protocol.CannotNotify.TryGetValue(descriptor.EventId, out var blocked)) return count > 0;
        for (uint s = 0; s < count; s++)
            if (!blocked.Contains(s)) return true;
        return false;
    }

    private void FailEntry(SubscriptionEntry entry, IActorRef? replyTo, SubscriptionFailure reason)
    {
        RemoveEntry(entry);
        _log.Info("Subscription {Subscription} to {Protocol}/{Event}/{Source} failed: {Reason}", entry.Id.ToString(),
            $"0x{entry.Protocol:X2}", entry.Event, entry.Source.ToString(), reason.ToString());
        Send(entry, replyTo, new SubscriptionFailed(_platformId, entry.Id, reason));
    }

    // Only a binding subscription is owed SubscriptionActive: an unsubscribing one was answered Cancelled already.
    private void OnBound(SubscriberBound bound)
    {
        if (!_subscriptions.TryGetValue(bound.Id, out var entry) || entry.Generation != bound.Generation) return;
        if (entry.State != SubscriptionState.Binding) return;
        entry.State = SubscriptionState.Active;
        Send(entry, entry.ReplyTo, new SubscriptionActive(_platformId, entry.Id));
        entry.ReplyTo = null;
    }

    // An unsubscribing one waits for its SubscriberUnbound, which the source sends after this.
    private void OnBindFailed(SubscriberBindFailed failed)
    {
        if (!_subscriptions.TryGetValue(failed.Id, out var entry) || entry.Generation != failed.Generation) return;
        if (entry.State != SubscriptionState.Binding) return;
        FailEntry(entry, entry.ReplyTo, failed.Reason);
    }

    /// <summary>
    /// Settles what a binding subscription's Subscribe is owed (SubscriptionActive or Failed, to its
    /// sender or, after SubscriptionPending, to the subscriber) once it can no longer become active.
    /// </summary>
    private void Cancel(SubscriptionEntry entry, string why)
    {
        Send(entry, entry.ReplyTo, new SubscriptionFailed(_platformId, entry.Id, new SubscriptionFailure.Cancelled(why)));
        entry.ReplyTo = null;
    }

    /// <summary>Tells <paramref name="to"/>, unless it is the subscription's subscriber and that has terminated.</summary>
    private static void Send(SubscriptionEntry entry, IActorRef? to, object message)
    {
        if (to is null || entry.SubscriberGone && to.Equals(entry.Subscriber)) return;
        to.Tell(message);
    }

    private void OnUnsubscribe(Unsubscribe u)
    {
        if (!_subscriptions.TryGetValue(u.Id, out var entry))
        {
            Sender.Tell(new UnsubscribeFailed(_platformId, u.Id, "no such subscription"));
            return;
        }
        switch (entry.State)
        {
            case SubscriptionState.Pending:
                RemoveEntry(entry);
                Sender.Tell(new Unsubscribed(_platformId, u.Id));
                break;
            case SubscriptionState.Unbinding:
                Sender.Tell(new UnsubscribeFailed(_platformId, u.Id, "already being unsubscribed"));
                break;
            case SubscriptionState.Binding:
                // The enable may still succeed: the source then disables again before it answers Unbound.
                Cancel(entry, "unsubscribed before it became active");
                entry.UnsubscribeReplyTo = Sender;
                StartUnbind(entry);
                break;
            case SubscriptionState.Active:
                entry.UnsubscribeReplyTo = Sender;
                StartUnbind(entry);
                break;
        }
    }

    private void StartUnbind(SubscriptionEntry entry)
    {
        entry.State = SubscriptionState.Unbinding;
        var registration = _registrations[entry.Protocol];
        registration.EventSources[(entry.Event, entry.Source)].Tell(new RemoveSubscriber(entry.Id, entry.Generation));
    }

    private void OnUnbound(SubscriberUnbound unbound)
    {
        if (!_subscriptions.TryGetValue(unbound.Id, out var entry) || entry.State != SubscriptionState.Unbinding
            || entry.Generation != unbound.Generation) return;
        RemoveEntry(entry);
        Send(entry, entry.UnsubscribeReplyTo, new Unsubscribed(_platformId, entry.Id));
    }

    private void OnTerminated(Terminated t)
    {
        foreach (var (protocol, olds) in _releasingOld)
        {
            if (!olds.Remove(t.ActorRef)) continue;
            if (_awaitingRelease.Remove(t.ActorRef) && _releasing && _awaitingRelease.Count == 0) Finish();
            if (olds.Count == 0)
            {
                _releasingOld.Remove(protocol);
                Stash.UnstashAll();
            }
            return;
        }
        if (_retiring.Remove(t.ActorRef, out var counters))
        {
            Retire(counters);
            return;
        }
        if (!_watched.Remove(t.ActorRef)) return;
        foreach (var entry in _subscriptions.Values.Where(e => e.Subscriber.Equals(t.ActorRef)).ToList())
        {
            entry.SubscriberGone = true;
            if (_state != PlatformState.Ready)
            {
                // Shutting down: the release disables what it enabled; it is told nothing more (no PlatformStopped).
                _subscriptions.Remove(entry.Id);
                continue;
            }
            switch (entry.State)
            {
                case SubscriptionState.Pending:
                    _subscriptions.Remove(entry.Id);
                    break;
                case SubscriptionState.Binding:
                    Cancel(entry, "the subscriber terminated");
                    StartUnbind(entry);
                    break;
                case SubscriptionState.Active:
                    StartUnbind(entry);
                    break;
            }
        }
        _deferredReplies.RemoveAll(r => r.To.Equals(t.ActorRef));
        _log.Info("Subscriber {Subscriber} terminated; its subscriptions are released", t.ActorRef.Path.ToString());
    }

    private void OnRouteHold(RouteHold hold)
    {
        if (!_registrations.TryGetValue(hold.Protocol, out var registration) || registration.Generation != hold.Generation)
        {
            RefuseHold(hold);
            return;
        }
        var descriptor = registration.Runtime.Descriptor.FindEvent(hold.Event);
        if (descriptor is null) return;
        var actor = SourceActor(registration, descriptor, hold.Source);
        actor.Forward(hold.Acquire ? new AcquireHold(hold.Source) : new ReleaseHold(hold.Source));
    }

    /// <summary>A hold of a deregistered generation (or during shutdown) is answered at once: the release disables what it holds.</summary>
    private void RefuseHold(RouteHold hold) => Sender.Tell(hold.Acquire
        ? new HoldAcquired(hold.Source, new SubscriptionFailure.PlatformUnavailable($"protocol 0x{hold.Protocol:X2} is not registered"))
        : new HoldReleased(hold.Source));

    private IActorRef SourceActor(Registration registration, EventDescriptor descriptor, uint source)
    {
        var key = (descriptor.EventId, SourceSelector.Id(source));
        if (registration.EventSources.TryGetValue(key, out var actor)) return actor;
        actor = Context.ActorOf(EventSourceActor.Props(descriptor, registration.Runtime.Description, source, _link,
                registration.Actor, StepTimeout, _platformId),
            $"p{registration.Protocol:x2}-g{registration.Generation}-e{descriptor.EventId}-s{source}");
        registration.EventSources[key] = actor;
        return actor;
    }

    private IActorRef AllActor(Registration registration, EventDescriptor descriptor, uint count)
    {
        var key = (descriptor.EventId, SourceSelector.All);
        if (registration.EventSources.TryGetValue(key, out var actor)) return actor;
        var protocol = registration.Runtime.Description;
        var notifiable = new List<uint>();
        for (uint s = 0; s < count; s++)
            if (protocol.CanNotify(descriptor.EventId, s)) notifiable.Add(s);
        actor = Context.ActorOf(AllSourcesActor.Props(descriptor, notifiable.ToArray(), registration.Actor, StepTimeout * 2,
                registration.Generation, _platformId),
            $"p{registration.Protocol:x2}-g{registration.Generation}-e{descriptor.EventId}-all");
        registration.EventSources[key] = actor;
        return actor;
    }

    /// <summary>A control-plane step waits at most for one command (which the link times out) plus slack.</summary>
    private TimeSpan StepTimeout => _settings.CommandTimeout + TimeSpan.FromSeconds(1);

    private void Watch(IActorRef subscriber)
    {
        _watched.TryGetValue(subscriber, out var n);
        if (n == 0) Context.Watch(subscriber);
        _watched[subscriber] = n + 1;
    }

    private void RemoveEntry(SubscriptionEntry entry)
    {
        _subscriptions.Remove(entry.Id);
        if (!_watched.TryGetValue(entry.Subscriber, out var n)) return;
        if (n <= 1)
        {
            _watched.Remove(entry.Subscriber);
            Context.Unwatch(entry.Subscriber);
        }
        else
        {
            _watched[entry.Subscriber] = n - 1;
        }
    }

    /// <summary>The next number no subscription uses (a caller may have chosen it).</summary>
    private SubscriptionId NextSubscriptionId()
    {
        SubscriptionId id;
        do id = new SubscriptionId(++_nextSubscriptionId);
        while (_subscriptions.ContainsKey(id));
        return id;
    }

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
        if (descriptor.Id != description.ProtocolId)
            return $"descriptor is for protocol 0x{descriptor.Id:X2}, description for 0x{description.ProtocolId:X2}";
        if (_registrations.ContainsKey(descriptor.Id)) return $"protocol 0x{descriptor.Id:X2} is already registered";

        var queueBytes = description.QueueBytes ?? _settings.QueueBytes ?? descriptor.DefaultQueueSize;
        if (queueBytes < ProtocolRing.EntryOverhead * 4) return $"queue of {queueBytes} bytes is too small (at least {ProtocolRing.EntryOverhead * 4})";
        if (queueBytes > ProtocolRing.MaxBudgetBytes) return $"queue of {queueBytes} bytes is too large (at most {ProtocolRing.MaxBudgetBytes})";
        var tooLarge = descriptor.Events.Where(e => e.MaxPayload + ProtocolRing.EntryOverhead > queueBytes).Select(e => e.Name).ToList();
        if (tooLarge.Count > 0)
            _log.Warning("Protocol 0x{Protocol:X2}: a queue of {QueueBytes} bytes cannot hold the largest {Events} notifications; those will be dropped",
                descriptor.Id, queueBytes, string.Join(", ", tooLarge));
        var generation = ++_nextGeneration;
        var counters = new ProtocolCounters(descriptor.Id, new ProtocolRing(queueBytes));
        var runtime = new ProtocolRuntime(_platformId, descriptor, description, counters, generation, _settings.SubscriberWindow);
        var actor = Context.ActorOf(ProtocolActor.Props(runtime, _settings.DrainBatch, _settings.SubscriberStallTimeout), $"protocol-{descriptor.Id:x2}-g{generation}");
        var registration = new Registration(runtime, actor, generation);
        _registrations[descriptor.Id] = registration;
        var rateLimit = description.RateLimit ?? _settings.RateLimit;
        _gate.Install(new GateSlot(descriptor.Events.Select(e => e.MaxPayload).ToArray(), counters, actor,
            rateLimit is { } limit ? new RateLimiter(limit) : null));
        PublishMetrics();
        _log.Info("Protocol {Protocol} registered: {Name} v{Version}, {Events} events, {Sources} sources, queue {QueueBytes} bytes",
            $"0x{descriptor.Id:X2}", descriptor.Name, description.Version.ToString(), descriptor.Events.Length,
            descriptor.Events.Length == 0 ? 0 : descriptor.Events.Max(e => e.SourceCount(description)), queueBytes);
        if (rateLimit is { } perSecond)
            _log.Info("Protocol {Protocol}: at most {RateLimit} notifications per second are accepted (storm guard)", $"0x{descriptor.Id:X2}", perSecond);

        foreach (var entry in _subscriptions.Values.Where(e => e.Protocol == descriptor.Id && e.State == SubscriptionState.Pending).ToList())
            Bind(entry, entry.Subscriber);
        return null;
    }

    /// <summary>Stops delivery, discards the queue, releases the enables and puts the subscriptions back to pending.</summary>
    private bool Deregister(byte protocol)
    {
        if (!_registrations.Remove(protocol, out var registration)) return false;
        _gate.Remove(protocol);
        _retiring[registration.Actor] = registration.Runtime.Counters;
        registration.Runtime.StopDelivery = true;
        Context.Watch(registration.Actor);
        registration.Actor.Tell(DiscardQueue.Instance);
        foreach (var source in registration.EventSources.Values) source.Tell(ReleaseSources.Instance);
        if (registration.EventSources.Count > 0)
        {
            _releasingOld[protocol] = registration.EventSources.Values.ToHashSet();
            foreach (var source in registration.EventSources.Values) Context.Watch(source);
        }
        PublishMetrics();

        foreach (var entry in _subscriptions.Values.Where(e => e.Protocol == protocol).ToList())
        {
            switch (entry.State)
            {
                case SubscriptionState.Unbinding:
                    // The release disables what it enabled; the Subscribe was answered when the unsubscribe began.
                    RemoveEntry(entry);
                    Send(entry, entry.UnsubscribeReplyTo, new Unsubscribed(_platformId, entry.Id));
                    break;
                case SubscriptionState.Binding:
                    // The answer the Subscribe is owed; what follows goes to the subscriber.
                    entry.State = SubscriptionState.Pending;
                    Send(entry, entry.ReplyTo, new SubscriptionPending(_platformId, entry.Id));
                    entry.ReplyTo = null;
                    break;
                case SubscriptionState.Active:
                    entry.State = SubscriptionState.Pending;
                    Send(entry, entry.Subscriber, new SubscriptionPending(_platformId, entry.Id));
                    break;
            }
        }
        _log.Info("Protocol {Protocol} deregistered; its subscriptions are pending again", $"0x{protocol:X2}");
        return true;
    }

    private void Retire(ProtocolCounters counters)
    {
        _retiredCounters.Add(counters);
        var stats = counters.Snapshot(registered: false);
        _retiredStats[counters.Protocol] = _retiredStats.TryGetValue(counters.Protocol, out var earlier) ? earlier + stats : stats;
        PublishMetrics();
    }

    private static void DiscardRemaining(ProtocolRuntime runtime) => DiscardRemaining(runtime.Counters);

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
        // must not see a report the drain still delivers.
        // (A subscriber that terminates meanwhile is struck from them: OnTerminated.)
        foreach (var entry in _subscriptions.Values)
        {
            if (entry.State == SubscriptionState.Binding && entry.ReplyTo is { } r)
            {
                _deferredReplies.Add((r, new SubscriptionFailed(_platformId, entry.Id, new SubscriptionFailure.Stopped())));
                entry.ReplyTo = null;
            }
            if (entry.State == SubscriptionState.Unbinding && entry.UnsubscribeReplyTo is { } u)
            {
                _deferredReplies.Add((u, new Unsubscribed(_platformId, entry.Id)));
                entry.UnsubscribeReplyTo = null;
            }
        }
        _log.Info("Platform {Platform} shutting down: gate closed, draining {Count} protocol queues", _platformId, _registrations.Count);
        _gate.Close();
        foreach (var (protocol, registration) in _registrations)
        {
            _awaitingDrain.Add(protocol);
            registration.Actor.Tell(DrainQueue.Instance);
        }
        if (_awaitingDrain.Count == 0) ReleaseSourcesForShutdown();
        else Timers.StartSingleTimer("drain-deadline", DrainDeadline.Instance, _settings.DrainDeadline);
    }

    private void ReleaseSourcesForShutdown()
    {
        if (_releasing) return;
        _releasing = true;
        Timers.Cancel("drain-deadline");
        foreach (var registration in _registrations.Values)
        foreach (var actor in registration.EventSources.Values)
        {
            _awaitingRelease.Add(actor);
            actor.Tell(ReleaseSources.Instance);
        }
        // A deregistered generation's event sources still release (an enable may be outstanding): wait for
        // them too, or the platform accepts that enable after the handle stopped, with nobody to disable it.
        // Each answers SourcesReleased or, if it did already, its Terminated clears it (OnTerminated).
        foreach (var actor in _releasingOld.Values.SelectMany(olds => olds)) _awaitingRelease.Add(actor);
        if (_awaitingRelease.Count == 0) Finish();
        else Timers.StartSingleTimer("release-deadline", ReleaseDeadline.Instance, _settings.DisableDeadline);
    }

    private void Finish()
    {
        if (_state == PlatformState.Stopped) return;
        Timers.CancelAll();
        _gate.Close();
        // Entries a late producer slipped in after the drain finished are counted, never delivered.
        foreach (var (protocol, registration) in _registrations)
            if (!_awaitingDrain.Contains(protocol)) DiscardRemaining(registration.Runtime);
        foreach (var (to, reply) in _deferredReplies) to.Tell(reply);
        TellSubscribersStopped();
        _state = PlatformState.Stopped;
        // Detach before answering, so a caller that awaited the stop sees the transport released.
        DetachTransport();
        var stats = Stats();
        foreach (var requester in _stopRequesters) requester.Tell(new PlatformShutdownComplete(_platformId, stats));
        _log.Info("Platform {Platform} shutdown complete: {Received} received, accounting {Accounting}", _platformId, stats.Received,
            stats.AddsUp ? "adds up" : "does NOT add up");
        // From now on a start for this id waits for this incarnation to be gone, then starts afresh.
        _hosted?.MarkStopping();
        if (!_sharded || _handedOff)
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

    /// <summary>Once to each live subscriber that still has a subscription; one being unsubscribed has ended (Unsubscribed).</summary>
    private void TellSubscribersStopped()
    {
        var stopped = new PlatformStopped(_platformId);
        foreach (var subscriber in _subscriptions.Values
                     .Where(e => e.State != SubscriptionState.Unbinding && !e.SubscriberGone).Select(e => e.Subscriber).Distinct())
            subscriber.Tell(stopped, ActorRefs.NoSender);
    }

    // ---- stats and logs --------------------------------------------------------------------------

    private PlatformStats Stats()
    {
        var protocols = new SortedDictionary<byte, ProtocolStats>(_retiredStats);
        foreach (var counters in _retiring.Values) Add(protocols, counters.Snapshot(registered: false));
        foreach (var registration in _registrations.Values) Add(protocols, registration.Runtime.Counters.Snapshot(registered: true));
        var gate = _gate.Counters;
        return new PlatformStats(_platformId, _state, _failureReason,
            Volatile.Read(ref gate.UnknownProtocol), Volatile.Read(ref gate.ReservedMessageType),
            Volatile.Read(ref gate.NotANotification), Volatile.Read(ref gate.NotRunning),
            protocols.Values.ToImmutableArray(),
            _subscriptions.Values.Count(e => e.State == SubscriptionState.Active),
            _subscriptions.Values.Count(e => e.State == SubscriptionState.Pending));

        static void Add(SortedDictionary<byte, ProtocolStats> map, ProtocolStats stats) =>
            map[stats.Protocol] = map.TryGetValue(stats.Protocol, out var existing) ? existing + stats : stats;
    }

    private void StartDropLog() => Timers.StartPeriodicTimer("drop-log", LogDrops.Instance, _settings.DropLogInterval);

    /// <summary>Rate-limited warnings: one line per protocol per interval, only when something was lost.</summary>
    private void LogDropsSinceLast()
    {
        // Messages that belong to no protocol: firmware talking about protocols nobody registered, or
        // using the reserved message type. Counted at the gate; warned about here, once per interval.
        var gate = _gate.Counters;
        var unknown = Volatile.Read(ref gate.UnknownProtocol);
        var reserved = Volatile.Read(ref gate.ReservedMessageType);
        if (unknown > _lastUnknownProtocol || reserved > _lastReservedType)
            _log.Warning("Platform {Platform} rejected {UnknownProtocol} notifications of unregistered protocols and {Reserved} of the reserved message type in the last {Interval}",
                _platformId, unknown - _lastUnknownProtocol, reserved - _lastReservedType, _settings.DropLogInterval);
        _lastUnknownProtocol = unknown;
        _lastReservedType = reserved;
        foreach (var registration in _registrations.Values)
        {
            var now = registration.Runtime.Counters.Snapshot(registered: true);
            var before = _lastLogged.GetValueOrDefault(now.Protocol) ?? ProtocolStats.Empty(now.Protocol);
            _lastLogged[now.Protocol] = now;
            var dropped = now.DroppedQueueFull - before.DroppedQueueFull;
            var limited = now.DroppedRateLimited - before.DroppedRateLimited;
            var rejected = now.Rejected - before.Rejected;
            var malformed = now.Malformed - before.Malformed;
            if (dropped < 0 || limited < 0 || rejected < 0 || malformed < 0) continue; // a new registration: counters restarted
            if (limited > 0)
                _log.Warning("Protocol {Protocol} dropped {Dropped} notifications (queue full), {Limited} over its rate limit, rejected {Rejected}, malformed {Malformed} in the last {Interval}",
                    $"0x{now.Protocol:X2}", dropped, limited, rejected, malformed, _settings.DropLogInterval);
            else if (dropped + rejected + malformed > 0)
                _log.Warning("Protocol {Protocol} dropped {Dropped} notifications (queue full), rejected {Rejected}, malformed {Malformed} in the last {Interval}",
                    $"0x{now.Protocol:X2}", dropped, rejected, malformed, _settings.DropLogInterval);
        }
    }

    private void PublishMetrics() =>
        _metrics.Protocols = _registrations.Values.Select(r => r.Runtime.Counters).Concat(_retiring.Values).Concat(_retiredCounters).ToArray();

    // ---- private state and messages ------------------------------------------------------------

    private sealed record Registration(ProtocolRuntime Runtime, IActorRef Actor, int Generation)
    {
        public byte Protocol => Runtime.Protocol;
        public Dictionary<(byte Event, SourceSelector Key), IActorRef> EventSources { get; } = new();
    }

    private enum SubscriptionState { Pending, Binding, Active, Unbinding }

    private sealed class SubscriptionEntry(SubscriptionId id, byte protocol, byte evt, SourceSelector source, IActorRef subscriber)
    {
        public SubscriptionId Id { get; } = id;
        public byte Protocol { get; } = protocol;
        public byte Event { get; } = evt;
        public SourceSelector Source { get; } = source;
        public IActorRef Subscriber { get; } = subscriber;
        public SubscriptionState State { get; set; }
        public int Generation { get; set; }
        /// <summary>
        /// Who is owed SubscriptionActive/Failed while binding: the Subscribe's sender, or the subscriber once it
        /// was pending; null once settled. An unsubscribing subscription owes nobody that any more.
        /// </summary>
        public IActorRef? ReplyTo { get; set; }
        public IActorRef? UnsubscribeReplyTo { get; set; }
        /// <summary>The subscriber terminated: nothing more is sent to it.</summary>
        public bool SubscriberGone { get; set; }
    }

    private sealed record Connected
    {
        public static readonly Connected Instance = new();
    }

    private sealed record ConnectFailed(string Reason);

    private sealed record Discovered(PlatformDescription Description);

    private sealed record DiscoveryFailed(string Reason);

    private sealed record DrainDeadline
    {
        public static readonly DrainDeadline Instance = new();
    }

    private sealed record ReleaseDeadline
    {
        public static readonly ReleaseDeadline Instance = new();
    }

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

    private sealed record StartTimedOut
    {
        public static readonly StartTimedOut Instance = new();
    }

    private sealed record DiscardDeadline
    {
        public static readonly DiscardDeadline Instance = new();
    }

    private sealed record FinishNow
    {
        public static readonly FinishNow Instance = new();
    }

    private sealed record LogDrops
    {
        public static readonly LogDrops Instance = new();
    }
}
