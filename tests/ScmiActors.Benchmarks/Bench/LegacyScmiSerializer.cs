using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Benchmarks.Bench;

/// <summary>
/// The hand-written binary serializer (format version 3) that the Protocol Buffers
/// <c>ScmiActors.Serialization.ScmiSerializer</c> replaced, kept verbatim (class renamed, HOCON
/// binding removed) only as the baseline of <see cref="SerializerBenchmarks"/>. Not bound anywhere.
/// </summary>
public sealed class LegacyScmiSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's fixed identifier on the wire (Akka reserves 0–100 for itself).</summary>
    public const int SerializerIdentifier = 2604;

    /// <summary>
    /// The first byte of every body; bumped when the format changes. 2: protocol stats carry
    /// SubscriberWaits, SubscriberStalls and DroppedRateLimited. 3: Subscribe carries an optional
    /// caller-chosen id; SubscriptionFailure has DuplicateId and Cancelled.
    /// </summary>
    public const byte FormatVersion = 3;

    /// <summary>The name of the serializer in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "scmi";

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
        public const string ImxBbmRtcEvent = "r.bbm-rtc";
        public const string ImxBbmButtonEvent = "r.bbm-btn";

        /// <summary>Every manifest above.</summary>
        public static FrozenSet<string> All { get; } = typeof(Manifests)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToFrozenSet(StringComparer.Ordinal);
    }

    // Tags of the nested unions.
    private const byte SelectorNull = 0, SelectorAll = 1, SelectorId = 2;

    private const byte FailureNull = 0, FailureNoSuchEvent = 1, FailureSourceOutOfRange = 2, FailureNotSupported = 3,
        FailureRejected = 4, FailureUnavailable = 5, FailureStopped = 6, FailureDuplicateId = 7,
        FailureCancelled = 8;

    private const byte StatsNull = 0, StatsUnregistered = 1, StatsRegistered = 2;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [ThreadStatic] private static Writer? t_writer;

    private readonly ExtendedActorSystem _system;

    public LegacyScmiSerializer(ExtendedActorSystem system) : base(system) => _system = system;

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
        _ => throw CannotSerialize(o),
    };

    // ---- encoding ------------------------------------------------------------------------------

    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        // Rent the thread's writer; a nested call (PlatformNotFound's inner message) finds none and
        // makes its own, so the two never share a buffer.
        var w = t_writer ?? new Writer();
        t_writer = null;
        try
        {
            w.Reset();
            w.U8(FormatVersion);
            Write(w, obj);
            return w.ToArray();
        }
        finally
        {
            if (w.Capacity <= Writer.MaxCachedCapacity) t_writer = w;
        }
    }

    private void Write(Writer w, object obj)
    {
        switch (obj)
        {
            case Subscribe m:
                w.String(m.PlatformId);
                w.U8(m.Protocol);
                w.U8(m.Event);
                WriteSelector(w, m.Source);
                WriteActorRef(w, m.Subscriber);
                w.Bool(m.Id is not null);
                if (m.Id is { } id) w.VarI64(id.Value);
                break;
            case SubscriptionActive m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                break;
            case SubscriptionPending m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                break;
            case SubscriptionFailed m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                WriteFailure(w, m.Reason);
                break;
            case Unsubscribe m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                break;
            case Unsubscribed m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                break;
            case UnsubscribeFailed m:
                w.String(m.PlatformId);
                w.VarI64(m.Id.Value);
                w.String(m.Reason);
                break;
            case ProtocolRegistered m:
                w.String(m.PlatformId);
                w.U8(m.Protocol);
                break;
            case ProtocolRegistrationFailed m:
                w.String(m.PlatformId);
                w.U8(m.Protocol);
                w.String(m.Reason);
                break;
            case DeregisterProtocolEvents m:
                w.String(m.PlatformId);
                w.U8(m.Protocol);
                break;
            case ProtocolDeregistered m:
                w.String(m.PlatformId);
                w.U8(m.Protocol);
                w.Bool(m.WasRegistered);
                break;
            case GetStats m:
                w.String(m.PlatformId);
                break;
            case PlatformStats m:
                WriteStats(w, m);
                break;
            case StopPlatform m:
                w.String(m.PlatformId);
                break;
            case PlatformShutdownComplete m:
                w.String(m.PlatformId);
                w.Bool(m.FinalStats is not null);
                if (m.FinalStats is not null) WriteStats(w, m.FinalStats);
                break;
            case PlatformStopped m:
                w.String(m.PlatformId);
                break;
            case PlatformNotFound m:
                w.String(m.PlatformId);
                WriteNested(w, m.Message);
                break;
            case AwaitPlatformReady m:
                w.String(m.PlatformId);
                break;
            case PlatformReady m:
                w.String(m.PlatformId);
                break;
            case PlatformStartFailed m:
                w.String(m.PlatformId);
                w.String(m.Reason);
                break;
            case ScmiReport r:
                WriteReport(w, r);
                break;
            default:
                throw CannotSerialize(obj);
        }
    }

    private static void WriteSelector(Writer w, SourceSelector? selector)
    {
        switch (selector)
        {
            case null: w.U8(SelectorNull); break;
            case SourceSelector.AllSources: w.U8(SelectorAll); break;
            case SourceSelector.OneSource one: w.U8(SelectorId); w.VarU32(one.Source); break;
            default: throw new ArgumentException($"ScmiSerializer: unknown SourceSelector {selector.GetType()}");
        }
    }

    private static void WriteFailure(Writer w, SubscriptionFailure? failure)
    {
        switch (failure)
        {
            case null: w.U8(FailureNull); break;
            case SubscriptionFailure.NoSuchEvent f: w.U8(FailureNoSuchEvent); w.U8(f.Protocol); w.U8(f.Event); break;
            case SubscriptionFailure.SourceOutOfRange f: w.U8(FailureSourceOutOfRange); w.VarU32(f.Source); w.VarU32(f.SourceCount); break;
            case SubscriptionFailure.NotSupportedByPlatform f: w.U8(FailureNotSupported); w.String(f.Detail); break;
            case SubscriptionFailure.PlatformRejected f: w.U8(FailureRejected); w.VarI32((int)f.Status); break;
            case SubscriptionFailure.PlatformUnavailable f: w.U8(FailureUnavailable); w.String(f.Detail); break;
            case SubscriptionFailure.Stopped: w.U8(FailureStopped); break;
            case SubscriptionFailure.DuplicateId: w.U8(FailureDuplicateId); break;
            case SubscriptionFailure.Cancelled f: w.U8(FailureCancelled); w.String(f.Detail); break;
            default: throw new ArgumentException($"ScmiSerializer: unknown SubscriptionFailure {failure.GetType()}");
        }
    }

    private static void WriteStats(Writer w, PlatformStats s)
    {
        w.String(s.PlatformId);
        w.U8((byte)s.State);
        w.String(s.FailureReason);
        w.VarI64(s.UnknownProtocol);
        w.VarI64(s.ReservedMessageType);
        w.VarI64(s.NotANotification);
        w.VarI64(s.NotRunning);
        w.Count(s.Protocols);
        if (!s.Protocols.IsDefault)
        {
            foreach (var p in s.Protocols)
            {
                if (p is null)
                {
                    w.U8(StatsNull);
                    continue;
                }
                w.U8(p.Registered ? StatsRegistered : StatsUnregistered);
                w.U8(p.Protocol);
                w.VarI64(p.Queued);
                w.VarI64(p.DroppedQueueFull);
                w.VarI64(p.RejectedUnknownEvent);
                w.VarI64(p.RejectedPayloadTooLarge);
                w.VarI64(p.RejectedNotRunning);
                w.VarI64(p.Decoded);
                w.VarI64(p.MalformedTooShort);
                w.VarI64(p.MalformedTooLong);
                w.VarI64(p.MalformedSourceOutOfRange);
                w.VarI64(p.DecoderFaults);
                w.VarI64(p.Delivered);
                w.VarI64(p.Unmatched);
                w.VarI64(p.Discarded);
                w.VarI64(p.InQueue);
                w.VarI64(p.SubscriberWaits);
                w.VarI64(p.SubscriberStalls);
                w.VarI64(p.DroppedRateLimited);
            }
        }
        w.VarI32(s.ActiveSubscriptions);
        w.VarI32(s.PendingSubscriptions);
    }

    private void WriteActorRef(Writer w, IActorRef? actorRef)
    {
        if (actorRef is null) w.String(null);
        else if (actorRef.IsNobody()) w.String(string.Empty);
        else w.String(Akka.Serialization.Serialization.SerializedActorPath(actorRef));
    }

    /// <summary>Any message, through the system's serialization: serializer id, manifest, bytes.</summary>
    private void WriteNested(Writer w, object? message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        w.VarI32(serializer.Identifier);
        w.String(Akka.Serialization.Serialization.ManifestFor(serializer, message));
        w.Bytes(bytes);
    }

    private static void WriteReport(Writer w, ScmiReport r)
    {
        // All base properties first, so a report round-trips to an equal record even if its base
        // properties were changed with `with`; only a few bytes more than the derived fields alone.
        w.String(r.PlatformId);
        w.U8(r.Protocol);
        w.U8(r.Event);
        w.VarU32(r.Source);
        w.I64(r.TimestampNs);
        w.VarU32(r.AgentId);
        switch (r)
        {
            case BaseErrorEvent e:
                w.VarU32(e.ErrorStatus);
                w.Count(e.Reports);
                if (!e.Reports.IsDefault)
                    foreach (var report in e.Reports) w.U64(report);
                break;
            case PowerStateChanged e:
                w.VarU32(e.DomainId);
                w.VarU32(e.PowerState);
                break;
            case SystemPowerStateNotifier e:
                w.VarU32(e.Flags);
                w.VarU32(e.SystemState);
                w.VarU32(e.Timeout);
                break;
            case PerfLimitsChanged e:
                w.VarU32(e.DomainId);
                w.VarU32(e.RangeMax);
                w.VarU32(e.RangeMin);
                break;
            case PerfLevelChanged e:
                w.VarU32(e.DomainId);
                w.VarU32(e.PerformanceLevel);
                break;
            case ClockRateChanged e:
                w.VarU32(e.ClockId);
                w.U64(e.Rate);
                break;
            case SensorTripPoint e:
                w.VarU32(e.SensorId);
                w.VarU32(e.TripPointDesc);
                break;
            case SensorUpdate e:
                w.VarU32(e.SensorId);
                w.Count(e.Readings);
                if (!e.Readings.IsDefault)
                {
                    foreach (var reading in e.Readings)
                    {
                        w.VarI64(reading.Value);
                        w.U64(reading.Timestamp);
                    }
                }
                break;
            case ResetIssued e:
                w.VarU32(e.DomainId);
                w.VarU32(e.ResetState);
                break;
            case PowercapCapChanged e:
                w.VarU32(e.DomainId);
                w.VarU32(e.PowerCap);
                w.VarU32(e.Pai);
                break;
            case PowercapMeasurementsChanged e:
                w.VarU32(e.DomainId);
                w.VarU32(e.Power);
                break;
            case ImxBbmRtcEvent e:
                w.VarU32(e.Flags);
                break;
            case ImxBbmButtonEvent e:
                w.VarU32(e.Flags);
                break;
            default:
                throw CannotSerialize(r);
        }
    }

    private static ArgumentException CannotSerialize(object o) => new(
        $"ScmiSerializer cannot serialize {o.GetType().FullName}. RegisterProtocolEvents is local by design " +
        "(it carries decoder delegates); a report type of another library needs its own serializer, bound to " +
        "its exact type in akka.actor.serialization-bindings (an exact binding wins over the ScmiReport one).");

    // ---- decoding ------------------------------------------------------------------------------

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is null || !Manifests.All.Contains(manifest))
        {
            throw new SerializationException(
                $"ScmiSerializer ({SerializerIdentifier}) does not know manifest '{manifest}'. Known: " +
                string.Join(", ", Manifests.All.Order(StringComparer.Ordinal)) + ".");
        }
        if (bytes is null) throw new SerializationException($"ScmiSerializer: no bytes for manifest '{manifest}'.");

        try
        {
            var r = new Reader(bytes, manifest);
            var version = r.U8();
            if (version != FormatVersion)
            {
                throw new SerializationException(
                    $"ScmiSerializer: manifest '{manifest}' has format version {version}; this node reads version {FormatVersion}.");
            }
            var result = Read(ref r, manifest);
            r.End();
            return result;
        }
        catch (SerializationException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or DecoderFallbackException or OverflowException or FormatException)
        {
            throw new SerializationException($"ScmiSerializer: invalid body for manifest '{manifest}': {e.Message}", e);
        }
    }

    private object Read(ref Reader r, string manifest)
    {
        switch (manifest)
        {
            case Manifests.Subscribe:
                return new Subscribe(r.String(), r.U8(), r.U8(), ReadSelector(ref r), ReadActorRef(ref r),
                    r.Bool() ? new SubscriptionId(r.VarI64()) : null);
            case Manifests.SubscriptionActive:
                return new SubscriptionActive(r.String(), new SubscriptionId(r.VarI64()));
            case Manifests.SubscriptionPending:
                return new SubscriptionPending(r.String(), new SubscriptionId(r.VarI64()));
            case Manifests.SubscriptionFailed:
                return new SubscriptionFailed(r.String(), new SubscriptionId(r.VarI64()), ReadFailure(ref r));
            case Manifests.Unsubscribe:
                return new Unsubscribe(r.String(), new SubscriptionId(r.VarI64()));
            case Manifests.Unsubscribed:
                return new Unsubscribed(r.String(), new SubscriptionId(r.VarI64()));
            case Manifests.UnsubscribeFailed:
                return new UnsubscribeFailed(r.String(), new SubscriptionId(r.VarI64()), r.String());
            case Manifests.ProtocolRegistered:
                return new ProtocolRegistered(r.String(), r.U8());
            case Manifests.ProtocolRegistrationFailed:
                return new ProtocolRegistrationFailed(r.String(), r.U8(), r.String());
            case Manifests.DeregisterProtocolEvents:
                return new DeregisterProtocolEvents(r.String(), r.U8());
            case Manifests.ProtocolDeregistered:
                return new ProtocolDeregistered(r.String(), r.U8(), r.Bool());
            case Manifests.GetStats:
                return new GetStats(r.String());
            case Manifests.PlatformStats:
                return ReadStats(ref r);
            case Manifests.StopPlatform:
                return new StopPlatform(r.String());
            case Manifests.PlatformShutdownComplete:
                return new PlatformShutdownComplete(r.String(), r.Bool() ? ReadStats(ref r) : null!);
            case Manifests.PlatformStopped:
                return new PlatformStopped(r.String());
            case Manifests.PlatformNotFound:
                return new PlatformNotFound(r.String(), ReadNested(ref r));
            case Manifests.AwaitPlatformReady:
                return new AwaitPlatformReady(r.String());
            case Manifests.PlatformReady:
                return new PlatformReady(r.String());
            case Manifests.PlatformStartFailed:
                return new PlatformStartFailed(r.String(), r.String());
            default:
                return ReadReport(ref r, manifest);
        }
    }

    private static SourceSelector ReadSelector(ref Reader r)
    {
        var tag = r.U8();
        return tag switch
        {
            SelectorNull => null!,
            SelectorAll => SourceSelector.All,
            SelectorId => SourceSelector.Id(r.VarU32()),
            _ => throw r.Invalid($"unknown SourceSelector tag {tag}"),
        };
    }

    private static SubscriptionFailure ReadFailure(ref Reader r)
    {
        var tag = r.U8();
        return tag switch
        {
            FailureNull => null!,
            FailureNoSuchEvent => new SubscriptionFailure.NoSuchEvent(r.U8(), r.U8()),
            FailureSourceOutOfRange => new SubscriptionFailure.SourceOutOfRange(r.VarU32(), r.VarU32()),
            FailureNotSupported => new SubscriptionFailure.NotSupportedByPlatform(r.String()),
            FailureRejected => new SubscriptionFailure.PlatformRejected((ScmiStatus)r.VarI32()),
            FailureUnavailable => new SubscriptionFailure.PlatformUnavailable(r.String()),
            FailureStopped => new SubscriptionFailure.Stopped(),
            FailureDuplicateId => new SubscriptionFailure.DuplicateId(),
            FailureCancelled => new SubscriptionFailure.Cancelled(r.String()),
            _ => throw r.Invalid($"unknown SubscriptionFailure tag {tag}"),
        };
    }

    private static PlatformStats ReadStats(ref Reader r)
    {
        var platformId = r.String();
        var stateByte = r.U8();
        var state = (PlatformState)stateByte;
        if (!Enum.IsDefined(state)) throw r.Invalid($"unknown PlatformState {stateByte}");
        var failureReason = r.NullableString();
        var unknownProtocol = r.VarI64();
        var reserved = r.VarI64();
        var notANotification = r.VarI64();
        var notRunning = r.VarI64();

        var protocols = default(ImmutableArray<ProtocolStats>);
        var count = r.Count(minBytesPerElement: 1);
        if (count >= 0)
        {
            var items = new ProtocolStats[count];
            for (var i = 0; i < items.Length; i++)
            {
                var flag = r.U8();
                if (flag == StatsNull) continue;
                if (flag is not (StatsRegistered or StatsUnregistered)) throw r.Invalid($"unknown ProtocolStats flag {flag}");
                items[i] = new ProtocolStats(
                    Protocol: r.U8(),
                    Registered: flag == StatsRegistered,
                    Queued: r.VarI64(),
                    DroppedQueueFull: r.VarI64(),
                    RejectedUnknownEvent: r.VarI64(),
                    RejectedPayloadTooLarge: r.VarI64(),
                    RejectedNotRunning: r.VarI64(),
                    Decoded: r.VarI64(),
                    MalformedTooShort: r.VarI64(),
                    MalformedTooLong: r.VarI64(),
                    MalformedSourceOutOfRange: r.VarI64(),
                    DecoderFaults: r.VarI64(),
                    Delivered: r.VarI64(),
                    Unmatched: r.VarI64(),
                    Discarded: r.VarI64(),
                    InQueue: r.VarI64(),
                    SubscriberWaits: r.VarI64(),
                    SubscriberStalls: r.VarI64(),
                    DroppedRateLimited: r.VarI64());
            }
            protocols = ImmutableCollectionsMarshal.AsImmutableArray(items);
        }

        return new PlatformStats(platformId, state, failureReason, unknownProtocol, reserved, notANotification, notRunning,
            protocols, r.VarI32(), r.VarI32());
    }

    private IActorRef ReadActorRef(ref Reader r)
    {
        var path = r.NullableString();
        if (path is null) return null!;
        if (path.Length == 0) return ActorRefs.Nobody;
        return _system.Provider.ResolveActorRef(path);
    }

    private object ReadNested(ref Reader r)
    {
        var serializerId = r.VarI32();
        var manifest = r.String();
        var bytes = r.Bytes();
        try
        {
            return _system.Serialization.Deserialize(bytes, serializerId, manifest);
        }
        catch (Exception e) when (e is not SerializationException)
        {
            throw new SerializationException(
                $"ScmiSerializer: the message inside PlatformNotFound (serializer {serializerId}, manifest '{manifest}') " +
                $"could not be deserialized: {e.Message}", e);
        }
    }

    private static ScmiReport ReadReport(ref Reader r, string manifest)
    {
        var platformId = r.String();
        var protocol = r.U8();
        var evt = r.U8();
        var source = r.VarU32();
        var timestamp = r.I64();
        var agentId = r.VarU32();

        ScmiReport report = manifest switch
        {
            Manifests.BaseErrorEvent => new BaseErrorEvent(platformId, timestamp, agentId, r.VarU32(), ReadReports(ref r)),
            Manifests.PowerStateChanged => new PowerStateChanged(platformId, timestamp, agentId, r.VarU32(), r.VarU32()),
            Manifests.SystemPowerStateNotifier => new SystemPowerStateNotifier(platformId, timestamp, agentId, r.VarU32(), r.VarU32(), r.VarU32()),
            Manifests.PerfLimitsChanged => new PerfLimitsChanged(platformId, timestamp, agentId, r.VarU32(), r.VarU32(), r.VarU32()),
            Manifests.PerfLevelChanged => new PerfLevelChanged(platformId, timestamp, agentId, r.VarU32(), r.VarU32()),
            Manifests.ClockRateChanged => new ClockRateChanged(platformId, evt, timestamp, agentId, r.VarU32(), r.U64()),
            Manifests.SensorTripPoint => new SensorTripPoint(platformId, timestamp, agentId, r.VarU32(), r.VarU32()),
            Manifests.SensorUpdate => new SensorUpdate(platformId, timestamp, agentId, r.VarU32(), ReadReadings(ref r)),
            Manifests.ResetIssued => new ResetIssued(platformId, timestamp, agentId, r.VarU32(), r.VarU32()),
            Manifests.PowercapCapChanged => new PowercapCapChanged(platformId, timestamp, agentId, r.VarU32(), r.VarU32(), r.VarU32()),
            Manifests.PowercapMeasurementsChanged => new PowercapMeasurementsChanged(platformId, timestamp, agentId, r.VarU32(), r.VarU32()),
            Manifests.ImxBbmRtcEvent => new ImxBbmRtcEvent(platformId, timestamp, r.VarU32()),
            Manifests.ImxBbmButtonEvent => new ImxBbmButtonEvent(platformId, timestamp, r.VarU32()),
            _ => throw new SerializationException($"ScmiSerializer: manifest '{manifest}' has no decoder."),
        };

        // The constructors fix Protocol, Event, Source and (vendor events) AgentId; a report whose
        // base properties were changed after construction gets them back.
        return report.Protocol == protocol && report.Event == evt && report.Source == source && report.AgentId == agentId
            ? report
            : report with { Protocol = protocol, Event = evt, Source = source, AgentId = agentId };
    }

    private static ImmutableArray<ulong> ReadReports(ref Reader r)
    {
        var count = r.Count(minBytesPerElement: 8);
        if (count < 0) return default;
        var items = new ulong[count];
        for (var i = 0; i < items.Length; i++) items[i] = r.U64();
        return ImmutableCollectionsMarshal.AsImmutableArray(items);
    }

    private static ImmutableArray<SensorReading> ReadReadings(ref Reader r)
    {
        var count = r.Count(minBytesPerElement: 9);
        if (count < 0) return default;
        var items = new SensorReading[count];
        for (var i = 0; i < items.Length; i++) items[i] = new SensorReading(r.VarI64(), r.U64());
        return ImmutableCollectionsMarshal.AsImmutableArray(items);
    }

    // ---- primitives ----------------------------------------------------------------------------

    /// <summary>A growable little-endian output buffer, cached per thread between calls.</summary>
    private sealed class Writer
    {
        public const int MaxCachedCapacity = 64 * 1024;

        private byte[] _buffer = new byte[256];
        private int _length;

        public int Capacity => _buffer.Length;

        public void Reset() => _length = 0;

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private Span<byte> Take(int count)
        {
            if (_buffer.Length - _length < count)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }

        public void U8(byte value) => Take(1)[0] = value;

        public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

        public void I64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

        public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

        public void VarU64(ulong value)
        {
            while (value >= 0x80)
            {
                U8((byte)(value | 0x80));
                value >>= 7;
            }
            U8((byte)value);
        }

        public void VarU32(uint value) => VarU64(value);

        public void VarI64(long value) => VarU64((ulong)((value << 1) ^ (value >> 63)));

        public void VarI32(int value) => VarU32((uint)((value << 1) ^ (value >> 31)));

        public void String(string? value)
        {
            if (value is null)
            {
                U8(0);
                return;
            }
            var length = Encoding.UTF8.GetByteCount(value);
            VarU32((uint)length + 1);
            Encoding.UTF8.GetBytes(value, Take(length));
        }

        public void Bytes(byte[] value)
        {
            VarU32((uint)value.Length);
            value.CopyTo(Take(value.Length));
        }

        public void Count<T>(ImmutableArray<T> array) => VarU32(array.IsDefault ? 0u : (uint)array.Length + 1);
    }

    /// <summary>Reads a body; every shortfall or bad value is a <see cref="SerializationException"/>.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, string manifest)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        private readonly int Remaining => _data.Length - _position;

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > Remaining) throw Truncated(count);
            var span = _data.Slice(_position, count);
            _position += count;
            return span;
        }

        public byte U8() => Take(1)[0];

        public bool Bool()
        {
            var b = U8();
            return b switch { 0 => false, 1 => true, _ => throw Invalid($"boolean byte {b}") };
        }

        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public ulong VarU64()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = U8();
                if (shift == 63 && b > 1) throw Invalid("varint overflows 64 bits");
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw Invalid("varint longer than 10 bytes");
        }

        public uint VarU32()
        {
            var value = VarU64();
            return value <= uint.MaxValue ? (uint)value : throw Invalid($"varint {value} overflows 32 bits");
        }

        public long VarI64()
        {
            var u = VarU64();
            return (long)(u >> 1) ^ -(long)(u & 1);
        }

        public int VarI32()
        {
            var u = VarU32();
            return (int)(u >> 1) ^ -(int)(u & 1);
        }

        public string? NullableString()
        {
            var prefix = VarU32();
            if (prefix == 0) return null;
            var length = prefix - 1;
            if (length > (uint)Remaining) throw Truncated(length);
            return StrictUtf8.GetString(Take((int)length));
        }

        /// <summary>A string of a non-nullable field; a null that was written (nullable is only a warning) comes back as null.</summary>
        public string String() => NullableString()!;

        public byte[] Bytes()
        {
            var length = VarU32();
            if (length > (uint)Remaining) throw Truncated(length);
            return Take((int)length).ToArray();
        }

        /// <summary>An array's element count, or −1 for a default array; checked against the bytes left.</summary>
        public int Count(int minBytesPerElement)
        {
            var prefix = VarU32();
            if (prefix == 0) return -1;
            var count = prefix - 1;
            if ((ulong)count * (ulong)minBytesPerElement > (ulong)Remaining) throw Truncated((long)count * minBytesPerElement);
            return (int)count;
        }

        public readonly void End()
        {
            if (Remaining != 0)
                throw Invalid($"{Remaining} trailing byte(s) after the message");
        }

        private readonly SerializationException Truncated(long needed) => new(
            $"ScmiSerializer: body of manifest '{manifest}' is truncated: {needed} byte(s) needed at offset {_position}, " +
            $"{Remaining} left of {_data.Length}.");

        public readonly SerializationException Invalid(string what) => new(
            $"ScmiSerializer: body of manifest '{manifest}' is invalid at offset {_position} of {_data.Length}: {what}.");
    }
}
