using System.CommandLine;
using System.CommandLine.Parsing;
using Akka.Actor;
using Akka.Discovery;

namespace ScmiActors.Cli.Node;

/// <summary>Where a node finds its seed nodes instead of --seed-nodes: an Akka.Discovery configuration and the service to look up.</summary>
/// <param name="Hocon">The file's text: <c>akka.discovery { method = ..., ... }</c>, added to the node's configuration.</param>
public sealed record NodeDiscoverySettings(string File, string Hocon, string Method, string Service);

/// <summary>
/// <c>--discovery FILE [--service NAME]</c>: the seed nodes come from Akka.Discovery (the config method, or any
/// method the file configures) instead of the command line. After the node starts it looks the service up until it
/// resolves to at least one endpoint, makes each HOST:PORT a node address (the remoting port), sorts them and joins
/// them as seed nodes, so every node given the same list agrees on the first seed, the only one that may start the
/// cluster alone. This is what Akka.Management's Cluster Bootstrap would add its contact-point probing to; that
/// needs the management HTTP endpoint, which cannot run here (docs/cluster.md).
/// </summary>
public static class NodeDiscovery
{
    public const string DefaultService = "scmi-actors";

    /// <summary>How long a node keeps looking the service up before it gives up (exit 3): a list that stays empty is a configuration mistake.</summary>
    public static readonly TimeSpan ResolveBound = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(3);

    public sealed record Options(Option<string?> File, Option<string> Service)
    {
        /// <summary>The settings, or null when --discovery is not given. The file was checked while parsing.</summary>
        public NodeDiscoverySettings? Read(ParseResult parse)
        {
            if (parse.GetValue(File) is not { } file) return null;
            var (hocon, method, _) = Load(file);
            return new NodeDiscoverySettings(file, hocon!, method!, parse.GetValue(Service)!);
        }
    }

    /// <summary>Adds --discovery and --service to <paramref name="command"/>; exactly one of --discovery and --seed-nodes must be given.</summary>
    public static Options AddTo(Command command, Option<Address[]> seeds)
    {
        var file = new Option<string?>("--discovery")
        {
            Description = "Find the seed nodes with Akka.Discovery instead of --seed-nodes: a HOCON FILE with akka.discovery { method = config, config.services.NAME.endpoints = [\"HOST:PORT\", ...] } " +
                          "(the remoting ports; or another method the file configures)",
            HelpName = "FILE",
        };
        file.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } path && Load(path).Error is { } error) r.AddError($"--discovery: {error}");
        });
        var service = new Option<string>("--service")
        {
            Description = $"With --discovery: the service to look up (default {DefaultService})",
            HelpName = "NAME",
            DefaultValueFactory = _ => DefaultService,
        };
        service.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } name && (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
                r.AddError($"--service: '{name}' is not a service name (letters, digits, - _ .)");
        });
        command.Options.Add(file);
        command.Options.Add(service);
        command.Validators.Add(r =>
        {
            var discovering = r.GetResult(file) is { Implicit: false };
            var seeded = r.GetResult(seeds) is { Implicit: false };
            if (discovering && seeded) r.AddError("--seed-nodes and --discovery exclude each other: give the seed nodes or where to discover them");
            else if (!discovering && !seeded) r.AddError("--seed-nodes: give the seed nodes, or --discovery FILE to look them up");
            else if (!discovering && r.GetResult(service) is { Implicit: false }) r.AddError("--service: applies to --discovery only");
        });
        return new Options(file, service);
    }

    /// <summary>The file's text and its discovery method, or why it cannot serve (read and parsed as every config file is: <see cref="HoconFile"/>).</summary>
    private static (string? Hocon, string? Method, string? Error) Load(string path)
    {
        try
        {
            var text = HoconFile.ReadText(path);
            var method = HoconFile.Parse(text, path).GetString("akka.discovery.method", null);
            if (string.IsNullOrWhiteSpace(method) || method == "<method>")
                return (null, null, $"{path}: sets no akka.discovery.method (e.g. method = config)");
            return (text, method, null);
        }
        catch (ConfigFileException e)
        {
            return (null, null, e.Message);
        }
    }

    /// <summary>
    /// Looks the service up until it has endpoints (or <see cref="ResolveBound"/> passes) and returns their node
    /// addresses in order; throws <see cref="DiscoveryFailedException"/> with one line when it cannot.
    /// </summary>
    public static async Task<IReadOnlyList<Address>> ResolveSeedsAsync(ActorSystem system, NodeDiscoverySettings settings, string scheme, CancellationToken cancellation)
    {
        var discovery = Discovery.Get(system).Default;
        var deadline = DateTime.UtcNow + ResolveBound;
        string last = "no answer";
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                var resolved = await discovery.Lookup(new Lookup(settings.Service), LookupTimeout).WaitAsync(cancellation);
                if (resolved.Addresses.Count > 0)
                {
                    if (resolved.Addresses.FirstOrDefault(t => t.Port is null or < 1 or > 65535) is { } portless)
                        throw new DiscoveryFailedException($"endpoint '{portless.Host}' of service {settings.Service} has no port: give HOST:PORT, the node's remoting port");
                    return
                    [
                        .. resolved.Addresses.Select(t => new Address(scheme, NodeCluster.SystemName, t.Host, t.Port))
                            .Distinct().OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port),
                    ];
                }
                last = "no endpoints";
            }
            catch (Exception e) when (e is not DiscoveryFailedException and not OperationCanceledException)
            {
                last = e.Message.ReplaceLineEndings(" ");
            }
            if (DateTime.UtcNow >= deadline)
                throw new DiscoveryFailedException($"service {settings.Service} resolved to no endpoint with method {settings.Method} within {MainJob.MainJobRunner.Format(ResolveBound)} ({last})");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        }
    }

    public sealed class DiscoveryFailedException(string message) : Exception(message);
}
