using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using ScmiActors.Diagnostics;

namespace ScmiActors.Cli.Observability;

/// <summary>
/// OpenTelemetry for a CLI host: the library's meter (<see cref="ScmiMetrics.MeterName"/>) exported to
/// a Prometheus scrape endpoint and/or OTLP. The library configures no exporter: this is the host's choice.
/// The meter comes from the host's IMeterFactory only if Akka is given this same service collection
/// (Akka.Hosting's AddAkka on the same host builder), which is how both commands build their host.
/// </summary>
public static class MetricsExport
{
    public const string ServiceName = "scmi-actors";

    /// <summary>
    /// <see cref="AddScmiMetricsExport"/>, and the environment in the host's configuration: OpenTelemetry reads
    /// its standard variables (OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_METRIC_EXPORT_INTERVAL, ...) from the
    /// IConfiguration of the services, and a bare HostBuilder's has no source at all.
    /// </summary>
    public static IHostBuilder UseScmiMetricsExport(this IHostBuilder host, MetricsOptions? options) =>
        options is not { Exports: true } ? host
            : host.ConfigureAppConfiguration(c => c.AddEnvironmentVariables()).ConfigureServices(s => s.AddScmiMetricsExport(options));

    /// <summary>Registers the exporters <paramref name="options"/> asks for; nothing at all when it asks for none.</summary>
    public static IServiceCollection AddScmiMetricsExport(this IServiceCollection services, MetricsOptions? options)
    {
        if (options is not { Exports: true }) return services;
        services.AddOpenTelemetry()
            // OTEL_SERVICE_NAME, when set, names the service instead (the default resource reads it).
            .ConfigureResource(r =>
            {
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"))) r.AddService(ServiceName);
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ScmiMetrics.MeterName);
                if (options.PrometheusPort != 0)
                    metrics.AddPrometheusHttpListener(o =>
                    {
                        // Our own prefix: the exporter's default would put an IPv6 address in without brackets.
                        o.ConfigureHttpListener = (_, listener) =>
                        {
                            listener.Prefixes.Clear();
                            listener.Prefixes.Add(options.ScrapeUrl + "/");
                        };
                    });
                if (options.Otlp)
                    metrics.AddOtlpExporter(o =>
                    {
                        // Unset: the exporter's own reading of OTEL_EXPORTER_OTLP_ENDPOINT (which adds /v1/metrics for http/protobuf).
                        if (options.OtlpEndpoint is { } endpoint) o.Endpoint = endpoint;
                    });
            });
        return services;
    }

    /// <summary>
    /// Pushes the current values to the OTLP collector now (bounded): called while the ActorSystem still
    /// runs, since once it terminated its instruments report nothing and a short run would export nothing.
    /// </summary>
    public static void Flush(IServiceProvider services) => services.GetService<MeterProvider>()?.ForceFlush(timeoutMilliseconds: 5_000);
}
