using System.Net;
using System.Net.Sockets;

namespace ScmiActors.Cli.Node;

/// <summary>Free TCP ports on 127.0.0.1 for node processes started side by side (the chaos harness, the tests).</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports the OS had free a moment ago: all are held open together so none
    /// repeats, then released for the caller's processes to bind.
    /// </summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var l in listeners) l.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }
}
