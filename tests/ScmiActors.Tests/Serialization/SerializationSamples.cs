using System.Collections.Immutable;
using Akka.Actor;
using ScmiActors.Messages;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Tests.Serialization;

/// <summary>
/// One or more non-trivial values of every type the ScmiSerializer covers (extremes, negatives,
/// empty and multi-element arrays, every failure variant, nulls where the type allows them), and
/// a value comparison that looks into arrays (records compare an ImmutableArray by reference).
/// </summary>
public static class SerializationSamples
{
    private const string Unicode = "sôc-π-✓";

    private static ProtocolStats Stats(byte protocol, long seed, bool registered) => new(
        protocol, registered,
        Queued: seed, DroppedQueueFull: seed + 1, RejectedUnknownEvent: seed + 2, RejectedPayloadTooLarge: seed + 3,
        RejectedNotRunning: seed + 4, Decoded: seed + 5, MalformedTooShort: seed + 6, MalformedTooLong: seed + 7,
        MalformedSourceOutOfRange: seed + 8, DecoderFaults: seed + 9, Delivered: long.MaxValue, Unmatched: seed + 11,
        Discarded: seed + 12, InQueue: long.MinValue, SubscriberWaits: seed + 13, SubscriberStalls: seed + 14,
        DroppedRateLimited: seed + 15);

    private static readonly PlatformStats ReadyStats = new(
        "soc0", PlatformState.Ready, FailureReason: null,
        UnknownProtocol: 1, ReservedMessageType: 0, NotANotification: long.MaxValue, NotRunning: -5,
        [Stats(ScmiProtocolId.Perf, 0, registered: true), Stats(ImxBbm.ProtocolId, 1_000_000_000_000, registered: false)],
        ActiveSubscriptions: int.MaxValue, PendingSubscriptions: 0);

    private static readonly PlatformStats FailedStats = new(
        Unicode, PlatformState.Failed, FailureReason: "transport did not connect within 10s",
        0, 0, 0, 0, ImmutableArray<ProtocolStats>.Empty, ActiveSubscriptions: 0, PendingSubscriptions: -1);

