using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ScmiActors.Cli.Observability;

/// <summary>
/// Where a CLI host exports the library's meter: a Prometheus scrape endpoint
/// (<c>http://HOST:PORT/metrics</c>) and/or OTLP. Nothing is exported by default.
/// </summary>
/// <param name="Host">The IP address the scrape endpoint binds: loopback for the main job, the node's --host for a node.</param>
/// <param name="PrometheusPort">0: no scrape endpoint.</param>
/// <param name="OtlpEndpoint">--otlp-endpoint; null: the exporter reads <see cref="MetricsCommandLine.OtlpEndpointVariable"/> itself, when set.</param>
/// <param name="OtlpFromEnvironment">OTLP because the standard variable names a collector (no --otlp-endpoint).</param>
public sealed record MetricsOptions(string Host, int PrometheusPort, Uri? OtlpEndpoint, bool OtlpFromEnvironment = false)
{
    public static readonly MetricsOptions None = new("127.0.0.1", 0, null);

    public bool Otlp => OtlpEndpoint is not null || OtlpFromEnvironment;

    public bool Exports => PrometheusPort != 0 || Otlp;

    /// <summary>The host as an HttpListener prefix takes it: IPv6 in brackets, an any-address as the wildcard (else requests never match).</summary>
    public string ListenerHost => IPAddress.Parse(Host) switch
    {
        var a when a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) => "*",
        { AddressFamily: AddressFamily.InterNetworkV6 } a => $"[{a}]",
        var a => a.ToString(),
    };

    public string ScrapeUrl => $"http://{ListenerHost}:{PrometheusPort}/metrics";

    /// <summary>Why the scrape endpoint could not bind its address (in use, not this machine's), or null.</summary>
    /// <remarks>Checked before the host starts, as the node checks its remoting port: the exporter would fail inside the host's start, with a stack.</remarks>
    public string? CannotListen()
    {
        if (PrometheusPort == 0) return null;
        try
        {
            var listener = new TcpListener(IPAddress.Parse(Host), PrometheusPort);
            listener.Start();
            listener.Stop();
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }
}

/// <summary>
/// <c>--metrics-port N</c> and <c>--otlp-endpoint URL</c> on a command that runs an ActorSystem
/// (the main job and <c>node</c>): the same names, ranges and messages on both.
/// </summary>
public sealed class MetricsCommandLine
{
    /// <summary>The standard OpenTelemetry variable: set, it turns OTLP export on without --otlp-endpoint.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private readonly Func<string, string?> _environment;

    /// <param name="host">How the help names the scrape endpoint's address (the node's: IP, as its --host).</param>
    public MetricsCommandLine(Command command, string host, Func<string, string?>? environment = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
        Port = new Option<int>("--metrics-port")
        {
            Description = $"Serve the metrics for Prometheus at http://{host}:N/metrics, N 1..65535; 0 (the default): not served",
            HelpName = "N",
            CustomParser = ParsePort,
        };
        OtlpEndpoint = new Option<Uri?>("--otlp-endpoint")
        {
            Description = $"Push the metrics over OTLP to this collector (gRPC by default; OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf with the full " +
                          $".../v1/metrics URL); default: {OtlpEndpointVariable} when set, else no OTLP",
            HelpName = "URL",
            CustomParser = r => ParseUrl(r.Tokens.Single().Value, "--otlp-endpoint", r.AddError),
        };
        command.Options.Add(Port);
        command.Options.Add(OtlpEndpoint);
    }

    public Option<int> Port { get; }

    public Option<Uri?> OtlpEndpoint { get; }

    /// <summary>
    /// The options of this command line for a scrape endpoint on <paramref name="host"/>; null after
    /// one line on <paramref name="error"/> when the port cannot be listened on or the variable is not a URL.
    /// </summary>
    /// <param name="taken">A port of the same host the command itself will listen on (the node's --port), with its option's name.</param>
    public MetricsOptions? Read(ParseResult parse, string host, TextWriter error, (int Port, string Option) taken = default)
    {
        var endpoint = parse.GetValue(OtlpEndpoint);
        var fromEnvironment = false;
        string? problem = null;
        if (endpoint is null && _environment(OtlpEndpointVariable) is { Length: > 0 } variable)
            fromEnvironment = ParseUrl(variable, OtlpEndpointVariable, e => problem = e) is not null;
        var options = new MetricsOptions(host, parse.GetValue(Port), endpoint, fromEnvironment);
        // Free now, but the command binds it itself a moment later: one of the two would fail inside the host's start.
        if (problem is null && options.PrometheusPort != 0 && options.PrometheusPort == taken.Port)
            problem = $"--metrics-port: {taken.Port} is the {taken.Option} of this command too";
        if (problem is null && options.CannotListen() is { } reason)
            problem = $"--metrics-port: cannot listen on {host}:{options.PrometheusPort} ({reason})";
        if (problem is null) return options;
        error.WriteLine($"scmi-actors: {problem} (see --help)");
        error.Flush();
        return null;
    }

    private static int ParsePort(ArgumentResult r)
    {
        var text = r.Tokens.Single().Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535) return port;
        r.AddError($"--metrics-port: '{text}' is not a port number 0..65535");
        return 0;
    }

    /// <summary>An absolute http(s) URL with a host; anything else is the caller's one-line error.</summary>
    private static Uri? ParseUrl(string text, string name, Action<string> fail)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0) return uri;
        fail($"{name}: '{text}' is not an http:// or https:// URL");
        return null;
    }
}
