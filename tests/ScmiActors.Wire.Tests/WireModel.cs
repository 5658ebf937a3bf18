namespace ScmiActors.Wire.Tests;

/// <summary>
/// The tests' own model of the SCMI notification wire format (DESIGN.md "Wire format" and
/// SCMI-NOTES §1–§2), written independently of src: little-endian 32-bit words, 64-bit values as
/// low word then high word, headers packed as <c>id | type&lt;&lt;8 | proto&lt;&lt;10 | token&lt;&lt;18</c>.
/// </summary>
public static class WireModel
{
    public const uint TypeNotification = 3;

    /// <summary>A raw header word; bits above 27 are whatever <paramref name="reserved"/> says.</summary>
    public static uint Header(byte protocol, byte messageId, uint type = TypeNotification, uint token = 0, uint reserved = 0) =>
        messageId | (type & 3) << 8 | (uint)protocol << 10 | (token & 0x3FF) << 18 | (reserved & 0xF) << 28;

    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) Put(bytes, 4 * i, words[i]);
        return bytes;
    }

    public static void Put(byte[] bytes, int offset, uint word)
    {
        bytes[offset] = (byte)word;
        bytes[offset + 1] = (byte)(word >> 8);
        bytes[offset + 2] = (byte)(word >> 16);
        bytes[offset + 3] = (byte)(word >> 24);
    }

    public static uint Low(ulong value) => (uint)(value & 0xFFFF_FFFF);
    public static uint High(ulong value) => (uint)(value >> 32);

    /// <summary>The payload cut to <paramref name="length"/> bytes, or padded with 0xEE up to it.</summary>
    public static byte[] Resize(byte[] payload, int length)
    {
        var result = new byte[length];
        for (var i = 0; i < length; i++) result[i] = i < payload.Length ? payload[i] : (byte)0xEE;
        return result;
    }

    // ---- the notifications, field by field ---------------------------------------------------

    public static byte[] BaseError(uint agent, uint errorStatus, IReadOnlyList<ulong> reports, int extraBytes = 0)
    {
        var words = new List<uint> { agent, errorStatus };
        foreach (var r in reports) { words.Add(Low(r)); words.Add(High(r)); }
        var payload = Words([.. words]);
        return extraBytes == 0 ? payload : Resize(payload, payload.Length + extraBytes);
    }

    public static byte[] PowerState(uint agent, uint domain, uint powerState) => Words(agent, domain, powerState);

    /// <summary>v1 without <paramref name="timeout"/> (12 bytes), v2 with it (16 bytes).</summary>
    public static byte[] SystemPower(uint agent, uint flags, uint systemState, uint? timeout) =>
        timeout is { } t ? Words(agent, flags, systemState, t) : Words(agent, flags, systemState);

    public static byte[] PerfLimits(uint agent, uint domain, uint rangeMax, uint rangeMin) => Words(agent, domain, rangeMax, rangeMin);

    public static byte[] PerfLevel(uint agent, uint domain, uint level) => Words(agent, domain, level);

    public static byte[] ClockRate(uint agent, uint clock, ulong rate) => Words(agent, clock, Low(rate), High(rate));

    public static byte[] SensorTripPoint(uint agent, uint sensor, uint tripPointDesc) => Words(agent, sensor, tripPointDesc);

    public static byte[] SensorUpdate(uint agent, uint sensor, IReadOnlyList<(long Value, ulong Timestamp)> readings, int extraBytes = 0)
    {
        var words = new List<uint> { agent, sensor };
        foreach (var (value, timestamp) in readings)
        {
            words.Add(Low((ulong)value));
            words.Add(High((ulong)value));
            words.Add(Low(timestamp));
            words.Add(High(timestamp));
        }
        var payload = Words([.. words]);
        return extraBytes == 0 ? payload : Resize(payload, payload.Length + extraBytes);
    }

    public static byte[] ResetIssued(uint agent, uint domain, uint resetState) => Words(agent, domain, resetState);

    public static byte[] PowercapCap(uint agent, uint domain, uint powerCap, uint pai) => Words(agent, domain, powerCap, pai);

    public static byte[] PowercapMeasurements(uint agent, uint domain, uint power) => Words(agent, domain, power);

    /// <summary>Both i.MX BBM events: one flags word, no agent id.</summary>
    public static byte[] Bbm(uint flags) => Words(flags);

    // ---- NOTIFY command payloads ---------------------------------------------------------------

    public static byte[] NotifyPerSource(uint source, bool enable) => Words(source, enable ? 1u : 0u);

    public static byte[] NotifyGlobal(bool enable) => Words(enable ? 1u : 0u);

    public static byte[] NotifyPowercapMeasurements(uint source, bool enable, uint low, uint high) =>
        Words(source, enable ? 1u : 0u, low, high);
}
