using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ScmiActors.Ingestion;

/// <summary>
/// One protocol's bounded queue (the Linux kfifo): many producers (the gate, on transport threads),
/// one consumer (the protocol actor). Slots follow Vyukov's bounded queue (a sequence number per
/// slot, a CAS on the tail); the budget is counted in bytes like Linux — each entry costs
/// <see cref="EntryOverhead"/> plus its payload — and the slot count is chosen so that the byte
/// budget is always exhausted before the slots are. Payloads up to <see cref="InlinePayload"/> bytes
/// (every fixed-size standard notification) are copied into one arena allocated with the ring, a
/// fixed stride per slot, so writes never allocate, not even a slot's first; a larger payload
/// (sensor readings, base error reports) uses a per-slot buffer that is kept for reuse.
/// <para>Sealing adds a huge value to the used-bytes counter in the same atomic operation that
/// producers use to reserve, so after <see cref="Seal"/> no write can start, and
/// <see cref="IsQuiescent"/> tells when every write that started has been consumed.</para>
/// <para>The consumer returns bytes to the producers in batches (<see cref="ReleaseBatchEntries"/>
/// entries, an eighth of the budget, or whenever it finds the ring empty), and keeps its position on
/// a cache line of its own: a release per entry made the producer and the consumer trade the
/// budget's cache line for every event, which cost about a third of the single-protocol rate.</para>
/// </summary>
internal sealed class ProtocolRing
{
    /// <summary>Per-entry cost besides the payload: header, length and timestamp (Linux's event header is similar).</summary>
    public const int EntryOverhead = 16;

    /// <summary>Payload bytes each slot holds in the arena; larger payloads use the slot's own buffer.</summary>
    public const int InlinePayload = 16;

    /// <summary>The largest queue budget (16 MiB; Linux's largest is 16 KiB): slots and arena stay well inside an array's range.</summary>
    public const int MaxBudgetBytes = 16 << 20;

    private const long SealedMark = 1L << 40;

    /// <summary>The consumer returns released bytes to the producers at least every this many entries.</summary>
    public const int ReleaseBatchEntries = 32;

    /// <summary>Slot buffers up to this size are kept for reuse; larger ones are dropped after use.</summary>
    private const int RetainedBufferSize = 256;

    private readonly Slot[] _slots;
    private readonly byte[] _arena;
    private readonly long _mask;
    private PaddedLong _tail;
    private PaddedLong _usedBytes;
    private PaddedInt _scheduled;
    private ConsumerSide _consumer; // consumer only, on its own cache line
    private readonly int _releaseBatchBytes;

