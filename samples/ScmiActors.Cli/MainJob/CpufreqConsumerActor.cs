using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// A cpufreq-like consumer: follows PERFORMANCE_LEVEL_CHANGED and PERFORMANCE_LIMITS_CHANGED of
/// every perf domain of one platform and keeps each domain's current level and limits, counting
/// levels reported outside the current limits (a firmware inconsistency worth noticing).
/// Answers <see cref="GetSubscriberReport"/>.
/// </summary>
public sealed class CpufreqConsumerActor : ReceiveActor
{
    private readonly SubscriberBook _book;
    private readonly Dictionary<uint, (uint Level, uint Min, uint Max)> _domains = new();
    private long _outOfLimits;

    public CpufreqConsumerActor(IActorRef handles, string platformId)
    {
        _book = new SubscriberBook($"cpufreq@{platformId}");
        SubscriberBook.Subscribe(handles, Self, platformId, ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, SourceSelector.All);
        SubscriberBook.Subscribe(handles, Self, platformId, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All);

        Receive<PerfLevelChanged>(r =>
        {
            _book.Record(r);
            var d = _domains.GetValueOrDefault(r.DomainId, (Level: 0u, Min: 0u, Max: uint.MaxValue));
            if (r.PerformanceLevel < d.Min || r.PerformanceLevel > d.Max) _outOfLimits++;
            _domains[r.DomainId] = d with { Level = r.PerformanceLevel };
        });
        Receive<PerfLimitsChanged>(r =>
        {
            _book.Record(r);
            var d = _domains.GetValueOrDefault(r.DomainId, (Level: 0u, Min: 0u, Max: uint.MaxValue));
            _domains[r.DomainId] = d with { Min = r.RangeMin, Max = r.RangeMax };
        });
        Receive<GetSubscriberReport>(_ =>
        {
            var report = _book.Report();
            Sender.Tell(report with { Notes = [.. report.Notes, $"{_domains.Count} domains tracked, {_outOfLimits} levels outside limits"] });
        });
        ReceiveAny(m => _book.Lifecycle(m));
    }

    public static Props Props(IActorRef handles, string platformId) =>
        Akka.Actor.Props.Create(() => new CpufreqConsumerActor(handles, platformId));
}
