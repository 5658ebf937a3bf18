using Akka.Actor;
using ScmiActors.Hosting;

namespace ScmiActors.Cli.Node;

/// <summary>
/// Prints where each platform this node offers is hosted as it changes: "Platform ID is ready on
/// ADDRESS" when its handle answers ready (first, or from another node after a take-over), and
/// "Platform ID is not ready" when it stops answering. Looks at the offers' status every 200 ms.
/// </summary>
public sealed class OfferWatcherActor : ReceiveActor, IWithTimers
{
    private readonly Dictionary<string, (bool Ready, string? Host)> _last = new();

    public OfferWatcherActor(IReadOnlyList<PlatformOfferStatus> offers, TextWriter output)
    {
        Receive<Look>(_ =>
        {
            foreach (var offer in offers)
            {
                var now = (offer.Ready, offer.HostedOn);
                var before = _last.GetValueOrDefault(offer.PlatformId);
                if (now == before) continue;
                _last[offer.PlatformId] = now;
                if (now.Ready) output.WriteLine($"Platform {offer.PlatformId} is ready on {now.HostedOn}");
                else if (before.Ready) output.WriteLine($"Platform {offer.PlatformId} is not ready (its handle is starting, moving or reconnecting)");
                output.Flush();
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IReadOnlyList<PlatformOfferStatus> offers, TextWriter output) =>
        Akka.Actor.Props.Create(() => new OfferWatcherActor(offers, output));

    protected override void PreStart() => Timers.StartPeriodicTimer("look", Look.Instance, TimeSpan.FromMilliseconds(200));

    private sealed record Look
    {
        public static readonly Look Instance = new();
    }
}