    public ProtocolRing(int budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetBytes, EntryOverhead);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(budgetBytes, MaxBudgetBytes);
        BudgetBytes = budgetBytes;
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, budgetBytes / EntryOverhead));
        _slots = new Slot[slots];
        _arena = new byte[slots * InlinePayload];
        _mask = slots - 1;
        _releaseBatchBytes = Math.Max(EntryOverhead, budgetBytes / 8);
        for (var i = 0; i < slots; i++) _slots[i].Sequence = i;
    }

    public int BudgetBytes { get; }
    public int Capacity => _slots.Length;

    /// <summary>Entries ever written: the protocol's "queued" counter.</summary>
    public long Written => Volatile.Read(ref _tail.Value);

    /// <summary>Entries ever taken by the consumer.</summary>
    public long Taken => Volatile.Read(ref _consumer.Head);

    public long Count => Math.Max(0, Written - Taken);

    public bool IsSealed => Volatile.Read(ref _usedBytes.Value) >= SealedMark;

    /// <summary>Consumer: sealed, and every reserved byte was released: nothing queued, no write in progress.</summary>
    public bool IsQuiescent
    {
        get
        {
            ReturnReleased();
            return Volatile.Read(ref _usedBytes.Value) == SealedMark;
        }
    }

    public enum WriteOutcome : byte { Written, Full, Sealed }

    public WriteOutcome TryWrite(uint header, ReadOnlySpan<byte> payload, long timestampNs)
    {
        var cost = EntryOverhead + payload.Length;
        var used = Interlocked.Add(ref _usedBytes.Value, cost);
        if (used > BudgetBytes)
        {
            Interlocked.Add(ref _usedBytes.Value, -cost);
            return used >= SealedMark ? WriteOutcome.Sealed : WriteOutcome.Full;
        }

        // The byte reservation guarantees a free slot exists (or is being freed by the consumer).
        var spinner = new SpinWait();
        var position = Volatile.Read(ref _tail.Value);
        while (true)
        {
            ref var slot = ref _slots[position & _mask];
            var diff = Volatile.Read(ref slot.Sequence) - position;
            if (diff == 0)
            {
                if (Interlocked.CompareExchange(ref _tail.Value, position + 1, position) == position)
                {
                    slot.Header = header;
                    slot.TimestampNs = timestampNs;
                    slot.Length = payload.Length;
                    if (payload.Length <= InlinePayload)
                    {
                        payload.CopyTo(_arena.AsSpan((int)(position & _mask) * InlinePayload, InlinePayload));
                    }
                    else
                    {
                        if (slot.Overflow is null || slot.Overflow.Length < payload.Length) slot.Overflow = new byte[payload.Length];
                        payload.CopyTo(slot.Overflow);
                    }
                    // A full fence: the publish must be visible before the producer reads the wake flag.
                    Interlocked.Exchange(ref slot.Sequence, position + 1);
                    return WriteOutcome.Written;
                }
                position = Volatile.Read(ref _tail.Value);
            }
            else if (diff < 0)
            {
                // The consumer has released the bytes but not yet this slot's sequence: wait for it.
                spinner.SpinOnce(sleep1Threshold: -1);
                position = Volatile.Read(ref _tail.Value);
            }
            else
            {
                position = Volatile.Read(ref _tail.Value);
            }
        }
    }

    /// <summary>Consumer: the oldest entry if it is published; its payload is valid until <see cref="Release"/>.</summary>
    public bool TryPeek(out uint header, out long timestampNs, out ReadOnlySpan<byte> payload)
    {
        var head = _consumer.Head;
        ref var slot = ref _slots[head & _mask];
        if (Volatile.Read(ref slot.Sequence) != head + 1)
        {
            // Nothing to take: what was released goes back to the producers now, not at the next batch.
            ReturnReleased();
            header = 0;
            timestampNs = 0;
            payload = default;
            return false;
        }
        header = slot.Header;
        timestampNs = slot.TimestampNs;
        payload = slot.Length <= InlinePayload
            ? new ReadOnlySpan<byte>(_arena, (int)(head & _mask) * InlinePayload, slot.Length)
            : new ReadOnlySpan<byte>(slot.Overflow, 0, slot.Length);
        return true;
    }

    /// <summary>Consumer: frees the entry returned by the last successful <see cref="TryPeek"/>.</summary>
    public void Release()
    {
        var head = _consumer.Head;
        ref var slot = ref _slots[head & _mask];
        var cost = EntryOverhead + slot.Length;
        // A rare large event (base errors, many-axis sensors) must not pin its buffer in every slot.
        if (slot.Overflow is { Length: > RetainedBufferSize }) slot.Overflow = null;
        Volatile.Write(ref slot.Sequence, head + _mask + 1);
        Volatile.Write(ref _consumer.Head, head + 1);
        _consumer.ReleasedBytes += cost;
        if (++_consumer.ReleasedEntries >= ReleaseBatchEntries || _consumer.ReleasedBytes >= _releaseBatchBytes) ReturnReleased();
    }

    /// <summary>Consumer: gives the bytes of the entries released so far back to the producers.</summary>
    public void ReturnReleased()
    {
        if (_consumer.ReleasedBytes == 0) return;
        Interlocked.Add(ref _usedBytes.Value, -_consumer.ReleasedBytes);
        _consumer.ReleasedBytes = 0;
        _consumer.ReleasedEntries = 0;
    }

    /// <summary>Consumer: is the oldest entry published?</summary>
    public bool HasPublished => Volatile.Read(ref _slots[_consumer.Head & _mask].Sequence) == _consumer.Head + 1;

    /// <summary>No write can start after this returns; writes already reserved still complete.</summary>
    public void Seal()
    {
        if (!IsSealed) Interlocked.Add(ref _usedBytes.Value, SealedMark);
    }

    // ---- wake-up flag: at most one wake-up message in flight per ring -------------------------

    /// <summary>Producer: true when the caller must send the wake-up (none was scheduled).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySchedule() =>
        Volatile.Read(ref _scheduled.Value) == 0 && Interlocked.CompareExchange(ref _scheduled.Value, 1, 0) == 0;

    /// <summary>Consumer: clears the flag (a full fence), then re-checks for entries published meanwhile.</summary>
    public bool UnscheduleAndRecheck()
    {
        ReturnReleased();
        Interlocked.Exchange(ref _scheduled.Value, 0);
        return HasPublished && TrySchedule();
    }

    private struct Slot
    {
        public long Sequence;
        public uint Header;
        public int Length;
        public long TimestampNs;
        public byte[]? Overflow;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)] public long Value;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct ConsumerSide
    {
        [FieldOffset(64)] public long Head;
        [FieldOffset(72)] public long ReleasedBytes; // released but not yet returned to the producers
        [FieldOffset(80)] public int ReleasedEntries;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedInt
    {
        [FieldOffset(64)] public int Value;
    }
}
