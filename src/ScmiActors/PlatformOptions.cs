namespace ScmiActors;

/// <summary>How a handle starts.</summary>
/// <param name="RegisterDescribedProtocols">Register every protocol of the description (with the catalog's descriptor) once connected.</param>
/// <param name="Discover">
/// Before registering, learn protocols, versions, source counts, sensor axes and notify
/// capabilities from the platform over SCMI commands (when the transport has a command path).
/// The description is the fallback for what discovery cannot learn, and its explicit settings
/// (queue-bytes, thresholds) override.
/// </param>
public sealed record PlatformOptions(bool RegisterDescribedProtocols = true, bool Discover = false)
{
    public static PlatformOptions Default { get; } = new();
}
