using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// A thermal governor: follows SENSOR_TRIP_POINT_EVENT of every sensor; when a trip point is
/// crossed upwards it throttles a perf domain by sending PERFORMANCE_LIMITS_SET to the platform
/// (through the handle), and lifts the throttle when it is crossed downwards. Counts the commands
/// and their outcomes. Answers <see cref="GetSubscriberReport"/>.
/// </summary>
public sealed class ThermalGovernorActor : ReceiveActor
{
    private readonly SubscriberBook _book;
    private long _throttles, _releases, _commandsOk, _commandsFailed;

    public ThermalGovernorActor(IActorRef handles, string platformId, uint perfDomains, uint throttledMax, uint fullMax)
    {
        _book = new SubscriberBook($"thermal@{platformId}");
        SubscriberBook.Subscribe(handles, Self, platformId, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, SourceSelector.All);

        Receive<SensorTripPoint>(r =>
        {
            _book.Record(r);
            if (perfDomains == 0) return;
            var domain = r.SensorId % perfDomains;
            var max = r.Ascending ? throttledMax : fullMax;
            if (r.Ascending) _throttles++;
            else _releases++;
            var payload = new byte[12];
            Payload.WriteU32(payload, 0, domain);
            Payload.WriteU32(payload, 4, max);
            Payload.WriteU32(payload, 8, 0);
            handles.Tell(new SendPlatformCommand(platformId,
                new PlatformCommand(ScmiProtocolId.Perf, ScmiCommands.Perf.LimitsSet, payload, domain)));
        });
        Receive<CommandResult>(r =>
        {
            if (r.Succeeded) _commandsOk++;
            else
            {
                _commandsFailed++;
                _book.Note($"PERFORMANCE_LIMITS_SET failed: {r}");
            }
        });
        Receive<GetSubscriberReport>(_ =>
        {
            var report = _book.Report();
            Sender.Tell(report with
            {
                Notes = [.. report.Notes, $"{_throttles} throttles, {_releases} releases, limits set {_commandsOk} ok / {_commandsFailed} failed"],
            });
        });
        ReceiveAny(m => _book.Lifecycle(m));
    }

    public static Props Props(IActorRef handles, string platformId, uint perfDomains, uint throttledMax = 1000, uint fullMax = 3000) =>
        Akka.Actor.Props.Create(() => new ThermalGovernorActor(handles, platformId, perfDomains, throttledMax, fullMax));
}
