using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// A system-power listener like Linux's scmi_power_control: serves the first graceful shutdown or
/// reset request, ignores forceful ones and power-up, and completes its (simulated) orderly
/// shutdown work well within the platform's timeout — at 75% of it at the latest, as Linux does.
/// Answers <see cref="GetSubscriberReport"/> and <see cref="GetShutdownOutcome"/>.
/// </summary>
public sealed class SystemPowerListenerActor : ReceiveActor, IWithTimers
{
    private readonly SubscriberBook _book;
    private readonly TimeSpan _workDuration;
    private SystemPowerStateNotifier? _serving;
    private long _requestedAtNs;
    private TimeSpan _planned;
    private ShutdownOutcome? _outcome;
    private long _ignored;

    public SystemPowerListenerActor(IActorRef handles, string platformId, TimeSpan workDuration)
    {
        _book = new SubscriberBook($"system-power@{platformId}");
        _workDuration = workDuration;
        SubscriberBook.Subscribe(handles, Self, platformId, ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, SourceSelector.All);

        Receive<SystemPowerStateNotifier>(r =>
        {
            _book.Record(r);
            if (!r.Graceful || r.SystemState == (uint)SystemState.PowerUp || _serving is not null)
            {
                _ignored++;
                return;
            }
            _serving = r;
            _requestedAtNs = r.TimestampNs;
            // Do the work, but never later than 75% of the platform's timeout (0 = no deadline given).
            var deadline = r.Timeout > 0 ? TimeSpan.FromMilliseconds(r.Timeout * 0.75) : _workDuration;
            _planned = _workDuration < deadline ? _workDuration : deadline;
            Timers.StartSingleTimer("work", WorkDone.Instance, _planned);
        });
        Receive<WorkDone>(_ =>
        {
            var tookMs = (Ingestion.ScmiClock.NowNs() - _requestedAtNs) / 1e6;
            var timeout = _serving!.Timeout;
            _outcome = new ShutdownOutcome((SystemState)_serving.SystemState, timeout, _planned.TotalMilliseconds, tookMs,
                timeout == 0 || tookMs <= timeout);
            _book.Note($"served {(SystemState)_serving.SystemState} request in {tookMs:F0} ms (timeout {timeout} ms)");
        });
        Receive<GetShutdownOutcome>(_ => Sender.Tell(_outcome is null ? NoShutdownRequest.Instance : _outcome));
        Receive<GetSubscriberReport>(_ =>
        {
            var report = _book.Report();
            Sender.Tell(report with { Notes = [.. report.Notes, $"{_ignored} requests ignored"] });
        });
        ReceiveAny(m => _book.Lifecycle(m));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef handles, string platformId, TimeSpan? workDuration = null) =>
        Akka.Actor.Props.Create(() => new SystemPowerListenerActor(handles, platformId, workDuration ?? TimeSpan.FromMilliseconds(200)));

    private sealed record WorkDone
    {
        public static readonly WorkDone Instance = new();
    }
}

public sealed record GetShutdownOutcome
{
    public static readonly GetShutdownOutcome Instance = new();
}

public sealed record NoShutdownRequest
{
    public static readonly NoShutdownRequest Instance = new();
}

/// <summary>
/// How the listener served a graceful request. <see cref="PlannedMs"/> is the work budget it chose
/// (its decision: never more than 75% of the timeout); <see cref="TookMs"/> and
/// <see cref="WithinTimeout"/> are what the clock then said, which on a loaded machine also
/// includes scheduling delay.
/// </summary>
public sealed record ShutdownOutcome(SystemState State, uint TimeoutMs, double PlannedMs, double TookMs, bool WithinTimeout);
