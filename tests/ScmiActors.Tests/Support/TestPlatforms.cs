using System.Buffers.Binary;
using System.Collections.Immutable;
using ScmiActors.Wire;

namespace ScmiActors.Tests.Support;

/// <summary>Platform descriptions and payload builders shared by the dispatcher tests.</summary>
public static class TestPlatforms
{
    public static PlatformDescription Soc0(string id = "soc0") => new(id, "in-memory",
        ImmutableSortedDictionary.CreateRange(new[]
        {
            Protocol(ScmiProtocolId.Base, 2, 0, 1),
            Protocol(ScmiProtocolId.Power, 3, 0, 8),
            Protocol(ScmiProtocolId.System, 2, 0, 1),
            Protocol(ScmiProtocolId.Perf, 4, 0, 4),
            Protocol(ScmiProtocolId.Clock, 3, 0, 8),
            Protocol(ScmiProtocolId.Sensor, 3, 0, 8),
            Protocol(ScmiProtocolId.Reset, 3, 0, 8),
            Protocol(ScmiProtocolId.Powercap, 2, 0, 4),
        }));

    private static KeyValuePair<byte, PlatformProtocol> Protocol(byte id, ushort major, ushort minor, uint sources) =>
        new(id, PlatformProtocol.Create(id, new ProtocolVersion(major, minor), sources));

    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    public static byte[] PerfLevel(uint domain, uint level, uint agent = 0) => Words(agent, domain, level);

    public static uint PerfLevelHeader => ScmiHeader.Notification(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged);
}
