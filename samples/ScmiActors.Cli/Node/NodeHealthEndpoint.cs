using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using ScmiActors.Hosting;

namespace ScmiActors.Cli.Node;

/// <summary>
/// <c>node --health-port N</c>: liveness and readiness for a supervisor (systemd, Kubernetes probes),
/// on the node's --host. <c>/alive</c> answers 200 while the process serves; <c>/ready</c> answers 200
/// when this node is Up in the cluster and every platform it offers is ready (on whichever node hosts
/// it), else 503 with the reason on one line. <c>/members</c> lists the members this node sees Up (the
/// chaos harness checks that the nodes agree). Anything else is 404. A plain HttpListener: Akka.Management's
/// HTTP endpoint does not start with the Ceen.Httpd served here (docs/cluster.md).
/// </summary>
public sealed class NodeHealthEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ActorSystem _system;
    private readonly Task _loop;

    private NodeHealthEndpoint(ActorSystem system, string host, int port)
    {
        _system = system;
        // HttpListener spells "every interface" as +, not as the address.
        var prefixHost = host is "0.0.0.0" or "::" ? "+" : host.Contains(':') ? $"[{host}]" : host;
        _listener.Prefixes.Add($"http://{prefixHost}:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public static NodeHealthEndpoint Start(ActorSystem system, string host, int port) => new(system, host, port);

    /// <summary>Null when ready, else why not.</summary>
    public static string? NotReady(ActorSystem system)
    {
        var status = Cluster.Get(system).SelfMember.Status;
        if (status != MemberStatus.Up) return $"this node is {status}, not Up";
        var waiting = ScmiNotifications.Get(system).Offers.Where(o => !o.Ready).Select(o => o.PlatformId).ToList();
        return waiting.Count == 0 ? null : $"not ready: platform {string.Join(", ", waiting)}";
    }

    /// <summary>The Up members as this node sees them, one address per line, sorted: nodes agree when these are equal.</summary>
    public static string Members(ActorSystem system) =>
        string.Join("\n", Cluster.Get(system).State.Members.Where(m => m.Status == MemberStatus.Up)
            .Select(m => m.Address.ToString()).Order(StringComparer.Ordinal));

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            try
            {
                var (code, text) = context.Request.Url?.AbsolutePath switch
                {
                    "/alive" => (200, "alive"),
                    "/ready" => NotReady(_system) is { } why ? (503, why) : (200, "ready"),
                    "/members" => (200, Members(_system)),
                    _ => (404, "not found: /alive, /ready and /members are served"),
                };
                var body = Encoding.UTF8.GetBytes(text + "\n");
                context.Response.StatusCode = code;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The prober went away mid-answer.
            }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(2));
    }
}
