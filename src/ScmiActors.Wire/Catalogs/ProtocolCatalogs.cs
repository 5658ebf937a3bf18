using ScmiActors.Wire.Protocols;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Wire.Catalogs;

/// <summary>
/// The catalogs this assembly ships. They sit above the standard and vendor protocols so that the
/// core types (<see cref="ProtocolCatalog"/>, <see cref="PlatformDecoder"/>) never name a protocol:
/// vendors depend on the core, never the reverse.
/// </summary>
public static class ProtocolCatalogs
{
    /// <summary>The standard protocols of DEN0056 (voltage and pinctrl have no notifications).</summary>
    public static ProtocolCatalog Standard { get; } = ProtocolCatalog.Empty.WithAll(StandardProtocols.All);

    /// <summary>The standard protocols plus the vendor protocols shipped with ScmiActors (NXP i.MX BBM and MISC).</summary>
    public static ProtocolCatalog Default { get; } = Standard.With(ImxBbm.Descriptor).With(ImxMisc.Descriptor);
}
