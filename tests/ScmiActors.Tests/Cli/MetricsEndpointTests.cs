using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ScmiActors.Cli;
using ScmiActors.Cli.Observability;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The CLI hosts export the library's meter (<c>ScmiActors</c>): a Prometheus scrape endpoint with
/// --metrics-port, OTLP with --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT. The built binary runs as a
/// child on loopback; every wait is on a condition and bounded; every child is killed by its own id at the end.
/// </summary>
public sealed partial class MetricsEndpointTests(ITestOutputHelper log)
{
    /// <summary>Start-up of a node and a platform on a loaded 2-core machine takes seconds; this is the bound, not the expectation.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private static IReadOnlyList<PrometheusSeries> ParseScrape(string text) => PrometheusScrape.Parse(text);

    [Fact]
    public async Task The_main_job_serves_its_received_delivered_and_lost_counters_per_platform_and_protocol_for_Prometheus()
    {
        var port = FreePort();
        // In-memory platforms: one process is enough to see the dispatcher's counters; the duration outlasts the bound.
        using var job = CliProcess.Start("--link", "in-memory", "--duration", "5m", "--metrics-port", port.ToString(CultureInfo.InvariantCulture));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = $"http://127.0.0.1:{port}/metrics";
        string? text = null;
        string? contentType = null;
        IReadOnlyList<PrometheusSeries> series = [];
        try
        {
            // Until the running platform has queued and delivered something (the endpoint answers from the host's start on).
            var deadline = DateTime.UtcNow + Bound;
            while (DateTime.UtcNow < deadline && !job.Process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(url);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        contentType = response.Content.Headers.ContentType?.MediaType;
                        text = await response.Content.ReadAsStringAsync();
                        series = ParseScrape(text);
                        if (Sum(series, "scmi_notifications_queued_total") > 0 && Sum(series, "scmi_notifications_delivered_total") > 0) break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(Poll);
            }
            Assert.True(text is not null, $"{url} never answered 200");
            Assert.Equal("text/plain", contentType);
            // Prometheus names: dots become underscores, counters get _total; tags become labels the same way.
            foreach (var family in new[] { "scmi_notifications_queued_total", "scmi_notifications_delivered_total", "scmi_notifications_lost_total" })
            {
                Assert.Contains($"# TYPE {family} counter", text);
                var ofFamily = series.Where(s => s.Name == family).ToList();
                Assert.NotEmpty(ofFamily);
                Assert.All(ofFamily, s => Assert.Equal("ScmiActors", s.Labels["otel_scope_name"]));
                Assert.Contains(ofFamily, s => s.Labels.GetValueOrDefault("scmi_platform") == "soc0" && s.Labels.GetValueOrDefault("scmi_protocol") is { Length: > 0 });
            }
            Assert.Contains(series, s => s.Name == "scmi_notifications_lost_total" && s.Labels.GetValueOrDefault("scmi_outcome") == "queue_full");
            // "Received": what the gate accepted into a protocol queue (the library has no instrument of that name).
            Assert.True(Sum(series, "scmi_notifications_queued_total") > 0, "nothing received:\n" + text);
            Assert.True(Sum(series, "scmi_notifications_delivered_total") > 0, "nothing delivered:\n" + text);
            Assert.Contains(series, s => s.Name == "scmi_notifications_queued_total" && s.Labels["scmi_platform"] == "soc0" && s.Value > 0);
            Assert.Contains("target_info{service_name=\"scmi-actors\"", text);
        }
        finally
        {
            log.WriteLine(text ?? "(no scrape)");
            log.WriteLine(job.Output + job.Error);
        }
    }

