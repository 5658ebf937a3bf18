namespace ScmiActors.Wire;

/// <summary>Standard SCMI protocol ids; 0x80–0xFF are vendor protocols.</summary>
public static class ScmiProtocolId
{
    public const byte Base = 0x10;
    public const byte Power = 0x11;
    public const byte System = 0x12;
    public const byte Perf = 0x13;
    public const byte Clock = 0x14;
    public const byte Sensor = 0x15;
    public const byte Reset = 0x16;
    public const byte Voltage = 0x17;
    public const byte Powercap = 0x18;
    public const byte Pinctrl = 0x19;
    public const byte VendorFirst = 0x80;

    public static bool IsVendor(byte protocolId) => protocolId >= VendorFirst;
}

/// <summary>A protocol version as SCMI reports it: major in bits 31:16, minor in 15:0.</summary>
public readonly record struct ProtocolVersion(ushort Major, ushort Minor) : IComparable<ProtocolVersion>
{
    public static ProtocolVersion FromRaw(uint raw) => new((ushort)(raw >> 16), (ushort)raw);
    public uint Raw => ((uint)Major << 16) | Minor;

    public static bool TryParse(string text, out ProtocolVersion version)
    {
        version = default;
        var parts = text.Trim().Split('.');
        if (parts.Length is < 1 or > 2 || !ushort.TryParse(parts[0], out var major)) return false;
        ushort minor = 0;
        if (parts.Length == 2 && !ushort.TryParse(parts[1], out minor)) return false;
        version = new ProtocolVersion(major, minor);
        return true;
    }

    public int CompareTo(ProtocolVersion other) => Raw.CompareTo(other.Raw);
    public override string ToString() => $"{Major}.{Minor}";
}
