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

    /// <summary><see cref="Connected"/>, or <see cref="ConnectFailed"/> on an error, a cancellation or after <paramref name="timeout"/>.</summary>
    public static Task<object> ConnectAsync(IScmiTransport transport, TimeSpan timeout, CancellationToken cancellationToken) =>
        transport.ConnectAsync(cancellationToken)
            .WaitAsync(timeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)Connected.Instance
                : new ConnectFailed(t.Exception?.GetBaseException().Message ?? "connection cancelled"), TaskScheduler.Default);

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