    [Fact]
    public async Task A_node_without_platforms_serves_metrics_on_its_host()
    {
        var (remoting, metrics) = (FreePort(), FreePort());
        var address = $"akka.tcp://scmi-actors@127.0.0.1:{remoting}";
        using var node = CliProcess.Start("node", "--port", remoting.ToString(CultureInfo.InvariantCulture), "--seed-nodes", address,
            "--metrics-port", metrics.ToString(CultureInfo.InvariantCulture));
        try
        {
            // The exporter starts with the host, before the node is Up.
            Assert.True(await node.WaitForOutputAsync($"Node {address} is Up", Bound), "the node never came Up");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.GetAsync($"http://127.0.0.1:{metrics}/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            log.WriteLine(text);
            Assert.Contains("target_info{service_name=\"scmi-actors\"", text);
            // No platform: no series of the dispatcher yet.
            Assert.DoesNotContain("scmi_notifications_queued_total{", text);
        }
        finally
        {
            log.WriteLine(node.Output + node.Error);
        }
    }

    public static TheoryData<string, bool> OtlpConfigurations() => new()
    {
        // --otlp-endpoint is used as it is (the full path for http/protobuf) ...
        { "option", false },
        // ... the standard variable is the collector's base address: the exporter adds /v1/metrics.
        { "variable", true },
    };

    [Theory]
    [MemberData(nameof(OtlpConfigurations))]
    public async Task The_main_job_pushes_its_counters_over_OTLP_to_the_collector_it_is_given(string how, bool byVariable)
    {
        var port = FreePort();
        using var collector = new FakeOtlpCollector(port);
        var environment = new Dictionary<string, string?>
        {
            // HTTP rather than the default gRPC: HttpListener can be the collector. A short interval keeps the test short.
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            [MetricsCommandLine.OtlpEndpointVariable] = byVariable ? $"http://127.0.0.1:{port}" : null,
        };
        string[] args = ["--link", "in-memory", "--duration", "5m", .. byVariable ? Array.Empty<string>() : ["--otlp-endpoint", $"http://127.0.0.1:{port}/v1/metrics"]];
        using var job = CliProcess.Start(environment, args);
        try
        {
            var export = await collector.WaitForAsync(body => Contains(body, "scmi.notifications.queued") && Contains(body, "soc0"), Bound);
            Assert.True(export is not null, $"{how}: no OTLP export with the dispatcher's counters arrived at /v1/metrics");
            Assert.Contains(collector.ContentTypes, t => t == "application/x-protobuf");
            foreach (var name in new[] { "scmi.notifications.delivered", "scmi.notifications.lost", "scmi.platform", "scmi.protocol", "ScmiActors" })
                Assert.True(Contains(export, name), $"the export has no {name}");
        }
        finally
        {
            log.WriteLine(job.Output + job.Error);
        }
    }

    [Theory]
    [InlineData("", "--metrics-port x", "--metrics-port: 'x' is not a port number 0..65535")]
    [InlineData("", "--metrics-port 65536", "--metrics-port: '65536' is not a port number 0..65535")]
    [InlineData("", "--metrics-port -1", "--metrics-port: '-1' is not a port number 0..65535")]
    [InlineData("", "--otlp-endpoint collector:4317", "--otlp-endpoint: 'collector:4317' is not an http:// or https:// URL")]
    [InlineData("", "--otlp-endpoint ftp://127.0.0.1/", "--otlp-endpoint: 'ftp://127.0.0.1/' is not an http:// or https:// URL")]
    [InlineData(Node, "--metrics-port 65536", "--metrics-port: '65536' is not a port number 0..65535")]
    [InlineData(Node, "--otlp-endpoint nowhere", "--otlp-endpoint: 'nowhere' is not an http:// or https:// URL")]
    [InlineData(Node, "--port 4053 --metrics-port 4053", "--metrics-port: 4053 is the --port of this command too")]
    public void A_bad_value_is_one_line_and_exit_2(string command, string bad, string message)
    {
        var (exitCode, output, error) = Run([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), .. bad.Split(' ')]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {message} (see --help)\n", error.ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("")]
    [InlineData(Node)]
    public void A_metrics_port_another_process_listens_on_is_one_line_and_exit_2_before_anything_starts(string command)
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var (exitCode, output, error) = Run([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--metrics-port", port.ToString(CultureInfo.InvariantCulture)]);
            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Equal($"scmi-actors: --metrics-port: cannot listen on 127.0.0.1:{port} (Address already in use) (see --help)\n", error.ReplaceLineEndings("\n"));
            Assert.Equal("", output);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void A_malformed_OTEL_EXPORTER_OTLP_ENDPOINT_is_one_line_and_exit_2()
    {
        using var job = CliProcess.Start(new Dictionary<string, string?> { [MetricsCommandLine.OtlpEndpointVariable] = "collector:4317" }, "--duration", "1s");
        job.WaitForExit(Bound);
        Assert.Equal(ExitCodes.Usage, job.ExitCode);
        Assert.Equal("scmi-actors: OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' is not an http:// or https:// URL (see --help)\n", job.Error.ReplaceLineEndings("\n"));
        Assert.Equal("", job.Output);
    }

    private const string Node = "node --seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053";

    private static double Sum(IEnumerable<PrometheusSeries> series, string name) => series.Sum(name);

    private static bool Contains(byte[]? body, string text) => body is not null && body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static (int ExitCode, string Output, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(args, TextReader.Null, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

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

    /// <summary>
    /// An OTLP/HTTP collector on loopback that keeps the bodies posted to /v1/metrics and answers 200.
    /// Protobuf keeps strings as UTF-8, so names and label values can be found in the raw bytes.
    /// </summary>
    private sealed class FakeOtlpCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<byte[]> _bodies = [];
        private readonly List<string> _contentTypes = [];
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly Task _serving;

        public FakeOtlpCollector(int port)
        {
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public IReadOnlyList<string> ContentTypes
        {
            get
            {
                lock (_bodies) return [.. _contentTypes];
            }
        }

        /// <summary>The first body that satisfies <paramref name="wanted"/>, or null when none came within <paramref name="timeout"/>.</summary>
        public async Task<byte[]?> WaitForAsync(Func<byte[], bool> wanted, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            var seen = 0;
            while (true)
            {
                lock (_bodies)
                {
                    for (; seen < _bodies.Count; seen++)
                        if (wanted(_bodies[seen])) return _bodies[seen];
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left)) return null;
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return; // stopped
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/metrics")
                {
                    lock (_bodies)
                    {
                        _bodies.Add(body.ToArray());
                        _contentTypes.Add(context.Request.ContentType ?? "");
                    }
                    _arrived.Release();
                    context.Response.StatusCode = 200;
                }
                else context.Response.StatusCode = 404;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
