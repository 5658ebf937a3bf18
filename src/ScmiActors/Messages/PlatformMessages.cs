using System.Collections.Immutable;
using Akka.Actor;
using ScmiActors.Wire;

namespace ScmiActors.Messages;

/// <summary>A message for one platform's handle; the handle registry (or shard region) routes it by <see cref="PlatformId"/>.</summary>
public interface IPlatformMessage
{
    string PlatformId { get; }
}

/// <summary>
/// Marks a message that can cross nodes: the <c>scmi</c> serializer (<see cref="Serialization.ScmiSerializer"/>)
/// is bound to this interface and has a Protocol Buffers schema for every type that implements it
/// (the tests find the implementers by reflection and fail for one without a schema). Reports are
/// bound by their base type <see cref="ScmiReport"/> instead: they live in ScmiActors.Wire, which
/// does not depend on Akka. <see cref="RegisterProtocolEvents"/> and <see cref="SendPlatformCommand"/>
/// are local and do not implement it.
/// </summary>
public interface IScmiRemoteMessage;

/// <summary>
/// Identifies one subscription within its platform. The handle numbers subscriptions from 1, or the
/// caller chooses the id (<see cref="Subscribe.Id"/>): any value not in use on that platform.
/// </summary>
public readonly record struct SubscriptionId(long Value)
{
    /// <summary>A caller-chosen id from the upper half of the range, where the handle's own numbering never gets.</summary>
    public static SubscriptionId NewRandom() => new(Random.Shared.NextInt64(1L << 62, long.MaxValue));

    public override string ToString() => $"sub-{Value}";
}

/// <summary>Which sources of an event a subscription covers: all of them (a distinct key, not a magic id) or one.</summary>
public abstract record SourceSelector
{
    private SourceSelector() { }

    public static SourceSelector All { get; } = new AllSources();
    public static SourceSelector Id(uint source) => new OneSource(source);

    public sealed record AllSources : SourceSelector
    {
        public override string ToString() => "all";
    }

    public sealed record OneSource(uint Source) : SourceSelector
    {
        public override string ToString() => Source.ToString();
    }
}

// ---- subscriptions ---------------------------------------------------------------------------
//
// Where answers go — one rule, everywhere:
//  1. A request is answered to its sender, exactly once: Subscribe with one of SubscriptionActive,
//     SubscriptionPending or SubscriptionFailed; Unsubscribe with Unsubscribed or UnsubscribeFailed.
//  2. What happens to a subscription later, with no request waiting for it, is told to its
//     subscriber: after SubscriptionPending the SubscriptionActive or SubscriptionFailed that
//     follows; SubscriptionPending again when its protocol is deregistered; PlatformStopped.
//  3. Nothing about a subscription is sent after it ended: after Unsubscribed, or a
//     SubscriptionFailed, nothing more about it reaches anyone, except the Unsubscribed that
//     answers the Unsubscribe behind a SubscriptionFailed(Cancelled); once its subscriber
//     terminated, nothing more reaches the subscriber (a sender still gets the answer its request
//     is owed).
// An Unsubscribe accepted before the subscription became active settles what the Subscribe is
// still owed at once, with SubscriptionFailed(Cancelled), so no SubscriptionActive can follow it.

/// <summary>
/// Subscribes <paramref name="Subscriber"/> to (protocol, event, source). Answered to the sender
/// with <see cref="SubscriptionActive"/>, <see cref="SubscriptionPending"/> or <see cref="SubscriptionFailed"/>;
/// after <see cref="SubscriptionPending"/> the outcome is told to the subscriber.
/// </summary>
/// <param name="Id">
/// Optional: the subscription's id, chosen by the caller (e.g. <see cref="SubscriptionId.NewRandom"/>),
/// so it can <see cref="Unsubscribe"/> before any answer arrived — e.g. while the platform has not
/// answered the NOTIFY enable yet. An id already in use on the platform is refused with
/// <see cref="SubscriptionFailure.DuplicateId"/> and leaves the existing subscription alone.
/// Null (the default): the handle numbers the subscription and the answer tells its id.
/// </param>
public sealed record Subscribe(string PlatformId, byte Protocol, byte Event, SourceSelector Source, IActorRef Subscriber,
    SubscriptionId? Id = null) : IPlatformMessage, IScmiRemoteMessage;

/// <summary>The subscription delivers: its snapshot is installed and the platform enabled what it needs.</summary>
public sealed record SubscriptionActive(string PlatformId, SubscriptionId Id) : IScmiRemoteMessage;

/// <summary>The protocol is not registered (yet, or any more); <see cref="SubscriptionActive"/> or <see cref="SubscriptionFailed"/> follows to the subscriber.</summary>
public sealed record SubscriptionPending(string PlatformId, SubscriptionId Id) : IScmiRemoteMessage;

