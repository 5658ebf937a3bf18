using System.CommandLine;
using System.CommandLine.Parsing;
using Akka.Actor;
using ScmiActors.Cli.MainJob;
using ScmiActors.Cli.Platform;
using ScmiActors.Hosting;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Cli.Node;

/// <summary>A platform this node can reach: its id (in the embedded platforms.conf) and the prefix of its SMT link.</summary>
public sealed record NodeOffer(string PlatformId, string Link);

/// <summary>
/// <c>--offer ID=PATH</c> and <c>--subscribe ID</c> of <c>scmi-actors node</c>: the platforms this node can
/// reach (their handles run on one of the nodes that offer them and move when it goes) and the
/// platforms it subscribes to (every event of every described protocol, all sources, from whichever node
/// hosts the handle). Descriptions come from the embedded platforms.conf, as for the main job.
/// </summary>
public static class NodePlatforms
{
    /// <summary>
    /// The agent's slot timeout and command queue, as the main job uses them over SMT: a platform process on a
    /// loaded 2-core machine may answer later than firmware, and a handle enables every source at once.
    /// </summary>
    private static readonly TimeSpan SlotTimeout = TimeSpan.FromSeconds(1);

    private const int CommandQueue = 1024;

    public static Option<NodeOffer[]> OfferOption() => new("--offer")
    {
        Description = "A platform this node can reach, ID=PATH: its SMT link PATH.smt + PATH.sock (scmi-actors platform --link PATH --platform-id ID --agents-in-turn); repeatable. " +
                      "Its handle runs on one of the nodes that offer it and moves to another when that node goes",
        HelpName = "ID=PATH",
        CustomParser = ParseOffers,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string[]> SubscribeOption() => new("--subscribe")
    {
        Description = "Subscribe to every event of platform ID (all sources) and count the reports; repeatable",
        HelpName = "ID",
        CustomParser = ParseSubscriptions,
    };

    private static IReadOnlyList<PlatformDescription> Descriptions => MainJobConfig.Load(null).Descriptions;

    private static string KnownIds => string.Join(", ", Descriptions.Select(d => d.PlatformId));

    private static NodeOffer[] ParseOffers(ArgumentResult r)
    {
        var offers = new List<NodeOffer>();
        foreach (var token in r.Tokens)
        {
            var text = token.Value;
            var eq = text.IndexOf('=');
            if (eq <= 0 || eq == text.Length - 1)
            {
                r.AddError($"--offer: '{text}' is not ID=PATH");
                return [];
            }
            var (id, link) = (text[..eq], text[(eq + 1)..]);
            if (Descriptions.All(d => d.PlatformId != id))
            {
                r.AddError($"--offer: no platform '{id}' in the embedded platforms.conf (known: {KnownIds})");
                return [];
            }
            if (offers.Any(o => o.PlatformId == id))
            {
                r.AddError($"--offer: platform '{id}' is offered twice");
                return [];
            }
            string full;
            try
            {
                full = Path.GetFullPath(link);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                r.AddError($"--offer: '{link}' is not a usable path");
                return [];
            }
            if (Path.GetDirectoryName(full) is not { } directory || !Directory.Exists(directory))
            {
                r.AddError($"--offer: the directory of '{link}' does not exist");
                return [];
            }
            offers.Add(new NodeOffer(id, full));
        }
        return [.. offers];
    }

    private static string[] ParseSubscriptions(ArgumentResult r)
    {
        var ids = r.Tokens.Select(t => t.Value).Distinct().ToArray();
        if (ids.FirstOrDefault(id => Descriptions.All(d => d.PlatformId != id)) is { } unknown)
            r.AddError($"--subscribe: no platform '{unknown}' in the embedded platforms.conf (known: {KnownIds})");
        return ids;
    }

    /// <summary>Offers each platform (a new SMT agent per incarnation of its handle on this node) and starts one subscriber per --subscribe.</summary>
    public static void Start(ActorSystem system, IReadOnlyList<NodeOffer> offers, IReadOnlyList<string> subscribe, TextWriter output, TimeSpan? statsEvery = null)
    {
        var scmi = ScmiNotifications.Get(system);
        var descriptions = Descriptions.ToDictionary(d => d.PlatformId);
        var statuses = new List<PlatformOfferStatus>();
        foreach (var offer in offers)
        {
            var options = new SmtAgentOptions(PlatformRunner.AreaPath(offer.Link), PlatformRunner.SocketPath(offer.Link))
            {
                SlotTimeout = SlotTimeout,
                CommandQueueCapacity = CommandQueue,
            };
            // Discovery: the handle that takes over asks the platform what it has, as a fresh agent would.
            statuses.Add(scmi.OfferPlatform(offer.PlatformId, () => new SmtAgentTransport(options), descriptions[offer.PlatformId],
                new PlatformOptions(Discover: true)));
        }
        if (statuses.Count > 0) system.ActorOf(OfferWatcherActor.Props(statuses, output), "offer-watcher");
        var subscribers = subscribe.Select(id =>
            system.ActorOf(NodeSubscriberActor.Props(scmi.Handles, descriptions[id], scmi.Catalog, output, statsEvery), $"subscriber-{id}")).ToList();
        if (subscribers.Count == 0) return;
        // First thing in a leave: the subscribers stop (their last count printed), so that their retries do not
        // wait in a region that is handing its shards off, and the handles release what they held.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "node-stop-subscribers", async () =>
        {
            try
            {
                await Task.WhenAll(subscribers.Select(s => s.GracefulStop(TimeSpan.FromSeconds(2))));
            }
            catch (Exception)
            {
                // Past the bound the system stops them anyway.
            }
            return Akka.Done.Instance;
        });
    }
}
