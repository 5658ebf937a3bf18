using Akka.Actor;
using HdrHistogram;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Cli.Node;

/// <summary>
/// <c>node --subscribe ID</c>: subscribes to every event of every protocol the platform's description
/// names (all sources) through the node's handles (region or proxy, so the handle may be on any node),
/// counts the reports, and prints when its subscriptions settle ("N active") and when they go pending
/// (the platform is moving to another node, or reconnecting). A subscription refused because no node
/// hosts the platform yet, or ended because it stopped, is asked for again a second later; one the
/// platform cannot serve is left out and counted. Prints the report count every two seconds when it
/// changed, and once more when it stops. Each of these lines carries the report count so far, so a
/// harness (<c>chaos</c>) can tell which platform link each report came through. Within one source,
/// reports are stamped at ingest by a monotonic clock in order; one whose stamp is not later than the
/// previous one of its source was delivered twice or out of order, and is counted ("repeated").
/// With <c>--stats-every D</c> it also prints, every D, a line stamped with the machine's monotonic clock
/// (<see cref="StatsLine"/>) with the count and the latency from the gate's stamp to this actor over that
/// interval: the soak (<c>chaos --soak</c>) checks its accounting and samples the latency with it.
/// </summary>
public sealed class NodeSubscriberActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PrintEvery = TimeSpan.FromSeconds(2);

    private enum State { Asked, Pending, Active, Unsupported }

    private readonly IActorRef _handles;
    private readonly string _platformId;
    private readonly TextWriter _output;
    private readonly Dictionary<(byte Protocol, byte Event), SubscriptionId> _ids = new();
    private readonly Dictionary<SubscriptionId, ((byte Protocol, byte Event) Key, State State)> _subscriptions = new();
    private bool _settled;
    private long _reports;
    private long _repeated;
    private readonly Dictionary<(byte Protocol, byte Event, uint Source), long> _lastStamp = new();
    private long _printed = -1;
    private string? _waitingReason;
    private readonly TimeSpan? _statsEvery;
    // Gate stamp to this actor, in ns, over the current --stats-every interval; up to a minute at 3 significant digits.
    private readonly LongHistogram? _latency;

    public NodeSubscriberActor(IActorRef handles, PlatformDescription description, ProtocolCatalog catalog, TextWriter output, TimeSpan? statsEvery = null)
    {
        _statsEvery = statsEvery;
        if (statsEvery is not null) _latency = new LongHistogram(TimeSpan.FromMinutes(1).Ticks * 100, 3);
        _handles = handles;
        _platformId = description.PlatformId;
        _output = output;
        foreach (var protocol in description.Protocols.Keys.Order())
            if (catalog.Find(protocol) is { } descriptor)
                foreach (var evt in descriptor.Events)
                    _ids[(protocol, evt.EventId)] = default;

        Receive<ScmiReport>(OnReport);
        Receive<SubscriptionActive>(a => Set(a.Id, State.Active));
        Receive<SubscriptionPending>(p => Set(p.Id, State.Pending));
        Receive<SubscriptionFailed>(OnFailed);
        Receive<PlatformStopped>(_ =>
        {
            // Every subscription ended with the platform: ask again, for when it is started again.
            foreach (var (id, (key, state)) in _subscriptions.ToList())
                if (state != State.Unsupported) Retry(id, key, "the platform stopped");
        });
        Receive<PlatformNotFound>(_ => { });
        Receive<Ask>(a => SubscribeTo(a.Key));
        Receive<PrintStats>(_ => PrintStatsLine());
        Receive<Print>(_ =>
        {
            if (_reports == _printed) return;
            _printed = _reports;
            Write(ReportsLine(""));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef handles, PlatformDescription description, ProtocolCatalog catalog, TextWriter output, TimeSpan? statsEvery = null) =>
        Akka.Actor.Props.Create(() => new NodeSubscriberActor(handles, description, catalog, output, statsEvery));

    /// <summary>
    /// <c>Stats of ID at T us: N reports, R repeated or out of order; latency over the last K: p50 A us, p99 B us, max C us.</c>
    /// T is <see cref="ScmiClock.NowNs"/> / 1000 (the machine's monotonic clock, as the platform process's progress lines);
    /// N and R count since the start; the latency covers the K reports since the previous line.
    /// </summary>
    public static string StatsLine(string id, long stampUs, long reports, long repeated, long count, double p50Us, double p99Us, double maxUs) =>
        FormattableString.Invariant($"Stats of {id} at {stampUs} us: {reports} reports, {repeated} repeated or out of order; latency over the last {count}: p50 {p50Us:0.#} us, p99 {p99Us:0.#} us, max {maxUs:0.#} us.");

    protected override void PreStart()
    {
        foreach (var key in _ids.Keys.ToList()) SubscribeTo(key);
        Timers.StartPeriodicTimer("print", Print.Instance, PrintEvery);
        if (_statsEvery is { } every) Timers.StartPeriodicTimer("stats", PrintStats.Instance, every);
    }

    protected override void PostStop() => Write(ReportsLine(" (final)"));

    private string ReportsLine(string final) => $"Reports from {_platformId}: {_reports}{final}; repeated or out of order: {_repeated}";

    private void OnReport(ScmiReport report)
    {
        _reports++;
        // A new incarnation of the handle on another node of this machine stamps later: the clock is the machine's.
        var key = (report.Protocol, report.Event, report.Source);
        if (_lastStamp.TryGetValue(key, out var last) && report.TimestampNs <= last) _repeated++;
        else _lastStamp[key] = report.TimestampNs;
        _latency?.RecordValue(Math.Clamp(ScmiClock.NowNs() - report.TimestampNs, 1, _latency.HighestTrackableValue));
    }

    private void PrintStatsLine()
    {
        var h = _latency!;
        var count = h.TotalCount;
        // An empty histogram has no percentiles (HdrHistogram throws): a quiet second prints zeros.
        double Us(Func<long> ns) => count == 0 ? 0 : ns() / 1000.0;
        Write(StatsLine(_platformId, ScmiClock.NowNs() / 1000, _reports, _repeated, count,
            Us(() => h.GetValueAtPercentile(50)), Us(() => h.GetValueAtPercentile(99)), Us(h.GetMaxValue)));
        h.Reset();
    }

    private void SubscribeTo((byte Protocol, byte Event) key)
    {
        var id = SubscriptionId.NewRandom();
        _ids[key] = id;
        _subscriptions[id] = (key, State.Asked);
        _handles.Tell(new Subscribe(_platformId, key.Protocol, key.Event, SourceSelector.All, Self, id));
    }

    private void OnFailed(SubscriptionFailed failed)
    {
        if (!_subscriptions.TryGetValue(failed.Id, out var s)) return;
        switch (failed.Reason)
        {
            case SubscriptionFailure.NoSuchEvent or SubscriptionFailure.NotSupportedByPlatform or SubscriptionFailure.SourceOutOfRange:
                Set(failed.Id, State.Unsupported);
                break;
            default:
                // No node hosts it yet, it is stopping, or the platform refused for now: ask again.
                Retry(failed.Id, s.Key, failed.Reason.ToString());
                break;
        }
    }

    private void Retry(SubscriptionId id, (byte Protocol, byte Event) key, string reason)
    {
        _subscriptions.Remove(id);
        _ids[key] = default;
        if (_waitingReason is null) Write($"Subscriptions to {_platformId}: waiting ({reason})");
        _waitingReason = reason;
        Unsettle();
        Timers.StartSingleTimer(key, new Ask(key), RetryAfter);
    }

    private void Set(SubscriptionId id, State state)
    {
        if (!_subscriptions.TryGetValue(id, out var s)) return;
        _subscriptions[id] = (s.Key, state);
        if (state == State.Pending) Unsettle();
        var unsettled = _ids.Values.Count(i => i == default) + _subscriptions.Values.Count(v => v.State is State.Asked or State.Pending);
        if (unsettled > 0 || _settled) return;
        _settled = true;
        _waitingReason = null;
        var active = _subscriptions.Values.Count(v => v.State == State.Active);
        var unsupported = _subscriptions.Values.Count(v => v.State == State.Unsupported);
        Write($"Subscriptions to {_platformId}: {active} active" + (unsupported > 0 ? $" ({unsupported} events the platform cannot notify)" : "") +
              $" after {_reports} reports");
    }

    private void Unsettle()
    {
        if (!_settled) return;
        _settled = false;
        Write($"Subscriptions to {_platformId}: pending (the platform is moving to another node or reconnecting) after {_reports} reports");
    }

    private void Write(string line)
    {
        _output.WriteLine(line);
        _output.Flush();
    }

    private sealed record Ask((byte Protocol, byte Event) Key);

    private sealed record Print
    {
        public static readonly Print Instance = new();
    }

    private sealed record PrintStats
    {
        public static readonly PrintStats Instance = new();
    }
}
