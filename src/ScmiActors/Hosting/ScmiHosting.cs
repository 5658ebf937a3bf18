using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using ScmiActors.Platform;
using ScmiActors.Serialization;

namespace ScmiActors.Hosting;

/// <summary>Options of <see cref="ScmiHostingExtensions.WithScmiNotifications"/>.</summary>
public sealed class ScmiHostingOptions
{
    /// <summary>Run handles as Akka.Cluster.Sharding entities (the node must be a cluster member). Default on.</summary>
    public bool Sharding { get; set; } = true;

    /// <summary>Only nodes with this role host handles; others reach them through a proxy.</summary>
    public string? Role { get; set; }

    /// <summary>This node hosts handles (false: a proxy to the handles of other nodes).</summary>
    public bool HostsPlatforms { get; set; } = true;
}

/// <summary>Registry key of the handles' entry point (shard region, proxy, or local registry).</summary>
public sealed class ScmiHandles;

/// <summary>
/// Akka.Hosting wiring: library defaults, the serializer, sharded handles, the embedded cluster.
/// Nothing global: logging (<c>akka.loggers</c>, a Serilog <c>Log.Logger</c>) is the host's choice.
/// </summary>
public static class ScmiHostingExtensions
{
    public const string ShardRegionName = "scmi-handles";

    public static AkkaConfigurationBuilder WithScmiNotifications(this AkkaConfigurationBuilder builder,
        Action<ScmiHostingOptions>? configure = null)
    {
        var options = new ScmiHostingOptions();
        configure?.Invoke(options);

        builder.AddHocon(ScmiSettings.DefaultConfig, HoconAddMode.Append);
        builder.AddHocon(ScmiSerializer.SerializationConfig, HoconAddMode.Append);

        if (options.Sharding)
        {
            var extractor = new PlatformMessageExtractor();
            if (options.HostsPlatforms)
            {
                builder.WithShardRegion<ScmiHandles>(ShardRegionName,
                    (system, _, _) => entityId => ScmiNotifications.Get(system).EntityProps(entityId),
                    extractor,
                    new ShardOptions
                    {
                        StateStoreMode = StateStoreMode.DData,
                        RememberEntities = false,
                        Role = options.Role,
                        // A handle owns a live transport: it must never be passivated for being quiet.
                        ShouldPassivateIdleEntities = false,
                        // Moving or stopping a shard runs the handle's ordered shutdown, not an abrupt stop.
                        HandOffStopMessage = HandleActor.HandOff.Instance,
                    });
            }
            else
            {
                builder.WithShardRegionProxy<ScmiHandles>(ShardRegionName, options.Role ?? "", extractor);
            }
        }

        builder.WithActors((system, registry) =>
        {
            var scmi = ScmiNotifications.Get(system);
            if (options.Sharding)
            {
                scmi.UseShardRegion(registry.Get<ScmiHandles>(), options.HostsPlatforms);
                // The replicator of offered platforms' subscriptions must run on every node from the start, or
                // a majority read or write finds no peer (the extension starts it on first use otherwise).
                Akka.DistributedData.DistributedData.Get(system);
            }
            else registry.TryRegister<ScmiHandles>(scmi.Handles);
        });
        return builder;
    }

    /// <summary>
    /// The embedded default: remoting on loopback (port 0 = any free port) and a cluster that the node
    /// joins by itself. With <paramref name="seed"/> the node joins that address instead (a second node).
    /// </summary>
    public static AkkaConfigurationBuilder WithScmiEmbeddedCluster(this AkkaConfigurationBuilder builder, int port = 0,
        Address? seed = null, string? role = null)
    {
        var config = ConfigurationFactory.ParseString(ScmiSettings.ReadResource("ScmiActors.cluster.conf"));
        var overrides = $"akka.remote.dot-netty.tcp.port = {port}\n"
            + (role is null ? "" : $"akka.cluster.roles = [\"{role}\"]\n");
        builder.AddHocon(ConfigurationFactory.ParseString(overrides).WithFallback(config), HoconAddMode.Prepend);
        builder.AddStartup((system, _) =>
        {
            var cluster = Cluster.Get(system);
            cluster.Join(seed ?? cluster.SelfAddress);
        });
        return builder;
    }
}