/// <summary>
/// The subscription could not be made or kept; it is gone, and nothing more is sent about it (for
/// <see cref="SubscriptionFailure.Cancelled"/> by an Unsubscribe: except that Unsubscribe's answer).
/// </summary>
public sealed record SubscriptionFailed(string PlatformId, SubscriptionId Id, SubscriptionFailure Reason) : IScmiRemoteMessage;

/// <summary>Why a subscription could not be made or kept.</summary>
public abstract record SubscriptionFailure
{
    private SubscriptionFailure() { }

    /// <summary>The registered protocol has no such event.</summary>
    public sealed record NoSuchEvent(byte Protocol, byte Event) : SubscriptionFailure;

    /// <summary>The source is not below the protocol's source count.</summary>
    public sealed record SourceOutOfRange(uint Source, uint SourceCount) : SubscriptionFailure;

    /// <summary>The platform says the source (or, for all sources, every source) cannot notify.</summary>
    public sealed record NotSupportedByPlatform(string Detail) : SubscriptionFailure;

    /// <summary>The platform answered the NOTIFY command with an error status.</summary>
    public sealed record PlatformRejected(ScmiStatus Status) : SubscriptionFailure
    {
        public override string ToString() => $"PlatformRejected({Status.ToScmiName()})";
    }

    /// <summary>The platform did not answer, the link failed, or the handle failed to initialise.</summary>
    public sealed record PlatformUnavailable(string Detail) : SubscriptionFailure;

    /// <summary>The platform is shutting down or stopped.</summary>
    public sealed record Stopped : SubscriptionFailure;

    /// <summary>The caller-chosen <see cref="Subscribe.Id"/> is already in use on this platform.</summary>
    public sealed record DuplicateId : SubscriptionFailure;

    /// <summary>
    /// It ended before it became active: an <see cref="Unsubscribe"/> for it was accepted (its
    /// <see cref="Unsubscribed"/> follows to that sender), or its subscriber terminated.
    /// </summary>
    public sealed record Cancelled(string Detail) : SubscriptionFailure;
}

/// <summary>
/// Ends a subscription, in any state: pending, binding (the platform has not answered the enable
/// yet: the disable follows the enable), active. Answered to the sender.
/// </summary>
public sealed record Unsubscribe(string PlatformId, SubscriptionId Id) : IPlatformMessage, IScmiRemoteMessage;

/// <summary>The subscription is gone: nothing more is delivered or sent for it, and the platform was told to disable what only it needed.</summary>
public sealed record Unsubscribed(string PlatformId, SubscriptionId Id) : IScmiRemoteMessage;

public sealed record UnsubscribeFailed(string PlatformId, SubscriptionId Id, string Reason) : IScmiRemoteMessage;

// ---- protocol registration -------------------------------------------------------------------

/// <summary>A protocol's notifications (its descriptor, standard or vendor) and what the platform says of it.</summary>
public sealed record ProtocolEvents(ProtocolDescriptor Descriptor, PlatformProtocol Description)
{
    public byte Protocol => Descriptor.Id;
}

public sealed record RegisterProtocolEvents(string PlatformId, ProtocolEvents Events) : IPlatformMessage;

public sealed record ProtocolRegistered(string PlatformId, byte Protocol) : IScmiRemoteMessage;

public sealed record ProtocolRegistrationFailed(string PlatformId, byte Protocol, string Reason) : IScmiRemoteMessage;

/// <summary>Stops delivery for the protocol, discards its queue and puts its subscriptions back to pending.</summary>
public sealed record DeregisterProtocolEvents(string PlatformId, byte Protocol) : IPlatformMessage, IScmiRemoteMessage;

public sealed record ProtocolDeregistered(string PlatformId, byte Protocol, bool WasRegistered) : IScmiRemoteMessage;

// ---- commands -------------------------------------------------------------------------------

/// <summary>
/// Sends one command to the platform through the handle's link (e.g. PERFORMANCE_LIMITS_SET from a
/// thermal governor); answered with a <see cref="CommandResult"/> carrying <paramref name="Command"/>'s correlation.
/// </summary>
public sealed record SendPlatformCommand(string PlatformId, PlatformCommand Command) : IPlatformMessage;

// ---- lifecycle and stats ---------------------------------------------------------------------

public sealed record GetStats(string PlatformId) : IPlatformMessage, IScmiRemoteMessage;

/// <summary>
/// Asks a handle to answer once it is ready (transport connected, discovery done, gate open):
/// <see cref="PlatformReady"/>, or <see cref="PlatformStartFailed"/> with the reason when its
/// initialisation failed (it stays failed) or it is stopping. A handle still initialising keeps the
/// question until it knows. <see cref="Hosting.ScmiNotifications.StartPlatformAsync"/> uses it; any node can.
/// </summary>
public sealed record AwaitPlatformReady(string PlatformId) : IPlatformMessage, IScmiRemoteMessage;

public sealed record PlatformReady(string PlatformId) : IScmiRemoteMessage;

public sealed record PlatformStartFailed(string PlatformId, string Reason) : IScmiRemoteMessage;

