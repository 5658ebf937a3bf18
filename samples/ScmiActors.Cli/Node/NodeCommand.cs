using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Akka.Actor;
using ScmiActors.Cli.MainJob;

namespace ScmiActors.Cli.Node;

/// <summary>
/// <c>scmi-actors node --seed-nodes ADDR[,ADDR...] | --discovery FILE [--service NAME] [--host IP] [--port N] [--roles platform,subscriber]
/// [--stable-after D] [--duration D] [--log-format text|json] [--verbose]</c>: one member of a
/// cluster of processes (docs/cluster.md). Every value is checked while parsing: a bad one is one
/// line and exit 2 before anything starts, as for the main job.
/// </summary>
public static class NodeCommand
{
    public const string Name = "node";

    public const string Summary = "Run a cluster node that joins other node processes (platform nodes host the handles, subscriber nodes only subscribe)";

    /// <summary>Printed after the standard help of <c>node --help</c>.</summary>
    public const string HelpDetails = """
        Three nodes on one machine (docs/cluster.md):
          scmi-actors node --port 4053 --seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053
          scmi-actors node --port 4054 --seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053
          scmi-actors node --port 4055 --seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053 --roles subscriber
        The node that lists itself as the first seed starts the cluster; the others join it. A seed
        node needs a fixed --port; other nodes may use 0 (any free port).
        Or the seeds come from Akka.Discovery: --discovery FILE with, for the config method,
          akka.discovery { method = config, config.services.scmi-actors.endpoints = ["127.0.0.1:4053", "127.0.0.1:4054"] }
        (remoting ports); every node looks the service up, sorts the addresses and joins them as seeds.
        Output: "Member ADDRESS [ROLES] Up; members: N" and "... Removed; members: N" on every
        change (N: the members that are Up), "Node ADDRESS is Up as [ROLES]; members: N" when this
        node is Up, "Node ADDRESS left the cluster" after an ordered leave, and "Node ADDRESS was
        downed by the cluster and stopped" when the others downed it.
        Platforms: every platform node that can reach a platform offers it (--offer ID=PATH, the
        platform run with "platform --link PATH --platform-id ID --agents-in-turn"); its handle runs
        on one of them ("Platform ID is ready on ADDRESS") and moves with its subscriptions when that
        node goes. --subscribe ID prints "Subscriptions to ID: N active", "... pending" while the
        platform moves, and "Reports from ID: N".
        A node the others cannot reach is downed by the split-brain resolver (keep-majority) after
        --stable-after; shards of a downed node start elsewhere only after the same margin.
        Exit codes: 0 left in order after --duration; 1 downed by the cluster; 2 bad command line,
        or --host:--port cannot be listened on (in use, not this machine's address);
        70 internal error; 130/143 left in order after SIGINT/SIGTERM (a second signal exits at once).
        """;

