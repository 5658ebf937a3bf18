namespace ScmiActors;

/// <summary>
/// <see cref="Hosting.ScmiNotifications.StartPlatformAsync"/> could not bring the platform to ready: the
/// transport did not connect, discovery failed, the start timed out, the id is already started, or
/// the node is shutting down. <see cref="Reason"/> says which, in one line.
/// </summary>
public sealed class PlatformStartException(string platformId, string reason, Exception? inner = null)
    : Exception($"platform {platformId} did not start: {reason}", inner)
{
    public string PlatformId { get; } = platformId;

    public string Reason { get; } = reason;
}