/// <summary>Asks for the ordered shutdown; answered with <see cref="PlatformShutdownComplete"/> when the handle has stopped.</summary>
public sealed record StopPlatform(string PlatformId) : IPlatformMessage, IScmiRemoteMessage;

/// <summary>The handle finished its ordered shutdown; <see cref="FinalStats"/> are exact (nothing is in flight any more).</summary>
public sealed record PlatformShutdownComplete(string PlatformId, PlatformStats FinalStats) : IScmiRemoteMessage;

/// <summary>Told once to every subscriber when its platform's handle stops; nothing is delivered after it.</summary>
public sealed record PlatformStopped(string PlatformId) : IScmiRemoteMessage;

/// <summary>The answer to a message for a platform that no handle serves (never started, or stopped).</summary>
public sealed record PlatformNotFound(string PlatformId, object Message) : IScmiRemoteMessage;

/// <summary>
/// Where a handle is. Reconnecting: it was ready, the transport lost the platform, and it connects
/// again with back-off; its subscriptions are pending until the platform is back.
/// </summary>
public enum PlatformState { Initialising, Ready, Failed, ShuttingDown, Stopped, Reconnecting }

/// <summary>
/// Counters of one platform. Handle-level counters cover messages that belong to no registered
/// protocol; per-protocol counters the rest. Exact when nothing is in flight (after shutdown, or
/// with producers quiet); otherwise within the events being processed at that moment.
/// </summary>
public sealed record PlatformStats(
    string PlatformId,
    PlatformState State,
    string? FailureReason,
    long UnknownProtocol,
    long ReservedMessageType,
    long NotANotification,
    long NotRunning,
    ImmutableArray<ProtocolStats> Protocols,
    int ActiveSubscriptions,
    int PendingSubscriptions) : IScmiRemoteMessage
{
    /// <summary>Every message the gate saw for this platform.</summary>
    public long Received => UnknownProtocol + ReservedMessageType + NotANotification + NotRunning + Protocols.Sum(p => p.Received);

    public bool AddsUp => Protocols.All(p => p.AddsUp);

    public ProtocolStats? For(byte protocol) => Protocols.FirstOrDefault(p => p.Protocol == protocol);
}

/// <summary>
/// Counters of one protocol of one platform; see DESIGN.md's accounting rule.
/// <see cref="SubscriberWaits"/>: times delivery paused because a subscriber was a whole delivery
/// window behind (the queue then fills and drops newest: back-pressure, not loss of accepted events).
/// <see cref="SubscriberStalls"/>: subscribers that kept their window shut past the stall timeout
/// and were delivered to without a window until they caught up. <see cref="DroppedRateLimited"/>:
/// notifications over the protocol's rate limit (off unless configured).
/// </summary>
public sealed record ProtocolStats(
    byte Protocol,
    bool Registered,
    long Queued,
    long DroppedQueueFull,
    long RejectedUnknownEvent,
    long RejectedPayloadTooLarge,
    long RejectedNotRunning,
    long Decoded,
    long MalformedTooShort,
    long MalformedTooLong,
    long MalformedSourceOutOfRange,
    long DecoderFaults,
    long Delivered,
    long Unmatched,
    long Discarded,
    long InQueue,
    long SubscriberWaits = 0,
    long SubscriberStalls = 0,
    long DroppedRateLimited = 0)
{
    public long Rejected => RejectedUnknownEvent + RejectedPayloadTooLarge + RejectedNotRunning;
    public long Dropped => DroppedQueueFull + DroppedRateLimited;
    public long Received => Queued + Dropped + Rejected;
    public long Malformed => MalformedTooShort + MalformedTooLong + MalformedSourceOutOfRange + DecoderFaults;

    /// <summary>received = queued + dropped + rejected (by construction) and queued = decoded + malformed + discarded + in queue.</summary>
    public bool AddsUp => Queued == Decoded + Malformed + Discarded + InQueue;

    public static ProtocolStats operator +(ProtocolStats a, ProtocolStats b) => new(
        a.Protocol, a.Registered || b.Registered,
        a.Queued + b.Queued, a.DroppedQueueFull + b.DroppedQueueFull,
        a.RejectedUnknownEvent + b.RejectedUnknownEvent, a.RejectedPayloadTooLarge + b.RejectedPayloadTooLarge,
        a.RejectedNotRunning + b.RejectedNotRunning, a.Decoded + b.Decoded,
        a.MalformedTooShort + b.MalformedTooShort, a.MalformedTooLong + b.MalformedTooLong,
        a.MalformedSourceOutOfRange + b.MalformedSourceOutOfRange, a.DecoderFaults + b.DecoderFaults,
        a.Delivered + b.Delivered, a.Unmatched + b.Unmatched, a.Discarded + b.Discarded, a.InQueue + b.InQueue,
        a.SubscriberWaits + b.SubscriberWaits, a.SubscriberStalls + b.SubscriberStalls,
        a.DroppedRateLimited + b.DroppedRateLimited);

    public static ProtocolStats Empty(byte protocol) => new(protocol, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
