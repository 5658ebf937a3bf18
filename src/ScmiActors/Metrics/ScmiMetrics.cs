using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ScmiActors.Ingestion;

namespace ScmiActors.Metrics;

/// <summary>What one handle exposes to the meter: its gate counters and its live protocol counters.</summary>
internal sealed class MetricsSource(string platformId)
{
    public string PlatformId { get; } = platformId;
    public volatile GateCounters? Gate;
    public volatile ProtocolCounters[] Protocols = [];
}

/// <summary>
/// Publishes the dispatcher's counters through <see cref="System.Diagnostics.Metrics"/> (meter
/// <c>ScmiActors</c>), so OpenTelemetry or <c>dotnet-counters</c> can read them. Observable
/// instruments read the same counters <c>GetStats</c> does, when a listener asks: nothing is
/// paid on the hot path. Tags: <c>scmi.platform</c>, <c>scmi.protocol</c>, <c>scmi.outcome</c>.
/// </summary>
public static class ScmiMetrics
{
    public const string MeterName = "ScmiActors";

    private static readonly ConcurrentDictionary<MetricsSource, byte> Sources = new();
    private static readonly Meter Meter = new(MeterName, "1.0");

    static ScmiMetrics()
    {
        Meter.CreateObservableCounter("scmi.notifications.queued", () => ProtocolValues(c => c.Ring.Written),
            "{notification}", "Notifications written to a protocol queue");
        Meter.CreateObservableCounter("scmi.notifications.decoded", () => ProtocolValues(c => Volatile.Read(ref c.Decoded)),
            "{notification}", "Notifications decoded into reports");
        Meter.CreateObservableCounter("scmi.notifications.delivered", () => ProtocolValues(c => Volatile.Read(ref c.Delivered)),
            "{report}", "Reports told to subscribers (one per subscriber)");
        Meter.CreateObservableCounter("scmi.notifications.unmatched", () => ProtocolValues(c => Volatile.Read(ref c.Unmatched)),
            "{notification}", "Decoded notifications no subscriber wanted");
        Meter.CreateObservableCounter("scmi.notifications.lost", LostValues,
            "{notification}", "Notifications dropped, rejected, malformed or discarded, by outcome");
        Meter.CreateObservableUpDownCounter("scmi.queue.depth", () => ProtocolValues(c => c.Ring.Count),
            "{notification}", "Notifications waiting in a protocol queue");
        Meter.CreateObservableCounter("scmi.delivery.waits", () => ProtocolValues(c => Volatile.Read(ref c.SubscriberWaits)),
            "{pause}", "Times a protocol paused its drain because a subscriber was a delivery window behind");
        Meter.CreateObservableCounter("scmi.subscribers.stalled", () => ProtocolValues(c => Volatile.Read(ref c.SubscriberStalls)),
            "{subscriber}", "Subscribers delivered to without a window after keeping it shut past the stall timeout");
    }

    internal static void Register(MetricsSource source) => Sources[source] = 0;

    internal static void Unregister(MetricsSource source) => Sources.TryRemove(source, out _);

    private static IEnumerable<Measurement<long>> ProtocolValues(Func<ProtocolCounters, long> read)
    {
        foreach (var source in Sources.Keys)
        foreach (var group in source.Protocols.GroupBy(c => c.Protocol))
            yield return new Measurement<long>(group.Sum(read),
                new KeyValuePair<string, object?>("scmi.platform", source.PlatformId),
                new KeyValuePair<string, object?>("scmi.protocol", group.Key));
    }

    private static IEnumerable<Measurement<long>> LostValues()
    {
        foreach (var source in Sources.Keys)
        {
            if (source.Gate is { } gate)
            {
                yield return Lost(source, null, "unknown_protocol", Volatile.Read(ref gate.UnknownProtocol));
                yield return Lost(source, null, "reserved_message_type", Volatile.Read(ref gate.ReservedMessageType));
                yield return Lost(source, null, "not_running", Volatile.Read(ref gate.NotRunning));
            }
            // One registration retires and the next starts from zero: sum per protocol, so counters never go down.
            // The same snapshot GetStats uses, so the meter and the stats cannot disagree on a field.
            foreach (var group in source.Protocols.GroupBy(c => c.Protocol))
            {
                var s = group.Select(c => c.Snapshot(registered: true)).Aggregate((a, b) => a + b);
                yield return Lost(source, s.Protocol, "queue_full", s.DroppedQueueFull);
                yield return Lost(source, s.Protocol, "rate_limited", s.DroppedRateLimited);
                yield return Lost(source, s.Protocol, "unknown_event", s.RejectedUnknownEvent);
                yield return Lost(source, s.Protocol, "payload_too_large", s.RejectedPayloadTooLarge);
                yield return Lost(source, s.Protocol, "not_running", s.RejectedNotRunning);
                yield return Lost(source, s.Protocol, "malformed", s.Malformed);
                yield return Lost(source, s.Protocol, "discarded", s.Discarded);
            }
        }
    }

    private static Measurement<long> Lost(MetricsSource source, byte? protocol, string outcome, long value) =>
        new(value,
            new KeyValuePair<string, object?>("scmi.platform", source.PlatformId),
            new KeyValuePair<string, object?>("scmi.protocol", protocol),
            new KeyValuePair<string, object?>("scmi.outcome", outcome));
}