    /// <summary>The samples by name; <paramref name="subscriber"/> is the actor in the ones that carry a ref.</summary>
    public static IReadOnlyDictionary<string, object> Create(IActorRef subscriber) => new Dictionary<string, object>
    {
        ["Subscribe.All"] = new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, subscriber),
        ["Subscribe.Id.max"] = new Subscribe(Unicode, 0xFF, 0xFF, SourceSelector.Id(uint.MaxValue), subscriber),
        ["Subscribe.Id.0"] = new Subscribe("", 0, 0, SourceSelector.Id(0), subscriber),
        ["Subscribe.CallerId"] = new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(2), subscriber, new SubscriptionId(long.MinValue)),
        ["Subscribe.CallerId.0"] = new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, subscriber, new SubscriptionId(0)),
        ["SubscriptionActive"] = new SubscriptionActive("soc0", new SubscriptionId(long.MaxValue)),
        ["SubscriptionPending"] = new SubscriptionPending(Unicode, new SubscriptionId(-1)),
        ["SubscriptionFailed.NoSuchEvent"] = new SubscriptionFailed("soc0", new SubscriptionId(1), new SubscriptionFailure.NoSuchEvent(0xFF, 0x80)),
        ["SubscriptionFailed.SourceOutOfRange"] = new SubscriptionFailed("soc0", new SubscriptionId(2), new SubscriptionFailure.SourceOutOfRange(uint.MaxValue, 0)),
        ["SubscriptionFailed.NotSupportedByPlatform"] = new SubscriptionFailed("soc0", new SubscriptionId(3), new SubscriptionFailure.NotSupportedByPlatform("no source of PERFORMANCE_LEVEL_CHANGED can notify")),
        ["SubscriptionFailed.PlatformRejected"] = new SubscriptionFailed("soc0", new SubscriptionId(4), new SubscriptionFailure.PlatformRejected(ScmiStatus.InUse)),
        ["SubscriptionFailed.PlatformRejected.undefined"] = new SubscriptionFailed("soc0", new SubscriptionId(5), new SubscriptionFailure.PlatformRejected((ScmiStatus)int.MinValue)),
        ["SubscriptionFailed.PlatformUnavailable"] = new SubscriptionFailed("soc0", new SubscriptionId(long.MinValue), new SubscriptionFailure.PlatformUnavailable("")),
        ["SubscriptionFailed.Stopped"] = new SubscriptionFailed(Unicode, new SubscriptionId(0), new SubscriptionFailure.Stopped()),
        ["SubscriptionFailed.DuplicateId"] = new SubscriptionFailed("soc0", new SubscriptionId(long.MaxValue), new SubscriptionFailure.DuplicateId()),
        ["SubscriptionFailed.Cancelled"] = new SubscriptionFailed(Unicode, new SubscriptionId(9), new SubscriptionFailure.Cancelled("the subscriber terminated")),
        ["Unsubscribe"] = new Unsubscribe("soc0", new SubscriptionId(42)),
        ["Unsubscribed"] = new Unsubscribed("soc0", new SubscriptionId(long.MinValue)),
        ["UnsubscribeFailed"] = new UnsubscribeFailed("soc0", new SubscriptionId(7), "no such subscription: sub-7"),
        ["ProtocolRegistered"] = new ProtocolRegistered("soc0", ImxBbm.ProtocolId),
        ["ProtocolRegistrationFailed"] = new ProtocolRegistrationFailed("soc0", 0x10, "protocol 0x10 is already registered"),
        ["DeregisterProtocolEvents"] = new DeregisterProtocolEvents("soc0", 0xFF),
        ["ProtocolDeregistered.true"] = new ProtocolDeregistered("soc0", 0x13, WasRegistered: true),
        ["ProtocolDeregistered.false"] = new ProtocolDeregistered("soc0", 0x14, WasRegistered: false),
        ["GetStats"] = new GetStats("soc0"),
        ["PlatformStats.ready"] = ReadyStats,
        ["PlatformStats.failed"] = FailedStats,
        ["PlatformStats.default-array"] = ReadyStats with { Protocols = default, State = PlatformState.Initialising },
        ["StopPlatform"] = new StopPlatform(Unicode),
        ["PlatformShutdownComplete"] = new PlatformShutdownComplete("soc0", ReadyStats with { State = PlatformState.Stopped }),
        ["PlatformStopped"] = new PlatformStopped("soc0"),
        ["PlatformNotFound.GetStats"] = new PlatformNotFound("gone", new GetStats("gone")),
        ["PlatformNotFound.Subscribe"] = new PlatformNotFound("gone", new Subscribe("gone", 0x15, 1, SourceSelector.Id(3), subscriber)),
        ["PlatformNotFound.string"] = new PlatformNotFound("gone", "some other message"),
        ["AwaitPlatformReady"] = new AwaitPlatformReady(Unicode),
        ["PlatformReady"] = new PlatformReady(Unicode),
        ["PlatformStartFailed"] = new PlatformStartFailed(Unicode, "discovery: BASE_PROTOCOL_VERSION timed out"),
        ["BaseErrorEvent.empty"] = new BaseErrorEvent("soc0", 1, 0, 0x8000_0000, []),
        ["BaseErrorEvent.three"] = new BaseErrorEvent("soc0", long.MaxValue, uint.MaxValue, 0x8000_0003, [0, 0x1234_5678_9ABC_DEF0, ulong.MaxValue]),
        ["PowerStateChanged"] = new PowerStateChanged("soc0", -1, 1, uint.MaxValue, 0x4000_0001),
        ["SystemPowerStateNotifier"] = new SystemPowerStateNotifier("soc0", 123_456_789, 2, 1, (uint)SystemState.Shutdown, 30_000),
        ["PerfLimitsChanged"] = new PerfLimitsChanged("soc0", 5, 0, 3, uint.MaxValue, 0),
        ["PerfLevelChanged"] = new PerfLevelChanged("soc0", long.MinValue, 1, 2, 1200),
        ["ClockRateChanged.0"] = new ClockRateChanged("soc0", 0, 7, 1, 5, ulong.MaxValue),
        ["ClockRateChanged.1"] = new ClockRateChanged("soc0", 1, 7, 1, uint.MaxValue, 1_000_000_000),
        ["SensorTripPoint"] = new SensorTripPoint("soc0", 9, 0, 4, 0x0001_0007),
        ["SensorUpdate.one"] = new SensorUpdate("soc0", 10, 3, 5, [new SensorReading(-40, 123)]),
        ["SensorUpdate.three"] = new SensorUpdate("soc0", 10, 3, uint.MaxValue,
            [new SensorReading(long.MinValue, 0), new SensorReading(long.MaxValue, ulong.MaxValue), new SensorReading(-1, 1)]),
        ["SensorUpdate.empty"] = new SensorUpdate("soc0", 10, 3, 6, []),
        ["ResetIssued"] = new ResetIssued("soc0", 11, 1, 7, 0x8000_0001),
        ["PowercapCapChanged"] = new PowercapCapChanged("soc0", 12, 1, 0, uint.MaxValue, 1000),
        ["PowercapMeasurementsChanged"] = new PowercapMeasurementsChanged("soc0", 13, 1, 3, 25_000),
        ["ImxBbmRtcEvent"] = new ImxBbmRtcEvent("imx95", 14, 0xFF00_0005),
        ["ImxBbmButtonEvent"] = new ImxBbmButtonEvent("imx95", 15, uint.MaxValue),
        // RTC 1 updated: source 1 * 3 + 2 in the numbering of issue 12 (manifest r.bbm-rtc2).
        ["ImxBbmRtcEvent.rtc1-updated"] = new ImxBbmRtcEvent("imx95", 16, 0x0100_0004),
        // Board control 0x8001 of a platform with 2 device controls: dense source 3.
        ["ImxMiscControlEvent"] = new ImxMiscControlEvent("imx95", 17, 3, 0x8001, 1),
        // Base properties changed after construction still round-trip.
        ["PerfLevelChanged.with-base-changed"] = new PerfLevelChanged("soc0", 1, 1, 2, 3) with { Source = 99, Event = 7, Protocol = 0x90, AgentId = 4 },
    };

    public static IEnumerable<object[]> Names() => Create(ActorRefs.Nobody).Keys.Select(k => new object[] { k });

    /// <summary>Asserts that <paramref name="actual"/> has the type and value of <paramref name="expected"/>, arrays by content.</summary>
    public static void AssertEquivalent(object? expected, object? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected, actual)
        {
            case (BaseErrorEvent e, BaseErrorEvent a):
                AssertSameItems(e.Reports, a.Reports);
                Assert.Equal(e with { Reports = default }, a with { Reports = default });
                break;
            case (SensorUpdate e, SensorUpdate a):
                AssertSameItems(e.Readings, a.Readings);
                Assert.Equal(e with { Readings = default }, a with { Readings = default });
                break;
            case (PlatformStats e, PlatformStats a):
                AssertSameItems(e.Protocols, a.Protocols);
                Assert.Equal(e with { Protocols = default }, a with { Protocols = default });
                break;
            case (PlatformShutdownComplete e, PlatformShutdownComplete a):
                AssertEquivalent(e.FinalStats, a.FinalStats);
                Assert.Equal(e.PlatformId, a.PlatformId);
                break;
            case (PlatformNotFound e, PlatformNotFound a):
                AssertEquivalent(e.Message, a.Message);
                Assert.Equal(e.PlatformId, a.PlatformId);
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }

    private static void AssertSameItems<T>(ImmutableArray<T> expected, ImmutableArray<T> actual)
    {
        Assert.Equal(expected.IsDefault, actual.IsDefault);
        if (!expected.IsDefault) Assert.Equal(expected.ToArray(), actual.ToArray());
    }
}
