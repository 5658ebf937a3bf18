using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Platform;

/// <summary>
/// The asynchronous steps of a handle's start, turned into the messages the handle pipes to itself:
/// connecting the transport within its timeout, and the outcome of discovery. Each task completes
/// with one message and never faults, so a failure reaches the handle as an answer, not an exception.
/// Attaching the gate stays in the handle: only its mailbox orders the attach against a stop.
/// </summary>
internal static class PlatformStartup
{
    internal sealed record Connected { public static readonly Connected Instance = new(); }
    internal sealed record ConnectFailed(string Reason);
    internal sealed record Discovered(PlatformDescription Description);
    internal sealed record DiscoveryFailed(string Reason);

    /// <summary>
    /// <see cref="Connected"/>, or <see cref="ConnectFailed"/> on an error, a cancellation or after <paramref name="timeout"/>.
    /// The timeout also cancels the attempt: one that succeeded after the handle gave up would leave the
    /// transport connected behind its back, and every later attempt would be refused as "already connected".
    /// </summary>
    public static Task<object> ConnectAsync(IScmiTransport transport, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        Task connecting;
        try
        {
            connecting = transport.ConnectAsync(attempt.Token);
        }
        catch (Exception e)
        {
            connecting = Task.FromException(e);
        }
        return connecting
            .WaitAsync(timeout)
            .ContinueWith(t =>
            {
                // Our own deadline, not the caller's cancellation nor the transport's own, ended it.
                var timedOut = t.Exception?.GetBaseException() is TimeoutException
                    || (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested);
                // WaitAsync may give up a moment before CancelAfter fires: cancel before disposing either way.
                if (!t.IsCompletedSuccessfully) attempt.Cancel();
                attempt.Dispose();
                if (t.IsCompletedSuccessfully) return (object)Connected.Instance;
                return new ConnectFailed(timedOut ? $"not connected within {timeout.TotalSeconds:0.###} s"
                    : t.Exception?.GetBaseException().Message ?? "connection cancelled");
            }, TaskScheduler.Default);
    }

    /// <summary><see cref="Discovered"/>, or <see cref="DiscoveryFailed"/> with the discovery's own reason when it gives one.</summary>
    public static Task<object> Outcome(Task<PlatformDescription> discovery) =>
        discovery.ContinueWith(t => t.IsCompletedSuccessfully
            ? (object)new Discovered(t.Result)
            : new DiscoveryFailed(t.Exception?.GetBaseException() is DiscoveryException d ? d.Message
                : $"discovery failed: {t.Exception?.GetBaseException().Message}"), TaskScheduler.Default);

    /// <summary>One line naming each protocol with its version and source count, for the Debug log.</summary>
    public static string Describe(PlatformDescription description, ProtocolCatalog catalog) =>
        string.Join(", ", description.Protocols.Values.Select(p =>
            $"{catalog.Find(p.ProtocolId)?.Name ?? $"0x{p.ProtocolId:X2}"} v{p.Version} ({p.SourceCount} sources)"));
}
