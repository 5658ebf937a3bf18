using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ScmiActors.Cli.MainJob;
using ScmiActors.Cli.Observability;
using ScmiActors.Hosting;

namespace ScmiActors.Cli.Node;

/// <summary>What <c>scmi-actors node</c> was asked to run, already checked by <see cref="NodeCommand"/>.</summary>
public sealed record NodeOptions(string Host, int Port, IReadOnlyList<Address> Seeds, IReadOnlyList<string> Roles,
    TimeSpan? Duration, TimeSpan StableAfter, LogFormat Logs, bool Verbose)
{
    /// <summary>Where the host exports the library's meter (Prometheus, OTLP); null: nowhere.</summary>
    public MetricsOptions? Metrics { get; init; }

    public bool HostsPlatforms => Roles.Contains(NodeCluster.PlatformRole);

    /// <summary>Platforms this node can reach (--offer).</summary>
    public IReadOnlyList<NodeOffer> Offers { get; init; } = [];

    /// <summary>Platforms this node subscribes to (--subscribe).</summary>
    public IReadOnlyList<string> Subscribe { get; init; } = [];

    /// <summary>How often each --subscribe subscriber prints its stamped stats line (--stats-every); null: never.</summary>
    public TimeSpan? StatsEvery { get; init; }

    /// <summary>Port of /alive and /ready (--health-port); 0: none.</summary>
    public int HealthPort { get; init; }

    /// <summary>TLS between nodes (<c>--tls-cert</c>), or null for plain TCP.</summary>
    public NodeTlsSettings? Tls { get; init; }

    /// <summary>Where the seed nodes are looked up (<c>--discovery</c>) instead of <see cref="Seeds"/>; null: the seeds are given.</summary>
    public NodeDiscoverySettings? Discovery { get; init; }
}

/// <summary>
/// One cluster node as its own process: joins the seed nodes, hosts the sharded handles when it
/// has the <c>platform</c> role (a shard-region proxy otherwise), prints when it and the other
/// members come Up or are Removed, and at a signal or --duration leaves the cluster in order
/// (CoordinatedShutdown with the cluster-leaving reason: shards handed off, then Exiting, Removed).
/// </summary>
public sealed class NodeRunner(NodeOptions options, TextWriter output, TextWriter error)
{
    /// <summary>Long enough for the leave (hand-off, Exiting, Removed) on a loaded machine; the signal deadline is 60 s.</summary>
    private static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(30);

    /// <summary>Whom this node's TLS validator refused: the stop line names it (the log may never print it).</summary>
    private readonly NodeTls.Refusals _tlsRefusals = new();

    /// <summary>Runs until a signal, --duration, or the cluster downs this node; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        // Akka.Hosting prints a failed start with its whole stack: a port someone else holds is found here first.
        if (CannotListen() is { } reason)
        {
            error.WriteLine($"scmi-actors: --host/--port: cannot listen on {options.Host}:{options.Port} ({reason}) (see --help)");
            error.Flush();
            return ExitCodes.Usage;
        }
        if (options.HealthPort > 0 && CannotListen(options.HealthPort) is { } healthReason)
        {
            error.WriteLine($"scmi-actors: --health-port: cannot listen on {options.Host}:{options.HealthPort} ({healthReason}) (see --help)");
            error.Flush();
            return ExitCodes.Usage;
        }
        // The watcher's actor thread and this method both print.
        output = TextWriter.Synchronized(output);
        output.WriteLine($"Starting node on {options.Host}:{options.Port} as [{string.Join(",", options.Roles)}]; seed nodes: " +
                         (options.Discovery is { } found ? $"from discovery ({found.File}: method {found.Method}, service {found.Service})." : $"{string.Join(", ", options.Seeds)}."));
        if (options.Tls is { } tls) output.WriteLine(NodeTls.Describe(tls));
        output.Flush();

