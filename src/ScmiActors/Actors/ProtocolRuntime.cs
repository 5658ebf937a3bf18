using ScmiActors.Ingestion;
using ScmiActors.Wire;

namespace ScmiActors.Actors;

/// <summary>
/// What one registration of a protocol needs and must keep across restarts of its protocol actor:
/// the ring and counters (shared with the gate), the descriptor and platform knowledge for
/// decoding, and the current routing snapshot. Created and owned by the handle.
/// </summary>
internal sealed class ProtocolRuntime(string platformId, ProtocolDescriptor descriptor, ProtocolDescription description,
    ProtocolCounters counters, int generation)
{
    public string PlatformId { get; } = platformId;
    public ProtocolDescriptor Descriptor { get; } = descriptor;
    public ProtocolDescription Description { get; } = description;
    public ProtocolCounters Counters { get; } = counters;
    public ProtocolRing Ring => Counters.Ring;
    public int Generation { get; } = generation;
    public byte Protocol => Descriptor.Id;

    /// <summary>Written only by the protocol actor.</summary>
    public RoutingSnapshot Routing { get; set; } = RoutingSnapshot.For(descriptor.Events.Length);
}
