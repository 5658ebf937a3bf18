using Akka.Actor;
using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>
/// Stands in for a platform that no node hosts (never started, or stopped) when sharding creates
/// an entity for its id: answers <see cref="PlatformNotFound"/> (and a failed subscription for a
/// <see cref="Subscribe"/>), then stops, so a stopped platform never comes back by accident.
/// </summary>
public sealed class UnknownPlatformActor : ReceiveActor
{
    public UnknownPlatformActor(string platformId)
    {
        Receive<Subscribe>(s => Sender.Tell(new SubscriptionFailed(platformId, s.Id ?? new SubscriptionId(0),
            new SubscriptionFailure.PlatformUnavailable($"no node hosts platform {platformId}"))));
        Receive<ReceiveTimeout>(_ => Context.Stop(Self));
        ReceiveAny(m => Sender.Tell(new PlatformNotFound(platformId, m)));
        SetReceiveTimeout(TimeSpan.FromSeconds(1));
    }

    public static Props Props(string platformId) => Akka.Actor.Props.Create(() => new UnknownPlatformActor(platformId));
}