        using var host = BuildHost();
        // Not cancellable: a half-started host cannot be stopped in order. It takes well under a second.
        await host.StartAsync(CancellationToken.None);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var cluster = Cluster.Get(system);
        var self = cluster.SelfAddress;
        if (options.Discovery is { } discovery)
        {
            try
            {
                var seeds = await NodeDiscovery.ResolveSeedsAsync(system, discovery, options.Tls is null ? "akka.tcp" : NodeTls.Scheme, cancellation);
                output.WriteLine($"Seed nodes from discovery: {string.Join(", ", seeds)}.");
                cluster.JoinSeedNodes(seeds);
            }
            catch (Exception e) when (e is NodeDiscovery.DiscoveryFailedException or OperationCanceledException)
            {
                // Never joined: nothing to leave, only the host to stop.
                if (e is NodeDiscovery.DiscoveryFailedException) error.WriteLine($"scmi-actors: --discovery: {e.Message}");
                await host.StopAsync(StopBudget);
                return e is OperationCanceledException ? ExitCodes.Interrupted : ExitCodes.ConfigError;
            }
        }
        var exiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        NodePlatforms.Start(system, options.Offers, options.Subscribe, output, options.StatsEvery);
        // Listening before the watcher prints "is Up": whoever waits for that line can ask /ready at once (and the
        // offers are registered by then, so /ready is never 200 for a node that has not offered them yet).
        using var health = options.HealthPort > 0 ? NodeHealthEndpoint.Start(system, options.Host, options.HealthPort) : null;
        system.ActorOf(MemberWatcherActor.Props(output, exiting), "member-watcher");

        var exitCode = ExitCodes.Ok;
        var running = options.Duration is { } d ? Task.Delay(d, cancellation) : Task.Delay(Timeout.Infinite, cancellation);
        if (await Task.WhenAny(running, system.WhenTerminated) == system.WhenTerminated)
        {
            // run-coordinated-shutdown-when-down: the split-brain resolver (or an operator) downed this node.
            // With TLS, Akka.Remote also stops a node whose outbound handshake failed (NodeTls.StopReason).
            output.WriteLine(NodeTls.StopReason(system, _tlsRefusals) is { } tlsFailure ? $"Node {self} stopped: {tlsFailure}" : $"Node {self} was downed by the cluster and stopped");
            exitCode = ExitCodes.NodeDowned;
        }
        else
        {
            if (cancellation.IsCancellationRequested) exitCode = ExitCodes.Interrupted;
            // Our part is done: the stop's Information lines (remoting shut down ...) are noise.
            if (!options.Verbose) system.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
            MetricsExport.Flush(host.Services);
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).WaitAsync(StopBudget, CancellationToken.None)
                .ContinueWith(_ => { }, TaskScheduler.Default);
            output.WriteLine(exiting.Task.IsCompleted ? $"Node {self} left the cluster"
                : $"Node {self} stopped before the cluster confirmed its leave (the others will remove it as unreachable)");
        }
        await host.StopAsync(StopBudget);
        output.Flush();
        return exitCode;
    }

    /// <summary>Why remoting could not bind its address, or null (port 0 always can).</summary>
    private string? CannotListen() => options.Port == 0 ? null : CannotListen(options.Port);

    private string? CannotListen(int port)
    {
        try
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(options.Host), port);
            listener.Start();
            listener.Stop();
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.Message;
        }
    }

    private IHost BuildHost() => new HostBuilder()
        // The CLI handles SIGINT/SIGTERM itself (Program): the default console lifetime would start a second stop.
        .ConfigureServices(services => services.AddSingleton<IHostLifetime, NoSignalsLifetime>())
        .UseScmiMetricsExport(options.Metrics)
        .ConfigureServices(services => services.AddAkka(NodeCluster.SystemName, (builder, _) =>
        {
            // Two shutdowns (Akka's process-exit hook and the host's) hang the stop: only the host runs it.
            builder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
            builder.AddHocon(NodeCluster.Hocon(options.Host, options.Port, options.Roles, options.Seeds, options.StableAfter), HoconAddMode.Prepend);
            // The discovery file's akka.discovery section; the seeds are joined once it has resolved them.
            if (options.Discovery is { } discovery) builder.AddHocon(discovery.Hocon, HoconAddMode.Prepend);
            // The embedded default's cluster.conf underneath (provider, sharding store, shutdown phases);
            // its port and join are overridden above and by the seed nodes.
            builder.AddHocon(ScmiSettings.ReadResource("ScmiActors.cluster.conf"), HoconAddMode.Append);
            builder.WithScmiNotifications(o =>
            {
                o.Role = NodeCluster.PlatformRole;
                o.HostsPlatforms = options.HostsPlatforms;
            });
            ConsoleLogs.Configure(builder, options.Logs, options.Verbose);
            if (options.Tls is { } tls) NodeTls.Configure(builder, tls, _tlsRefusals);
        }))
        .Build();
}
