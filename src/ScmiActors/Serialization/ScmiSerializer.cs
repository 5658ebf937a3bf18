using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Google.Protobuf;
using P = ScmiActors.Serialization.Proto;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Serialization;

/// <summary>
/// The Akka serializer for every ScmiActors message that crosses nodes: the public messages that
/// implement <see cref="IScmiRemoteMessage"/> and every report record (<see cref="ScmiReport"/> and
/// its standard and i.MX BBM subclasses). Registered as <c>scmi</c> with the fixed
/// <see cref="Identifier"/> <see cref="SerializerIdentifier"/> (2604); see
/// <see cref="SerializationConfig"/> for the HOCON binding.
/// </summary>
/// <remarks>
/// <para>
/// Format: a short string manifest per type (<see cref="Manifests"/>) names a Protocol Buffers
/// message of <c>Serialization/ScmiMessages.proto</c> (C# generated at build time); the body is
/// that message. The public records stay as they are: this class maps them to and from the
/// generated types, as Akka's own ClusterShardingMessageSerializer does. Protobuf's rules give
/// rolling upgrades: a reader skips fields it does not know, a field added by a newer writer reads
/// as its default on an older node, numbers are never reused. There is no format version byte.
/// </para>
/// <para>
/// Values: nullable values have presence in the schema (absent means null); an
/// <see cref="ImmutableArray{T}"/> keeps <c>default</c> apart from empty with a flag; an
/// <see cref="IActorRef"/> is its serialized actor path (resolved with the provider on the
/// receiving node), the empty string for <see cref="ActorRefs.Nobody"/>, absent for null.
/// <see cref="PlatformNotFound.Message"/> is serialized recursively through the system's
/// serialization: serializer id, manifest, bytes. Reports carry all of their
/// <see cref="ScmiReport"/> base properties, so even a report altered with <c>with { Source = … }</c>
/// round-trips to an equal record. A non-nullable string that is null is written as empty.
/// </para>
/// <para>
/// Not serializable, by design: <see cref="RegisterProtocolEvents"/>. It carries the protocol's
/// event descriptors with their decoder and NOTIFY-encoder delegates, so it is local: register a
/// protocol on the node that hosts the handle. It does not implement <see cref="IScmiRemoteMessage"/>;
/// serializing it directly with this serializer throws <see cref="ArgumentException"/>.
/// </para>
/// <para>
/// Decoding an unknown manifest, bytes that are not the manifest's message or an invalid value (an
/// unknown <see cref="PlatformState"/>) throws <see cref="SerializationException"/>, never anything
/// else. Protobuf has no end marker: a body cut between two fields reads as the message without
/// them (Akka's transports deliver whole frames). A report subclass this serializer does not know (a third party's vendor report) reaches
/// it through the <see cref="ScmiReport"/> base binding and is refused with
/// <see cref="ArgumentException"/>: bind that exact type to its own serializer, an exact binding
/// wins over the base one.
/// </para>
/// </remarks>
public sealed class ScmiSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's fixed identifier on the wire (Akka reserves 0–100 for itself).</summary>
    public const int SerializerIdentifier = 2604;

    /// <summary>The name of the serializer in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "scmi";

    /// <summary>
    /// The HOCON that registers the serializer and binds every serializable type to it: the marker
    /// interface of the public messages and the report base type. Merge it into the node's
    /// configuration (or use <see cref="SerializationConfig"/> as a fallback).
    /// </summary>
    public const string SerializationHocon = """
        akka.actor {
          serializers {
            scmi = "ScmiActors.Serialization.ScmiSerializer, ScmiActors"
          }
          serialization-bindings {
            # Every public message that crosses nodes implements the marker. RegisterProtocolEvents
            # does not: it carries delegates and is local by design.
            "ScmiActors.Messages.IScmiRemoteMessage, ScmiActors" = scmi
            # Every report: the standard ones and the i.MX BBM vendor ones. ScmiActors.Wire does not
            # depend on Akka, so the reports are bound by their base type, not by the marker.
            "ScmiActors.Wire.ScmiReport, ScmiActors.Wire" = scmi
          }
        }
        """;

    /// <summary><see cref="SerializationHocon"/>, parsed.</summary>
    public static Config SerializationConfig { get; } = ConfigurationFactory.ParseString(SerializationHocon);

    /// <summary>The manifest of each serializable type. Short, stable: they are on the wire.</summary>
    public static class Manifests
    {
        public const string Subscribe = "sub";
        public const string SubscriptionActive = "sa";
        public const string SubscriptionPending = "sp";
        public const string SubscriptionFailed = "sf";
        public const string Unsubscribe = "uns";
        public const string Unsubscribed = "ud";
        public const string UnsubscribeFailed = "uf";
        public const string ProtocolRegistered = "pr";
        public const string ProtocolRegistrationFailed = "prf";
        public const string DeregisterProtocolEvents = "dpe";
        public const string ProtocolDeregistered = "pd";
        public const string GetStats = "gs";
        public const string PlatformStats = "ps";
        public const string StopPlatform = "stop";
        public const string PlatformShutdownComplete = "psc";
        public const string PlatformStopped = "pst";
        public const string PlatformNotFound = "pnf";
        public const string AwaitPlatformReady = "apr";
        public const string PlatformReady = "prdy";
        public const string PlatformStartFailed = "psfl";

        public const string BaseErrorEvent = "r.be";
        public const string PowerStateChanged = "r.pws";
        public const string SystemPowerStateNotifier = "r.sys";
        public const string PerfLimitsChanged = "r.plim";
        public const string PerfLevelChanged = "r.plvl";
        public const string ClockRateChanged = "r.clk";
        public const string SensorTripPoint = "r.trip";
        public const string SensorUpdate = "r.sens";
        public const string ResetIssued = "r.rst";
        public const string PowercapCapChanged = "r.pcap";
        public const string PowercapMeasurementsChanged = "r.pmeas";
        /// <summary>i.MX BBM RTC with source = rtc_id * 3 + kind (issue 12); <see cref="LegacyManifests.ImxBbmRtcEventMask"/> is the earlier one.</summary>
        public const string ImxBbmRtcEvent = "r.bbm-rtc2";
        public const string ImxBbmButtonEvent = "r.bbm-btn";
        public const string ImxMiscControlEvent = "r.misc-ctrl";

        /// <summary>Every manifest above.</summary>
        public static FrozenSet<string> All { get; } = typeof(Manifests)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Manifests only read, never written: what earlier versions wrote for a type whose meaning changed
    /// since (a changed meaning needs a new manifest, so old bytes are never read with the new one).
    /// </summary>
    public static class LegacyManifests
    {
        /// <summary>i.MX BBM RTC whose source was the event mask of RTC 0; read with the source recomputed from the flags.</summary>
        public const string ImxBbmRtcEventMask = "r.bbm-rtc";

        public static FrozenSet<string> All { get; } = new[] { ImxBbmRtcEventMask }.ToFrozenSet(StringComparer.Ordinal);
    }

    private readonly ExtendedActorSystem _system;

    public ScmiSerializer(ExtendedActorSystem system) : base(system) => _system = system;

    public override int Identifier => SerializerIdentifier;

    // ---- manifest ------------------------------------------------------------------------------

    public override string Manifest(object o) => o switch
    {
        Subscribe => Manifests.Subscribe,
        SubscriptionActive => Manifests.SubscriptionActive,
        SubscriptionPending => Manifests.SubscriptionPending,
        SubscriptionFailed => Manifests.SubscriptionFailed,
        Unsubscribe => Manifests.Unsubscribe,
        Unsubscribed => Manifests.Unsubscribed,
        UnsubscribeFailed => Manifests.UnsubscribeFailed,
        ProtocolRegistered => Manifests.ProtocolRegistered,
        ProtocolRegistrationFailed => Manifests.ProtocolRegistrationFailed,
        DeregisterProtocolEvents => Manifests.DeregisterProtocolEvents,
        ProtocolDeregistered => Manifests.ProtocolDeregistered,
        GetStats => Manifests.GetStats,
        PlatformStats => Manifests.PlatformStats,
        StopPlatform => Manifests.StopPlatform,
        PlatformShutdownComplete => Manifests.PlatformShutdownComplete,
        PlatformStopped => Manifests.PlatformStopped,
        PlatformNotFound => Manifests.PlatformNotFound,
        AwaitPlatformReady => Manifests.AwaitPlatformReady,
        PlatformReady => Manifests.PlatformReady,
        PlatformStartFailed => Manifests.PlatformStartFailed,
        BaseErrorEvent => Manifests.BaseErrorEvent,
        PowerStateChanged => Manifests.PowerStateChanged,
        SystemPowerStateNotifier => Manifests.SystemPowerStateNotifier,
        PerfLimitsChanged => Manifests.PerfLimitsChanged,
        PerfLevelChanged => Manifests.PerfLevelChanged,
        ClockRateChanged => Manifests.ClockRateChanged,
        SensorTripPoint => Manifests.SensorTripPoint,
        SensorUpdate => Manifests.SensorUpdate,
        ResetIssued => Manifests.ResetIssued,
        PowercapCapChanged => Manifests.PowercapCapChanged,
        PowercapMeasurementsChanged => Manifests.PowercapMeasurementsChanged,
        ImxBbmRtcEvent => Manifests.ImxBbmRtcEvent,
        ImxBbmButtonEvent => Manifests.ImxBbmButtonEvent,
        ImxMiscControlEvent => Manifests.ImxMiscControlEvent,
        _ => throw CannotSerialize(o),
    };

    // ---- records to generated messages ---------------------------------------------------------

    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        // Span-based writing: no CodedOutputStream per call.
        var message = ToProto(obj);
        var bytes = new byte[message.CalculateSize()];
        message.WriteTo(bytes.AsSpan());
        return bytes;
    }

    private IMessage ToProto(object obj) => obj switch
    {
        ScmiReport r => ToProto(r), // the hot path first
        Subscribe m => ToProto(m),
        SubscriptionActive m => new P.SubscriptionActive { PlatformId = Str(m.PlatformId), Id = m.Id.Value },
        SubscriptionPending m => new P.SubscriptionPending { PlatformId = Str(m.PlatformId), Id = m.Id.Value },
        SubscriptionFailed m => ToProto(m),
        Unsubscribe m => new P.Unsubscribe { PlatformId = Str(m.PlatformId), Id = m.Id.Value },
        Unsubscribed m => new P.Unsubscribed { PlatformId = Str(m.PlatformId), Id = m.Id.Value },
        UnsubscribeFailed m => new P.UnsubscribeFailed { PlatformId = Str(m.PlatformId), Id = m.Id.Value, Reason = Str(m.Reason) },
        ProtocolRegistered m => new P.ProtocolRegistered { PlatformId = Str(m.PlatformId), Protocol = m.Protocol },
        ProtocolRegistrationFailed m => new P.ProtocolRegistrationFailed { PlatformId = Str(m.PlatformId), Protocol = m.Protocol, Reason = Str(m.Reason) },
        DeregisterProtocolEvents m => new P.DeregisterProtocolEvents { PlatformId = Str(m.PlatformId), Protocol = m.Protocol },
        ProtocolDeregistered m => new P.ProtocolDeregistered { PlatformId = Str(m.PlatformId), Protocol = m.Protocol, WasRegistered = m.WasRegistered },
        GetStats m => Id(m.PlatformId),
        PlatformStats m => ToProto(m),
        StopPlatform m => Id(m.PlatformId),
        PlatformShutdownComplete m => new P.PlatformShutdownComplete
        {
            PlatformId = Str(m.PlatformId),
            FinalStats = m.FinalStats is null ? null : ToProto(m.FinalStats),
        },
        PlatformStopped m => Id(m.PlatformId),
        PlatformNotFound m => new P.PlatformNotFound { PlatformId = Str(m.PlatformId), Message = ToPayload(m.Message) },
        AwaitPlatformReady m => Id(m.PlatformId),
        PlatformReady m => Id(m.PlatformId),
        PlatformStartFailed m => new P.PlatformStartFailed { PlatformId = Str(m.PlatformId), Reason = Str(m.Reason) },
        _ => throw CannotSerialize(obj),
    };

    private static string Str(string? value) => value ?? string.Empty;

    private static P.PlatformId Id(string platformId) => new() { PlatformId_ = Str(platformId) };

    private static P.Subscribe ToProto(Subscribe m)
    {
        var p = new P.Subscribe
        {
            PlatformId = Str(m.PlatformId),
            Protocol = m.Protocol,
            Event = m.Event,
            Subscriber = ToProto(m.Subscriber),
        };
        switch (m.Source)
        {
            case null: break;
            case SourceSelector.AllSources: p.AllSources = new P.Empty(); break;
            case SourceSelector.OneSource one: p.SourceId = one.Source; break;
            default: throw new ArgumentException($"ScmiSerializer: unknown SourceSelector {m.Source.GetType()}");
        }
        if (m.Id is { } id) p.Id = id.Value;
        return p;
    }

    private static P.SubscriptionFailed ToProto(SubscriptionFailed m)
    {
        var p = new P.SubscriptionFailed { PlatformId = Str(m.PlatformId), Id = m.Id.Value };
        switch (m.Reason)
        {
            case null: break;
            case SubscriptionFailure.NoSuchEvent f: p.NoSuchEvent = new() { Protocol = f.Protocol, Event = f.Event }; break;
            case SubscriptionFailure.SourceOutOfRange f: p.SourceOutOfRange = new() { Source = f.Source, SourceCount = f.SourceCount }; break;
            case SubscriptionFailure.NotSupportedByPlatform f: p.NotSupportedByPlatform = Str(f.Detail); break;
            case SubscriptionFailure.PlatformRejected f: p.PlatformRejected = (int)f.Status; break;
            case SubscriptionFailure.PlatformUnavailable f: p.PlatformUnavailable = Str(f.Detail); break;
            case SubscriptionFailure.Stopped: p.Stopped = new P.Empty(); break;
            case SubscriptionFailure.DuplicateId: p.DuplicateId = new P.Empty(); break;
            case SubscriptionFailure.Cancelled f: p.Cancelled = Str(f.Detail); break;
            default: throw new ArgumentException($"ScmiSerializer: unknown SubscriptionFailure {m.Reason.GetType()}");
        }
        return p;
    }

    private static P.PlatformStats ToProto(PlatformStats s)
    {
        var p = new P.PlatformStats
        {
            PlatformId = Str(s.PlatformId),
            State = (P.PlatformState)s.State,
            UnknownProtocol = s.UnknownProtocol,
            ReservedMessageType = s.ReservedMessageType,
            NotANotification = s.NotANotification,
            NotRunning = s.NotRunning,
            ProtocolsDefault = s.Protocols.IsDefault,
            ActiveSubscriptions = s.ActiveSubscriptions,
            PendingSubscriptions = s.PendingSubscriptions,
        };
        if (s.FailureReason is not null) p.FailureReason = s.FailureReason;
        if (!s.Protocols.IsDefault)
        {
            foreach (var ps in s.Protocols)
            {
                if (ps is null) throw new ArgumentException($"ScmiSerializer: PlatformStats of '{s.PlatformId}' has a null ProtocolStats.");
                p.Protocols.Add(new P.ProtocolStats
                {
                    Protocol = ps.Protocol,
                    Registered = ps.Registered,
                    Queued = ps.Queued,
                    DroppedQueueFull = ps.DroppedQueueFull,
                    RejectedUnknownEvent = ps.RejectedUnknownEvent,
                    RejectedPayloadTooLarge = ps.RejectedPayloadTooLarge,
                    RejectedNotRunning = ps.RejectedNotRunning,
                    Decoded = ps.Decoded,
                    MalformedTooShort = ps.MalformedTooShort,
                    MalformedTooLong = ps.MalformedTooLong,
                    MalformedSourceOutOfRange = ps.MalformedSourceOutOfRange,
                    DecoderFaults = ps.DecoderFaults,
                    Delivered = ps.Delivered,
                    Unmatched = ps.Unmatched,
                    Discarded = ps.Discarded,
                    InQueue = ps.InQueue,
                    SubscriberWaits = ps.SubscriberWaits,
                    SubscriberStalls = ps.SubscriberStalls,
                    DroppedRateLimited = ps.DroppedRateLimited,
                });
            }
        }
        return p;
    }

    private static P.ActorRef? ToProto(IActorRef? actorRef)
    {
        if (actorRef is null) return null;
        return new P.ActorRef { Path = actorRef.IsNobody() ? string.Empty : Akka.Serialization.Serialization.SerializedActorPath(actorRef) };
    }

    /// <summary>Any message, through the system's serialization: serializer id, manifest, bytes.</summary>
    private P.Payload ToPayload(object? message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        return new P.Payload
        {
            SerializerId = serializer.Identifier,
            Manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message),
            Message = UnsafeByteOperations.UnsafeWrap(serializer.ToBinary(message)),
        };
    }

    /// <summary>
    /// The report's message, from this thread's cache: reports are the hot path (one per
    /// notification per remote subscriber), and every field is assigned on each use, so a cached
    /// message never carries a value over. A report holds no nested message, so no call reenters
    /// with the same cached instance. Fields 1–6 of every report message are the base properties,
    /// all of them.
    /// </summary>
    private static IMessage ToProto(ScmiReport r)
    {
        var c = t_reports ??= new ReportMessages();
        switch (r)
        {
            case BaseErrorEvent e:
            {
                var p = c.BaseErrorEvent;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.ErrorStatus = e.ErrorStatus;
                p.ReportsDefault = e.Reports.IsDefault;
                p.Reports.Clear();
                if (!e.Reports.IsDefault) p.Reports.AddRange(e.Reports);
                return p;
            }
            case PowerStateChanged e:
            {
                var p = c.PowerStateChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.PowerState = e.PowerState;
                return p;
            }
            case SystemPowerStateNotifier e:
            {
                var p = c.SystemPowerStateNotifier;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.Flags = e.Flags; p.SystemState = e.SystemState; p.Timeout = e.Timeout;
                return p;
            }
            case PerfLimitsChanged e:
            {
                var p = c.PerfLimitsChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.RangeMax = e.RangeMax; p.RangeMin = e.RangeMin;
                return p;
            }
            case PerfLevelChanged e:
            {
                var p = c.PerfLevelChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.PerformanceLevel = e.PerformanceLevel;
                return p;
            }
            case ClockRateChanged e:
            {
                var p = c.ClockRateChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.ClockId = e.ClockId; p.Rate = e.Rate;
                return p;
            }
            case SensorTripPoint e:
            {
                var p = c.SensorTripPoint;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.SensorId = e.SensorId; p.TripPointDesc = e.TripPointDesc;
                return p;
            }
            case SensorUpdate e:
            {
                var p = c.SensorUpdate;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.SensorId = e.SensorId;
                p.ReadingsDefault = e.Readings.IsDefault;
                p.ReadingValues.Clear();
                p.ReadingTimestamps.Clear();
                if (!e.Readings.IsDefault)
                {
                    foreach (var reading in e.Readings)
                    {
                        p.ReadingValues.Add(reading.Value);
                        p.ReadingTimestamps.Add(reading.Timestamp);
                    }
                }
                return p;
            }
            case ResetIssued e:
            {
                var p = c.ResetIssued;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.ResetState = e.ResetState;
                return p;
            }
            case PowercapCapChanged e:
            {
                var p = c.PowercapCapChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.PowerCap = e.PowerCap; p.Pai = e.Pai;
                return p;
            }
            case PowercapMeasurementsChanged e:
            {
                var p = c.PowercapMeasurementsChanged;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.DomainId = e.DomainId; p.Power = e.Power;
                return p;
            }
            case ImxBbmRtcEvent e:
            {
                var p = c.ImxBbmRtcEvent;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.Flags = e.Flags;
                return p;
            }
            case ImxBbmButtonEvent e:
            {
                var p = c.ImxBbmButtonEvent;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.Flags = e.Flags;
                return p;
            }
            case ImxMiscControlEvent e:
            {
                var p = c.ImxMiscControlEvent;
                p.PlatformId = Str(r.PlatformId); p.Protocol = r.Protocol; p.Event = r.Event; p.Source = r.Source; p.TimestampNs = r.TimestampNs; p.AgentId = r.AgentId;
                p.CtrlId = e.ControlId; p.Flags = e.Flags;
                return p;
            }
            default:
                throw CannotSerialize(r);
        }
    }

    [ThreadStatic] private static ReportMessages? t_reports;

    /// <summary>One reusable message per report type (see <see cref="ToProto(ScmiReport)"/>).</summary>
    private sealed class ReportMessages
    {
        public readonly P.BaseErrorEvent BaseErrorEvent = new();
        public readonly P.PowerStateChanged PowerStateChanged = new();
        public readonly P.SystemPowerStateNotifier SystemPowerStateNotifier = new();
        public readonly P.PerfLimitsChanged PerfLimitsChanged = new();
        public readonly P.PerfLevelChanged PerfLevelChanged = new();
        public readonly P.ClockRateChanged ClockRateChanged = new();
        public readonly P.SensorTripPoint SensorTripPoint = new();
        public readonly P.SensorUpdate SensorUpdate = new();
        public readonly P.ResetIssued ResetIssued = new();
        public readonly P.PowercapCapChanged PowercapCapChanged = new();
        public readonly P.PowercapMeasurementsChanged PowercapMeasurementsChanged = new();
        public readonly P.ImxBbmRtcEvent ImxBbmRtcEvent = new();
        public readonly P.ImxBbmButtonEvent ImxBbmButtonEvent = new();
        public readonly P.ImxMiscControlEvent ImxMiscControlEvent = new();
    }

    private static ArgumentException CannotSerialize(object o) => new(
        $"ScmiSerializer cannot serialize {o.GetType().FullName}. RegisterProtocolEvents is local by design " +
        "(it carries decoder delegates); a report type of another library needs its own serializer, bound to " +
        "its exact type in akka.actor.serialization-bindings (an exact binding wins over the ScmiReport one).");

    // ---- generated messages to records ---------------------------------------------------------

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is null || !(Manifests.All.Contains(manifest) || LegacyManifests.All.Contains(manifest)))
        {
            throw new SerializationException(
                $"ScmiSerializer ({SerializerIdentifier}) does not know manifest '{manifest}'. Known: " +
                string.Join(", ", Manifests.All.Order(StringComparer.Ordinal)) + ".");
        }
        if (bytes is null) throw new SerializationException($"ScmiSerializer: no bytes for manifest '{manifest}'.");

        try
        {
            return Read(bytes, manifest);
        }
        catch (SerializationException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new SerializationException($"ScmiSerializer: invalid body for manifest '{manifest}': {e.Message}", e);
        }
    }

    // Span-based parsing (ParseFrom(ReadOnlySpan<byte>)): no CodedInputStream per call.
    private object Read(ReadOnlySpan<byte> bytes, string manifest)
    {
        if (manifest.StartsWith("r.", StringComparison.Ordinal)) return ReadReport(bytes, manifest); // the hot path first
        switch (manifest)
        {
            case Manifests.Subscribe:
            {
                var p = P.Subscribe.Parser.ParseFrom(bytes);
                SourceSelector source = p.SourceCase switch
                {
                    P.Subscribe.SourceOneofCase.AllSources => SourceSelector.All,
                    P.Subscribe.SourceOneofCase.SourceId => SourceSelector.Id(p.SourceId),
                    _ => null!,
                };
                return new Subscribe(p.PlatformId, Byte(p.Protocol, "protocol"), Byte(p.Event, "event"), source,
                    FromProto(p.Subscriber), p.HasId ? new SubscriptionId(p.Id) : null);
            }
            case Manifests.SubscriptionActive:
            {
                var p = P.SubscriptionActive.Parser.ParseFrom(bytes);
                return new SubscriptionActive(p.PlatformId, new SubscriptionId(p.Id));
            }
            case Manifests.SubscriptionPending:
            {
                var p = P.SubscriptionPending.Parser.ParseFrom(bytes);
                return new SubscriptionPending(p.PlatformId, new SubscriptionId(p.Id));
            }
            case Manifests.SubscriptionFailed:
            {
                var p = P.SubscriptionFailed.Parser.ParseFrom(bytes);
                SubscriptionFailure reason = p.ReasonCase switch
                {
                    P.SubscriptionFailed.ReasonOneofCase.None => null!,
                    P.SubscriptionFailed.ReasonOneofCase.NoSuchEvent =>
                        new SubscriptionFailure.NoSuchEvent(Byte(p.NoSuchEvent.Protocol, "protocol"), Byte(p.NoSuchEvent.Event, "event")),
                    P.SubscriptionFailed.ReasonOneofCase.SourceOutOfRange =>
                        new SubscriptionFailure.SourceOutOfRange(p.SourceOutOfRange.Source, p.SourceOutOfRange.SourceCount),
                    P.SubscriptionFailed.ReasonOneofCase.NotSupportedByPlatform => new SubscriptionFailure.NotSupportedByPlatform(p.NotSupportedByPlatform),
                    P.SubscriptionFailed.ReasonOneofCase.PlatformRejected => new SubscriptionFailure.PlatformRejected((ScmiStatus)p.PlatformRejected),
                    P.SubscriptionFailed.ReasonOneofCase.PlatformUnavailable => new SubscriptionFailure.PlatformUnavailable(p.PlatformUnavailable),
                    P.SubscriptionFailed.ReasonOneofCase.Stopped => new SubscriptionFailure.Stopped(),
                    P.SubscriptionFailed.ReasonOneofCase.DuplicateId => new SubscriptionFailure.DuplicateId(),
                    P.SubscriptionFailed.ReasonOneofCase.Cancelled => new SubscriptionFailure.Cancelled(p.Cancelled),
                    var other => throw new SerializationException($"ScmiSerializer: unknown SubscriptionFailure case {other}."),
                };
                return new SubscriptionFailed(p.PlatformId, new SubscriptionId(p.Id), reason);
            }
            case Manifests.Unsubscribe:
            {
                var p = P.Unsubscribe.Parser.ParseFrom(bytes);
                return new Unsubscribe(p.PlatformId, new SubscriptionId(p.Id));
            }
            case Manifests.Unsubscribed:
            {
                var p = P.Unsubscribed.Parser.ParseFrom(bytes);
                return new Unsubscribed(p.PlatformId, new SubscriptionId(p.Id));
            }
            case Manifests.UnsubscribeFailed:
            {
                var p = P.UnsubscribeFailed.Parser.ParseFrom(bytes);
                return new UnsubscribeFailed(p.PlatformId, new SubscriptionId(p.Id), p.Reason);
            }
            case Manifests.ProtocolRegistered:
            {
                var p = P.ProtocolRegistered.Parser.ParseFrom(bytes);
                return new ProtocolRegistered(p.PlatformId, Byte(p.Protocol, "protocol"));
            }
            case Manifests.ProtocolRegistrationFailed:
            {
                var p = P.ProtocolRegistrationFailed.Parser.ParseFrom(bytes);
                return new ProtocolRegistrationFailed(p.PlatformId, Byte(p.Protocol, "protocol"), p.Reason);
            }
            case Manifests.DeregisterProtocolEvents:
            {
                var p = P.DeregisterProtocolEvents.Parser.ParseFrom(bytes);
                return new DeregisterProtocolEvents(p.PlatformId, Byte(p.Protocol, "protocol"));
            }
            case Manifests.ProtocolDeregistered:
            {
                var p = P.ProtocolDeregistered.Parser.ParseFrom(bytes);
                return new ProtocolDeregistered(p.PlatformId, Byte(p.Protocol, "protocol"), p.WasRegistered);
            }
            case Manifests.GetStats:
                return new GetStats(P.PlatformId.Parser.ParseFrom(bytes).PlatformId_);
            case Manifests.PlatformStats:
                return FromProto(P.PlatformStats.Parser.ParseFrom(bytes));
            case Manifests.StopPlatform:
                return new StopPlatform(P.PlatformId.Parser.ParseFrom(bytes).PlatformId_);
            case Manifests.PlatformShutdownComplete:
            {
                var p = P.PlatformShutdownComplete.Parser.ParseFrom(bytes);
                return new PlatformShutdownComplete(p.PlatformId, p.FinalStats is null ? null! : FromProto(p.FinalStats));
            }
            case Manifests.PlatformStopped:
                return new PlatformStopped(P.PlatformId.Parser.ParseFrom(bytes).PlatformId_);
            case Manifests.PlatformNotFound:
            {
                var p = P.PlatformNotFound.Parser.ParseFrom(bytes);
                return new PlatformNotFound(p.PlatformId, FromPayload(p.Message));
            }
            case Manifests.AwaitPlatformReady:
                return new AwaitPlatformReady(P.PlatformId.Parser.ParseFrom(bytes).PlatformId_);
            case Manifests.PlatformReady:
                return new PlatformReady(P.PlatformId.Parser.ParseFrom(bytes).PlatformId_);
            case Manifests.PlatformStartFailed:
            {
                var p = P.PlatformStartFailed.Parser.ParseFrom(bytes);
                return new PlatformStartFailed(p.PlatformId, p.Reason);
            }
            default:
                throw new SerializationException($"ScmiSerializer: manifest '{manifest}' has no decoder.");
        }
    }

    private static byte Byte(uint value, string what) =>
        value <= byte.MaxValue ? (byte)value : throw new SerializationException($"ScmiSerializer: {what} {value} does not fit a byte.");

    private static PlatformStats FromProto(P.PlatformStats p)
    {
        var state = (PlatformState)p.State;
        if (!Enum.IsDefined(state)) throw new SerializationException($"ScmiSerializer: unknown PlatformState {(int)p.State}.");

        var protocols = default(ImmutableArray<ProtocolStats>);
        if (!p.ProtocolsDefault)
        {
            var items = new ProtocolStats[p.Protocols.Count];
            for (var i = 0; i < items.Length; i++)
            {
                var s = p.Protocols[i];
                items[i] = new ProtocolStats(
                    Protocol: Byte(s.Protocol, "protocol"),
                    Registered: s.Registered,
                    Queued: s.Queued,
                    DroppedQueueFull: s.DroppedQueueFull,
                    RejectedUnknownEvent: s.RejectedUnknownEvent,
                    RejectedPayloadTooLarge: s.RejectedPayloadTooLarge,
                    RejectedNotRunning: s.RejectedNotRunning,
                    Decoded: s.Decoded,
                    MalformedTooShort: s.MalformedTooShort,
                    MalformedTooLong: s.MalformedTooLong,
                    MalformedSourceOutOfRange: s.MalformedSourceOutOfRange,
                    DecoderFaults: s.DecoderFaults,
                    Delivered: s.Delivered,
                    Unmatched: s.Unmatched,
                    Discarded: s.Discarded,
                    InQueue: s.InQueue,
                    SubscriberWaits: s.SubscriberWaits,
                    SubscriberStalls: s.SubscriberStalls,
                    DroppedRateLimited: s.DroppedRateLimited);
            }
            protocols = ImmutableCollectionsMarshal.AsImmutableArray(items);
        }

        return new PlatformStats(p.PlatformId, state, p.HasFailureReason ? p.FailureReason : null,
            p.UnknownProtocol, p.ReservedMessageType, p.NotANotification, p.NotRunning,
            protocols, p.ActiveSubscriptions, p.PendingSubscriptions);
    }

    private IActorRef FromProto(P.ActorRef? p)
    {
        if (p is null) return null!;
        if (p.Path.Length == 0) return ActorRefs.Nobody;
        return _system.Provider.ResolveActorRef(p.Path);
    }

    private object FromPayload(P.Payload? p)
    {
        if (p is null) throw new SerializationException($"ScmiSerializer: PlatformNotFound ('{Manifests.PlatformNotFound}') without its message.");
        try
        {
            return _system.Serialization.Deserialize(p.Message.ToByteArray(), p.SerializerId, p.Manifest);
        }
        catch (Exception e) when (e is not SerializationException)
        {
            throw new SerializationException(
                $"ScmiSerializer: the message inside PlatformNotFound ('{Manifests.PlatformNotFound}'; serializer {p.SerializerId}, manifest '{p.Manifest}') " +
                $"could not be deserialized: {e.Message}", e);
        }
    }

    private static ScmiReport ReadReport(ReadOnlySpan<byte> bytes, string manifest)
    {
        // Every report message has the base properties as fields 1–6; the derived record is built
        // from its own fields, then given back any base property that differs (see WithBase).
        switch (manifest)
        {
            case Manifests.BaseErrorEvent:
            {
                var p = P.BaseErrorEvent.Parser.ParseFrom(bytes);
                var reports = p.ReportsDefault ? default : ImmutableCollectionsMarshal.AsImmutableArray(p.Reports.ToArray());
                return WithBase(new BaseErrorEvent(p.PlatformId, p.TimestampNs, p.AgentId, p.ErrorStatus, reports), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.PowerStateChanged:
            {
                var p = P.PowerStateChanged.Parser.ParseFrom(bytes);
                return WithBase(new PowerStateChanged(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.PowerState), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.SystemPowerStateNotifier:
            {
                var p = P.SystemPowerStateNotifier.Parser.ParseFrom(bytes);
                return WithBase(new SystemPowerStateNotifier(p.PlatformId, p.TimestampNs, p.AgentId, p.Flags, p.SystemState, p.Timeout), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.PerfLimitsChanged:
            {
                var p = P.PerfLimitsChanged.Parser.ParseFrom(bytes);
                return WithBase(new PerfLimitsChanged(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.RangeMax, p.RangeMin), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.PerfLevelChanged:
            {
                var p = P.PerfLevelChanged.Parser.ParseFrom(bytes);
                return WithBase(new PerfLevelChanged(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.PerformanceLevel), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.ClockRateChanged:
            {
                var p = P.ClockRateChanged.Parser.ParseFrom(bytes);
                return WithBase(new ClockRateChanged(p.PlatformId, Byte(p.Event, "event"), p.TimestampNs, p.AgentId, p.ClockId, p.Rate), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.SensorTripPoint:
            {
                var p = P.SensorTripPoint.Parser.ParseFrom(bytes);
                return WithBase(new SensorTripPoint(p.PlatformId, p.TimestampNs, p.AgentId, p.SensorId, p.TripPointDesc), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.SensorUpdate:
            {
                var p = P.SensorUpdate.Parser.ParseFrom(bytes);
                var readings = default(ImmutableArray<SensorReading>);
                if (!p.ReadingsDefault)
                {
                    var (values, timestamps) = (p.ReadingValues, p.ReadingTimestamps);
                    if (values.Count != timestamps.Count)
                        throw new SerializationException($"ScmiSerializer: SensorUpdate ('{manifest}') has {values.Count} reading values but {timestamps.Count} timestamps.");
                    var items = new SensorReading[values.Count];
                    for (var i = 0; i < items.Length; i++) items[i] = new SensorReading(values[i], timestamps[i]);
                    readings = ImmutableCollectionsMarshal.AsImmutableArray(items);
                }
                return WithBase(new SensorUpdate(p.PlatformId, p.TimestampNs, p.AgentId, p.SensorId, readings), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.ResetIssued:
            {
                var p = P.ResetIssued.Parser.ParseFrom(bytes);
                return WithBase(new ResetIssued(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.ResetState), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.PowercapCapChanged:
            {
                var p = P.PowercapCapChanged.Parser.ParseFrom(bytes);
                return WithBase(new PowercapCapChanged(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.PowerCap, p.Pai), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.PowercapMeasurementsChanged:
            {
                var p = P.PowercapMeasurementsChanged.Parser.ParseFrom(bytes);
                return WithBase(new PowercapMeasurementsChanged(p.PlatformId, p.TimestampNs, p.AgentId, p.DomainId, p.Power), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.ImxBbmRtcEvent:
            {
                var p = P.ImxBbmRtcEvent.Parser.ParseFrom(bytes);
                return WithBase(new ImxBbmRtcEvent(p.PlatformId, p.TimestampNs, p.Flags), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case LegacyManifests.ImxBbmRtcEventMask:
            {
                // Its source counted in the old numbering (the event mask); the flags say what it is in the new one.
                var p = P.ImxBbmRtcEvent.Parser.ParseFrom(bytes);
                return WithBase(new ImxBbmRtcEvent(p.PlatformId, p.TimestampNs, p.Flags), p.Protocol, p.Event, ImxBbmRtcEvent.SourceOf(p.Flags), p.AgentId);
            }
            case Manifests.ImxBbmButtonEvent:
            {
                var p = P.ImxBbmButtonEvent.Parser.ParseFrom(bytes);
                return WithBase(new ImxBbmButtonEvent(p.PlatformId, p.TimestampNs, p.Flags), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            case Manifests.ImxMiscControlEvent:
            {
                var p = P.ImxMiscControlEvent.Parser.ParseFrom(bytes);
                return WithBase(new ImxMiscControlEvent(p.PlatformId, p.TimestampNs, p.Source, p.CtrlId, p.Flags), p.Protocol, p.Event, p.Source, p.AgentId);
            }
            default:
                throw new SerializationException($"ScmiSerializer: manifest '{manifest}' has no decoder.");
        }
    }

    /// <summary>
    /// The constructors fix Protocol, Event, Source and (vendor events) AgentId; a report whose
    /// base properties were changed after construction gets them back.
    /// </summary>
    private static ScmiReport WithBase(ScmiReport report, uint protocol, uint evt, uint source, uint agentId) =>
        report.Protocol == protocol && report.Event == evt && report.Source == source && report.AgentId == agentId
            ? report
            : report with { Protocol = Byte(protocol, "protocol"), Event = Byte(evt, "event"), Source = source, AgentId = agentId };
}
