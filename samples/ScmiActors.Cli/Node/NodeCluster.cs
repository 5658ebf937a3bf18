using System.Globalization;
using System.Net;
using Akka.Actor;

namespace ScmiActors.Cli.Node;

/// <summary>
/// The cluster settings of a <c>node</c> process in one place: its roles, how a seed address is
/// read, and the split-brain resolver with its timings (docs/cluster.md repeats them). hocon/cluster.conf
/// (the embedded default's file) stays underneath; this only adds what a multi-process cluster needs.
/// </summary>
public static class NodeCluster
{
    /// <summary>The ActorSystem name: every member of one cluster must use the same.</summary>
    public const string SystemName = "scmi-actors";

    /// <summary>Hosts the sharded handles (and their links); the shard region runs here.</summary>
    public const string PlatformRole = "platform";

    /// <summary>Only subscribes: reaches the handles through a shard-region proxy.</summary>
    public const string SubscriberRole = "subscriber";

    public static readonly IReadOnlyList<string> Roles = [PlatformRole, SubscriberRole];

    /// <summary>
    /// How long membership and reachability must be unchanged before the split-brain resolver
    /// decides (Akka's default is 20 s). 5 s suits loopback and a LAN: a node that stopped
    /// answering is downed about 5 s (+ the failure detector's 3 s pause) after it fell silent.
    /// </summary>
    public static readonly TimeSpan DefaultStableAfter = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MinStableAfter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxStableAfter = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Shards of a downed node start elsewhere only after this margin, so the downed side has
    /// stopped its handles (and released its links) first. Akka's advice: the same as stable-after.
    /// </summary>
    public static TimeSpan DownRemovalMargin(TimeSpan stableAfter) => stableAfter;

    /// <summary>
    /// Remoting, roles, seeds and the split-brain resolver. keep-majority: the side with more than
    /// half of the members stays up and downs the rest; no lease or quorum size to maintain, and
    /// with an odd number of nodes one side always wins. down-all-when-unstable stays on (Akka
    /// derives it: 3/4 of stable-after, at least 4 s) so a flapping network ends in a clean stop
    /// rather than two clusters.
    /// </summary>
    public static string Hocon(string host, int port, IReadOnlyList<string> roles, IReadOnlyList<Address> seeds, TimeSpan stableAfter) =>
        $$"""
        akka.remote.dot-netty.tcp {
          hostname = "{{host}}"
          port = {{port}}
        }
        akka.cluster {
          roles = [{{string.Join(", ", roles.Select(r => $"\"{r}\""))}}]
          seed-nodes = [{{string.Join(", ", seeds.Select(s => $"\"{s}\""))}}]
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver {
            active-strategy = keep-majority
            stable-after = {{Millis(stableAfter)}}
            down-all-when-unstable = on
          }
          down-removal-margin = {{Millis(DownRemovalMargin(stableAfter))}}
          run-coordinated-shutdown-when-down = on
        }
        """;

    /// <summary>
    /// A seed node's address, <c>akka.tcp://scmi-actors@HOST:PORT</c>; null with the reason when the
    /// text is not one (another scheme or system name, no port, a path).
    /// </summary>
    public static Address? TryParseSeed(string text, out string reason)
    {
        reason = "";
        // akka.ssl.tcp: a node with --tls-cert (NodeTls checks that the scheme matches).
        var protocol = text.StartsWith($"{NodeTls.Scheme}://", StringComparison.Ordinal) ? NodeTls.Scheme : "akka.tcp";
        var prefix = $"{protocol}://{SystemName}@";
        if (!text.StartsWith(prefix, StringComparison.Ordinal))
        {
            reason = $"--seed-nodes: '{text}' is not a node address (akka.tcp://{SystemName}@HOST:PORT)";
            return null;
        }
        var hostPort = text[prefix.Length..].TrimEnd('/');
        var colon = hostPort.LastIndexOf(':');
        var host = colon > 0 ? hostPort[..colon].Trim('[', ']') : "";
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
            || host.Length == 0 || host.Contains('/') || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            reason = $"--seed-nodes: '{text}' is not a node address (akka.tcp://{SystemName}@HOST:PORT, PORT 1..65535)";
            return null;
        }
        return new Address(protocol, SystemName, host, port);
    }

    /// <summary>An IP address to bind remoting to (a name could resolve to more than one interface).</summary>
    public static bool IsHostAddress(string text) => IPAddress.TryParse(text, out _);

    private static string Millis(TimeSpan t) => $"{(long)t.TotalMilliseconds}ms";
}
