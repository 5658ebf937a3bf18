using System.Buffers.Binary;

namespace ScmiActors.Wire.Protocols;

/// <summary>Little-endian field access and the size and source checks every decoder shares.</summary>
public static class Payload
{
    public static uint U32(ReadOnlySpan<byte> payload, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(payload.Slice(offset, 4));

    /// <summary>A 64-bit value sent as low word then high word.</summary>
    public static ulong U64(ReadOnlySpan<byte> payload, int offset) =>
        U32(payload, offset) | ((ulong)U32(payload, offset + 4) << 32);

    public static void WriteU32(Span<byte> destination, int offset, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(offset, 4), value);

    /// <summary>True when the payload is exactly <paramref name="size"/> bytes; otherwise the rejection.</summary>
    public static bool IsExactly(ReadOnlySpan<byte> payload, int size, string eventName, out DecodeResult rejection)
    {
        rejection = payload.Length == size ? default : DecodeResult.WrongSize(eventName, size, payload.Length);
        return payload.Length == size;
    }

    /// <summary>True when <paramref name="source"/> is below the protocol's source count.</summary>
    public static bool InRange(uint source, uint sourceCount, string eventName, out DecodeResult rejection)
    {
        rejection = source < sourceCount ? default : DecodeResult.SourceOutOfRange(eventName, source, sourceCount);
        return source < sourceCount;
    }

    // NOTIFY payload shapes shared by most protocols.

    /// <summary><c>resource_id, notify_enable</c>: power, perf, clock, sensor, reset, powercap cap.</summary>
    public static int NotifyPerSource(uint source, bool enable, PlatformProtocol _, Span<byte> destination)
    {
        WriteU32(destination, 0, source);
        WriteU32(destination, 4, enable ? 1u : 0u);
        return 8;
    }

    /// <summary><c>notify_enable</c> only: base errors, system power.</summary>
    public static int NotifyGlobal(uint _, bool enable, PlatformProtocol __, Span<byte> destination)
    {
        WriteU32(destination, 0, enable ? 1u : 0u);
        return 4;
    }
}
