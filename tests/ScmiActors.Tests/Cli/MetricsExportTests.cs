using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using ScmiActors.Cli.Observability;
using ScmiActors.Hosting;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The CLI's host wiring, in process: with an exporter the library's meter is the one of the host's
/// IMeterFactory (Akka gets the host's services), and without one nothing listens at all.
/// </summary>
public sealed class MetricsExportTests
{
    [Fact]
    public async Task With_an_exporter_the_library_meter_comes_from_the_same_host_services_OpenTelemetry_runs_in()
    {
        var options = new MetricsOptions("127.0.0.1", FreePort(), null);
        using var host = Host(options);
        await host.StartAsync();
        try
        {
            var scmi = ScmiNotifications.Get(host.Services.GetRequiredService<ActorSystem>());
            Assert.Same(host.Services.GetRequiredService<IMeterFactory>(), scmi.Metrics.Meter.Scope);
            Assert.NotNull(host.Services.GetService<MeterProvider>());
        }
        finally
        {
            await host.StopAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void Without_an_exporter_no_OpenTelemetry_is_registered()
    {
        using var host = Host(MetricsOptions.None);
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    /// <summary>Shaped as the main job's and the node's: one HostBuilder for the exporters and Akka.</summary>
    private static IHost Host(MetricsOptions options) => new HostBuilder()
        .UseScmiMetricsExport(options)
        .ConfigureServices(services => services.AddAkka("metrics-export", (builder, _) =>
        {
            builder.AddHocon("akka.loglevel = OFF\nakka.stdout-loglevel = OFF", HoconAddMode.Prepend);
            builder.WithScmiNotifications(o => o.Sharding = false);
        }))
        .Build();

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
