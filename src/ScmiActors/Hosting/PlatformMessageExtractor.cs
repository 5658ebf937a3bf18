using Akka.Cluster.Sharding;
using ScmiActors.Messages;

namespace ScmiActors.Hosting;

/// <summary>Routes every <see cref="IPlatformMessage"/> to the handle entity named by its platform id.</summary>
public sealed class PlatformMessageExtractor(int maxShards = 100) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => message switch
    {
        IPlatformMessage m => m.PlatformId,
        _ => null,
    };
}
