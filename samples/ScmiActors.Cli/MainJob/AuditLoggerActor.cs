using Akka.Actor;
using Akka.Event;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// Audits every event of one platform: subscribes to all sources of every event of every protocol
/// the platform describes, counts them per event, and logs one summary line per interval (never
/// per event). Answers <see cref="GetSubscriberReport"/>.
/// </summary>
public sealed class AuditLoggerActor : ReceiveActor, IWithTimers
{
    private readonly SubscriberBook _book;
    private readonly Dictionary<(byte, byte), long> _perEvent = new();
    private readonly ILoggingAdapter _log;
    private long _lastLogged;

    public AuditLoggerActor(IActorRef handles, PlatformDescription description, ProtocolCatalog catalog, TimeSpan logInterval)
    {
        var platformId = description.PlatformId;
        _book = new SubscriberBook($"audit@{platformId}");
        _log = Context.GetLogger().WithContext("Platform", platformId);
        foreach (var protocol in description.Protocols.Keys)
        foreach (var evt in catalog.Find(protocol)?.Events ?? [])
            SubscriberBook.Subscribe(handles, Self, platformId, protocol, evt.EventId, SourceSelector.All);

        Receive<ScmiReport>(r =>
        {
            _book.Record(r);
            _perEvent[(r.Protocol, r.Event)] = _perEvent.GetValueOrDefault((r.Protocol, r.Event)) + 1;
        });
        Receive<Tick>(_ =>
        {
            if (_book.Reports == _lastLogged) return;
            _log.Info("Audit {Platform}: {Reports} events so far, {New} since last", platformId, _book.Reports, _book.Reports - _lastLogged);
            _lastLogged = _book.Reports;
        });
        Receive<GetSubscriberReport>(_ =>
        {
            var report = _book.Report();
            var top = _perEvent.OrderByDescending(kv => kv.Value).Take(3)
                .Select(kv => $"0x{kv.Key.Item1:X2}/{kv.Key.Item2}: {kv.Value}");
            Sender.Tell(report with { Notes = [.. report.Notes, $"most frequent: {string.Join(", ", top)}"] });
        });
        ReceiveAny(m => _book.Lifecycle(m));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("log", Tick.Instance, TimeSpan.FromSeconds(2));

    public static Props Props(IActorRef handles, PlatformDescription description, ProtocolCatalog catalog) =>
        Akka.Actor.Props.Create(() => new AuditLoggerActor(handles, description, catalog, TimeSpan.FromSeconds(2)));

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
