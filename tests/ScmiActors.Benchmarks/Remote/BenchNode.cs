using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ScmiActors.Hosting;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>
/// One cluster node of the remote benchmark, built the way <c>scmi-actors node</c> builds one
/// (samples/ScmiActors.Cli/Node/NodeRunner.cs): Akka.Hosting in a generic host, the embedded
/// cluster.conf underneath, <see cref="ScmiHostingExtensions.WithScmiNotifications"/> with sharded
/// handles on the <c>platform</c> role (a shard-region proxy on the <c>subscriber</c> node). Only
/// what a node needs to find the other one is added: loopback, its port, its role, the seed. No
/// split-brain tuning: a run is far shorter than any downing decision.
/// </summary>
public sealed class BenchNode : IAsyncDisposable
{
    public const string SystemName = "scmi-bench";
    public const string PlatformRole = "platform";
    public const string SubscriberRole = "subscriber";
    public const string Host = "127.0.0.1";

    private readonly IHost _host;

    private BenchNode(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }
    public ScmiNotifications Scmi => ScmiNotifications.Get(System);
    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>The seed address of a node listening on <paramref name="port"/> of loopback.</summary>
    public static Address SeedAt(int port) => new("akka.tcp", SystemName, Host, port);

    /// <summary>A free TCP port of loopback (the node A seeds itself, so its address must be known before it starts).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts the node and waits until it is Up (bounded by <paramref name="timeout"/>).</summary>
    /// <param name="port">0: any free port.</param>
    /// <param name="seed">The node to join; this node's own address for the first node.</param>
    public static async Task<BenchNode> StartAsync(int port, Address seed, bool hostsPlatforms, string extraHocon, TimeSpan timeout)
    {
        var role = hostsPlatforms ? PlatformRole : SubscriberRole;
        var hocon = $$"""
            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.remote.dot-netty.tcp {
              hostname = "{{Host}}"
              port = {{port}}
            }
            akka.cluster {
              roles = ["{{role}}"]
              seed-nodes = ["{{seed}}"]
            }
            scmi.command-timeout = 30s
            """;
        var host = new HostBuilder()
            // Signals are the benchmark's business (node B ends when its stdin closes), not the host's.
            .ConfigureServices(services => services.AddSingleton<IHostLifetime, NoSignalsLifetime>())
            .ConfigureServices(services => services.AddAkka(SystemName, (builder, _) =>
            {
                builder.AddHocon(extraHocon + "\n" + hocon, HoconAddMode.Prepend);
                builder.AddHocon(ScmiSettings.ReadResource("ScmiActors.cluster.conf"), HoconAddMode.Append);
                builder.WithScmiNotifications(o =>
                {
                    o.Role = PlatformRole;
                    o.HostsPlatforms = hostsPlatforms;
                });
            }))
            .Build();
        using var cancel = new CancellationTokenSource(timeout);
        await host.StartAsync(cancel.Token);
        var node = new BenchNode(host);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        try
        {
            await up.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await node.DisposeAsync();
            throw new TimeoutException($"node on {Host}:{port} not Up within {timeout.TotalSeconds:0} s (seed {seed})");
        }
        return node;
    }

    private int _disposed;

    /// <summary>Leaves the cluster in order (CoordinatedShutdown via the host), bounded.</summary>
    public ValueTask DisposeAsync() => StopAsync(TimeSpan.FromSeconds(15));

    /// <summary>
    /// As <see cref="DisposeAsync"/>, within <paramref name="bound"/>: a short one after node B died, since
    /// the leave cannot converge with an unreachable member and the process is about to exit anyway.
    /// </summary>
    public async ValueTask StopAsync(TimeSpan bound)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            // The host passes the bound on as a token, which the coordinated shutdown does not heed: bound it here.
            await _host.StopAsync(bound).WaitAsync(bound);
        }
        catch (Exception)
        {
            // Past the bound the process ends anyway (the actor system's threads do not hold it up).
            return;
        }
        _host.Dispose();
    }

    private sealed class NoSignalsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
