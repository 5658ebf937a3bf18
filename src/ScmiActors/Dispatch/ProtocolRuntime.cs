using ScmiActors.Ingestion;
using ScmiActors.Wire;

namespace ScmiActors.Dispatch;

/// <summary>
/// What one registration of a protocol needs and must keep across restarts of its protocol actor:
/// the ring and counters (shared with the gate), the descriptor and platform knowledge for
/// decoding, and the current routing snapshot. Created and owned by the handle.
/// </summary>
internal sealed class ProtocolRuntime(string platformId, ProtocolDescriptor descriptor, PlatformProtocol description,
    ProtocolCounters counters, int generation, int? subscriberWindow = null)
{
    public string PlatformId { get; } = platformId;
    public ProtocolDescriptor Descriptor { get; } = descriptor;
    public PlatformProtocol Description { get; } = description;
    public ProtocolCounters Counters { get; } = counters;
    public ProtocolRing Ring => Counters.Ring;
    public int Generation { get; } = generation;
    public byte Protocol => Descriptor.Id;

    /// <summary>Written only by the protocol actor.</summary>
    public RoutingSnapshot Routing { get; set; } = RoutingSnapshot.For(descriptor.Events.Length);

    /// <summary>The subscribers' delivery windows (markers in flight survive a restart); protocol actor only.</summary>
    public DeliveryWindows Windows { get; } = new(subscriberWindow);

    // Shutdown and deregistration state survives a restart of the protocol actor too, or a decoder
    // fault during a drain would lose the drain request.

    /// <summary>Who waits for <see cref="QueueDrained"/>; owned by the protocol actor.</summary>
    public Akka.Actor.IActorRef? DrainRequester { get; set; }

    /// <summary>Count what is queued as discarded instead of delivering it; owned by the protocol actor.</summary>
    public bool Discarding { get; set; }

    private volatile bool _stopDelivery;

    /// <summary>Set by the handle on deregistration: the protocol actor stops delivering after the current entry.</summary>
    public bool StopDelivery
    {
        get => _stopDelivery;
        set => _stopDelivery = value;
    }
}
