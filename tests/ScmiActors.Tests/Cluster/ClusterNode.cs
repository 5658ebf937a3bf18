using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ScmiActors.Hosting;

namespace ScmiActors.Tests.Cluster;

/// <summary>
/// One cluster node built the way an application builds it (Akka.Hosting in a generic host), by
/// hand because Akka.Hosting.TestKit is xunit v3. Starts on loopback, port 0, and waits for MemberUp.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterNode(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }
    public IServiceProvider Services => _host.Services;
    public ScmiNotifications Scmi => ScmiNotifications.Get(System);
    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public const string PlatformRole = "scmi-platform";

    /// <param name="seed">null: a first node that joins itself; otherwise the node to join.</param>
    /// <param name="hostsPlatforms">true: has the platform role and the shard region; false: a proxy.</param>
    public static async Task<ClusterNode> StartAsync(Address? seed, bool hostsPlatforms, string extraHocon = "")
    {
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("scmi-cluster", (builder, _) =>
            {
                builder.AddHocon(extraHocon + "\nscmi.command-timeout = 500ms\nakka.cluster.min-nr-of-members = 1", HoconAddMode.Prepend);
                builder.WithScmiEmbeddedCluster(0, seed, hostsPlatforms ? PlatformRole : null);
                builder.WithScmiNotifications(o =>
                {
                    o.Role = PlatformRole;
                    o.HostsPlatforms = hostsPlatforms;
                });
            }))
            .Build();
        await host.StartAsync();
        var node = new ClusterNode(host);
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return node;
    }

    private int _disposed;

    /// <summary>Leaves the cluster in order and stops; a second call (a test that stopped a node early) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _host.StopAsync(TimeSpan.FromSeconds(15));
        _host.Dispose();
    }
}