    public static Command Create(TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
    {
        var host = new Option<string>("--host")
        {
            Description = "IP address remoting binds to and other nodes reach this one at (the default, loopback: nothing outside this machine can connect)",
            HelpName = "IP",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        host.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } text && !NodeCluster.IsHostAddress(text)) r.AddError($"--host: '{text}' is not an IP address");
        });
        var port = new Option<int>("--port")
        {
            Description = "TCP port of remoting, 0..65535; 0 (the default) picks a free one, which only a node that is not a seed can use",
            HelpName = "N",
            CustomParser = ParsePort,
        };
        var seeds = new Option<Address[]>("--seed-nodes")
        {
            Description = "Comma-separated seed node addresses, akka.tcp://scmi-actors@HOST:PORT; a node that lists itself first starts the cluster",
            HelpName = "ADDR[,ADDR...]",
            CustomParser = ParseSeeds,
        };
        var roles = new Option<string[]>("--roles")
        {
            Description = $"Comma-separated roles: {NodeCluster.PlatformRole} (hosts the sharded handles) and/or {NodeCluster.SubscriberRole} (only subscribes, through a proxy)",
            HelpName = "ROLE[,ROLE]",
            DefaultValueFactory = _ => [NodeCluster.PlatformRole],
            CustomParser = ParseRoles,
        };
        // Nullable, the default applied below: the help shows "default 5 s" rather than "[default: 00:00:05]".
        var stableAfter = new Option<TimeSpan?>("--stable-after")
        {
            Description = $"Split-brain resolver: decide after the membership was stable this long ({Format(NodeCluster.MinStableAfter)}..{Format(NodeCluster.MaxStableAfter)}); " +
                          $"default {Format(NodeCluster.DefaultStableAfter)}. Use the same on every node",
            HelpName = "D",
            CustomParser = ParseStableAfter,
        };
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Leave the cluster after this long (500ms, 10s, 2m); default: until SIGINT or SIGTERM",
            HelpName = "D",
            CustomParser = r => MainJobCommand.ParseDuration(r),
        };
        var health = new Option<int>("--health-port")
        {
            Description = "Serve /alive and /ready (200 when this node is Up and every platform it offers is ready, else 503 and why) on --host at this port; default: none",
            HelpName = "N",
            CustomParser = r =>
            {
                var text = r.Tokens.Single().Value;
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 65535) return n;
                r.AddError($"--health-port: '{text}' is not a port number 1..65535");
                return 0;
            },
        };
        var statsEvery = new Option<TimeSpan?>("--stats-every")
        {
            Description = "With --subscribe: print each subscriber's count and latency (gate to subscriber) this often (100ms..1h), stamped with the machine's monotonic clock",
            HelpName = "D",
            CustomParser = r => MainJobCommand.ParseDuration(r, "--stats-every", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
        };
        var offers = NodePlatforms.OfferOption();
        var subscribe = NodePlatforms.SubscribeOption();
        var logFormat = ConsoleLogs.FormatOption();
        var verbose = new Option<bool>("--verbose") { Description = "Every log line, Akka's cluster and remoting included" };

        var command = new Command(Name, Summary) { host, port, seeds, roles, stableAfter, duration, offers, subscribe, statsEvery, health, logFormat, verbose };
        command.Validators.Add(r =>
        {
            try
            {
                if (r.GetValue(offers) is { Length: > 0 } && r.GetValue(roles) is { Length: > 0 } given && !given.Contains(NodeCluster.PlatformRole))
                    r.AddError($"--offer: only a node with the {NodeCluster.PlatformRole} role hosts platforms");
                if (r.GetValue(statsEvery) is not null && r.GetValue(subscribe) is not { Length: > 0 })
                    r.AddError("--stats-every: there is nothing to print without --subscribe");
            }
            catch (InvalidOperationException)
            {
                // One of them has errors of its own, which its option reports; reading it throws.
            }
        });
        var metrics = new Observability.MetricsCommandLine(command, "IP");
        var tls = NodeTls.AddTo(command, seeds);
        var discovery = NodeDiscovery.AddTo(command, seeds);
        command.SetAction(async (parse, cancellation) =>
        {
            // The scrape endpoint binds where remoting does: loopback unless --host says otherwise.
            if (metrics.Read(parse, parse.GetValue(host)!, error, (parse.GetValue(port), "--port")) is not { } metricsOptions) return ExitCodes.Usage;
            var options = new NodeOptions(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(seeds) ?? [], parse.GetValue(roles)!,
                parse.GetValue(duration), parse.GetValue(stableAfter) ?? NodeCluster.DefaultStableAfter, ConsoleLogs.Parse(parse.GetValue(logFormat)),
                parse.GetValue(verbose))
            {
                Offers = parse.GetValue(offers) ?? [],
                Subscribe = parse.GetValue(subscribe) ?? [],
                Metrics = metricsOptions,
                HealthPort = parse.GetValue(health),
                StatsEvery = parse.GetValue(statsEvery),
                Tls = tls.Read(parse),
                Discovery = discovery.Read(parse),
            };
            var exitCode = await new NodeRunner(options, output, error).RunAsync(cancellation);
            return exitCode == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : exitCode;
        });
        return command;
    }

    private static int ParsePort(ArgumentResult r)
    {
        var text = r.Tokens.Single().Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535) return port;
        r.AddError($"--port: '{text}' is not a port number 0..65535");
        return 0;
    }

    private static Address[] ParseSeeds(ArgumentResult r)
    {
        var seeds = new List<Address>();
        foreach (var text in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (NodeCluster.TryParseSeed(text, out var reason) is { } seed) seeds.Add(seed);
            else
            {
                r.AddError(reason);
                return [];
            }
        }
        if (seeds.Count == 0) r.AddError("--seed-nodes: no address given");
        return [.. seeds.Distinct()];
    }

    private static string[] ParseRoles(ArgumentResult r)
    {
        var roles = r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray();
        if (roles.FirstOrDefault(role => !NodeCluster.Roles.Contains(role)) is { } unknown)
            r.AddError($"--roles: unknown role '{unknown}' (known: {string.Join(", ", NodeCluster.Roles)})");
        else if (roles.Length == 0) r.AddError("--roles: no role given");
        return roles;
    }

    private static TimeSpan? ParseStableAfter(ArgumentResult r)
    {
        var text = r.Tokens.Single().Value;
        var value = MainJobCommand.TryParseDuration(text, out _);
        if (value is { } v && v >= NodeCluster.MinStableAfter && v <= NodeCluster.MaxStableAfter) return v;
        r.AddError($"--stable-after: '{text}' is not a duration from {Format(NodeCluster.MinStableAfter)} to {Format(NodeCluster.MaxStableAfter)}");
        return default;
    }

    private static string Format(TimeSpan t) => $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
}
