using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ScmiActors.Ingestion;

namespace ScmiActors.Diagnostics;

/// <summary>What one handle exposes to the meter: its gate counters and its live protocol counters.</summary>
internal sealed class MetricsSource(string platformId)
{
    public string PlatformId { get; } = platformId;
    public volatile GateCounters? Gate;
    public volatile ProtocolCounters[] Protocols = [];
}

/// <summary>
/// Publishes one ActorSystem's dispatcher counters through <see cref="System.Diagnostics.Metrics"/>
/// (meter <c>ScmiActors</c>), so OpenTelemetry or <c>dotnet-counters</c> can read them. One instance
/// per ActorSystem, owned by the <see cref="Hosting.ScmiNotifications"/> extension: its meter comes from the
/// host's <see cref="IMeterFactory"/> (Microsoft.Extensions.Diagnostics, resolved from the system's
/// service provider when Akka.Hosting or a <c>DependencyResolverSetup</c> gives one), else it is a
/// meter of its own, disposed with the system. Two nodes in one process therefore never share
/// instruments: each has its own, reading only its own handles. Observable instruments read the
/// same counters <c>GetStats</c> does, when a listener asks: nothing is paid on the hot path.
/// Tags: <c>scmi.platform</c>, <c>scmi.protocol</c>, <c>scmi.outcome</c>.
/// </summary>
public sealed class ScmiMetrics : IDisposable
{
    public const string MeterName = "ScmiActors";
    public const string MeterVersion = "1.0";

    private readonly ConcurrentDictionary<MetricsSource, byte> _sources = new();
    // Null when the meter comes from a factory: the factory owns it and disposes it with the host.
    private readonly Meter? _ownedMeter;
    private volatile bool _disposed;

    /// <param name="factory">The host's meter factory; null: a meter of this instance's own.</param>
    internal ScmiMetrics(IMeterFactory? factory)
    {
        var options = new MeterOptions(MeterName) { Version = MeterVersion };
        if (factory is null) Meter = _ownedMeter = new Meter(options);
        else Meter = factory.Create(options);

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

    /// <summary>
    /// This system's meter. A listener that wants one node's figures only enables the instruments
    /// whose <see cref="Instrument.Meter"/> is this one (or whose <see cref="Meter.Scope"/> is its host's factory).
    /// </summary>
    public Meter Meter { get; }

    internal void Register(MetricsSource source)
    {
        if (!_disposed) _sources[source] = 0;
    }

    internal void Unregister(MetricsSource source) => _sources.TryRemove(source, out _);

    /// <summary>Stops reporting; disposes the meter if it is this instance's own (a factory's meter is the factory's).</summary>
    public void Dispose()
    {
        _disposed = true;
        _sources.Clear();
        _ownedMeter?.Dispose();
    }

    private IEnumerable<Measurement<long>> ProtocolValues(Func<ProtocolCounters, long> read)
    {
        foreach (var source in _sources.Keys)
        foreach (var group in source.Protocols.GroupBy(c => c.Protocol))
            yield return new Measurement<long>(group.Sum(read),
                new KeyValuePair<string, object?>("scmi.platform", source.PlatformId),
                new KeyValuePair<string, object?>("scmi.protocol", group.Key));
    }

    private IEnumerable<Measurement<long>> LostValues()
    {
        foreach (var source in _sources.Keys)
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
