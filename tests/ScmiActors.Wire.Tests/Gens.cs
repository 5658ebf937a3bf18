using FsCheck;
using FsCheck.Fluent;

namespace ScmiActors.Wire.Tests;

/// <summary>FsCheck generators over the full value ranges of the wire fields, with the edges weighted in.</summary>
public static class Gens
{
    public static Gen<uint> U32 { get; } = Frequency(
        (1, Gen.Elements(0u, 1u, 0x7FFF_FFFFu, 0x8000_0000u, 0xFFFF_FFFEu, uint.MaxValue)),
        (2, Gen.Choose(0, 0xFFFF).Select(x => (uint)x)),
        (5, from high in Gen.Choose(0, 0xFFFF) from low in Gen.Choose(0, 0xFFFF) select (uint)high << 16 | (uint)low));

    public static Gen<ulong> U64 { get; } =
        from high in U32
        from low in U32
        select (ulong)high << 32 | low;

    public static Gen<long> I64 { get; } = Frequency(
        (1, Gen.Elements(0L, -1L, 1L, long.MinValue, long.MaxValue)),
        (2, Gen.Choose(-100_000, 100_000).Select(x => (long)x)),
        (5, U64.Select(x => unchecked((long)x))));

    /// <summary><see cref="Gen.Frequency{T}(ValueTuple{int, Gen{T}}[])"/> with a params list.</summary>
    public static Gen<T> Frequency<T>(params (int Weight, Gen<T> Gen)[] choices) => Gen.Frequency(choices);

    public static Gen<bool> Bool { get; } = Gen.Elements(false, true);

    public static Gen<byte> Byte { get; } = Gen.Choose(0, 255).Select(x => (byte)x);

    /// <summary>Mostly a valid source below <paramref name="count"/>, sometimes one at or beyond it.</summary>
    public static Gen<uint> Source(uint count) => Frequency(
        (6, Gen.Choose(0, (int)count - 1).Select(x => (uint)x)),
        (1, Gen.Elements(count, count + 1, 0x1_0000u, 0x1_0000u + 1, uint.MaxValue)),
        (1, U32));
}
