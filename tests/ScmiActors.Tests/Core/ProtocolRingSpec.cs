using System.Buffers.Binary;
using ScmiActors.Ingestion;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The per-protocol ring on its own: contents, the byte budget, sealing, allocation, many producers.</summary>
public sealed class ProtocolRingSpec
{
    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(seed * 31 + i);
        return bytes;
    }

    private static (uint Header, long Timestamp, byte[] Payload) Take(ProtocolRing ring)
    {
        Assert.True(ring.TryPeek(out var header, out var timestamp, out var payload));
        var copy = payload.ToArray();
        ring.Release();
        return (header, timestamp, copy);
    }

    [Fact]
    public void Inline_and_larger_payloads_come_back_intact_in_order_across_many_wraps()
    {
        var ring = new ProtocolRing(256);
        var random = new Random(7);
        var expected = new Queue<(uint, long, byte[])>();
        for (var i = 0; i < 5000; i++)
        {
            // Sizes around the inline limit and well past it, interleaved, so slots switch between arena and buffer.
            var length = random.Next(4) switch { 0 => 0, 1 => ProtocolRing.InlinePayload, 2 => ProtocolRing.InlinePayload + 1, _ => random.Next(0, 100) };
            var payload = Payload(length, i);
            if (ring.TryWrite((uint)i, payload, i * 10L) == ProtocolRing.WriteOutcome.Written) expected.Enqueue(((uint)i, i * 10L, payload));
            if (random.Next(3) == 0)
                while (expected.Count > 0)
                {
                    var (header, timestamp, bytes) = Take(ring);
                    var want = expected.Dequeue();
                    Assert.Equal(want, (header, timestamp, bytes), new EntryComparer());
                }
        }
        while (expected.Count > 0) Assert.Equal(expected.Dequeue(), Take(ring), new EntryComparer());
        Assert.False(ring.TryPeek(out _, out _, out _));
    }

    [Fact]
    public void The_budget_counts_bytes_and_sealing_stops_new_writes_but_not_the_consumer()
    {
        var ring = new ProtocolRing(72); // 16 + 12 bytes per perf-level entry: two fit, then 16 bytes are left
        Assert.Equal(ProtocolRing.WriteOutcome.Written, ring.TryWrite(1, new byte[12], 0));
        Assert.Equal(ProtocolRing.WriteOutcome.Written, ring.TryWrite(2, new byte[12], 0));
        Assert.Equal(ProtocolRing.WriteOutcome.Full, ring.TryWrite(3, new byte[12], 0));
        Assert.Equal(ProtocolRing.WriteOutcome.Written, ring.TryWrite(4, [], 0)); // 16 bytes still fit
        ring.Seal();
        Assert.Equal(ProtocolRing.WriteOutcome.Sealed, ring.TryWrite(5, [], 0));
        Assert.False(ring.IsQuiescent);
        Assert.Equal([1u, 2u, 4u], new[] { Take(ring).Header, Take(ring).Header, Take(ring).Header });
        Assert.True(ring.IsQuiescent);
    }

    [Fact]
    public void Writes_of_fixed_size_notifications_allocate_nothing_not_even_a_slots_first()
    {
        var ring = new ProtocolRing(4096);
        var payload = Payload(ProtocolRing.InlinePayload, 1);
        ring.TryWrite(0, payload, 0); // JIT and first-call costs outside the measurement
        Take(ring);

        // Every slot is written ten times; the first pass is the one that used to allocate buffers.
        int written = 0, read = 0, bytes = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10 * ring.Capacity; i++)
        {
            if (ring.TryWrite((uint)i, payload, i) == ProtocolRing.WriteOutcome.Written) written++;
            if (ring.TryPeek(out _, out _, out var entry))
            {
                read++;
                bytes += entry.Length;
                ring.Release();
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal((10 * ring.Capacity, 10 * ring.Capacity, 10 * ring.Capacity * payload.Length), (written, read, bytes));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Many_producers_and_one_consumer_lose_and_corrupt_nothing()
    {
        var ring = new ProtocolRing(1024);
        const int producers = 4, perProducer = 50_000;
        var stop = false; // set when the consumer fails, so that producers waiting for room end too
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            Span<byte> payload = stackalloc byte[24];
            for (var i = 0; i < perProducer; i++)
            {
                // Producer and sequence in the header; the payload repeats them, long or short.
                var length = i % 3 == 0 ? 24 : 8;
                BinaryPrimitives.WriteInt32LittleEndian(payload, p);
                BinaryPrimitives.WriteInt32LittleEndian(payload[4..], i);
                if (length == 24) payload[8..24].Fill((byte)i);
                while (ring.TryWrite((uint)(p << 24 | i), payload[..length], 0) != ProtocolRing.WriteOutcome.Written)
                {
                    if (Volatile.Read(ref stop)) return;
                    Thread.Yield();
                }
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        try
        {
            Consume();
        }
        finally
        {
            Volatile.Write(ref stop, true);
            threads.ForEach(t => t.Join());
        }
        Assert.Equal(producers * perProducer, ring.Written);

        void Consume()
        {

            var next = new int[producers];
            var taken = 0;
            while (taken < producers * perProducer)
            {
                if (!ring.TryPeek(out var header, out _, out var payload))
                {
                    Thread.Yield();
                    continue;
                }
                var p = (int)(header >> 24);
                var i = (int)(header & 0xFFFFFF);
                Assert.Equal(next[p]++, i); // per-producer order is kept
                Assert.Equal(i % 3 == 0 ? 24 : 8, payload.Length);
                Assert.Equal(p, BinaryPrimitives.ReadInt32LittleEndian(payload));
                Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(payload[4..]));
                if (payload.Length == 24) Assert.True(payload[8..].IndexOfAnyExcept((byte)i) < 0, "torn payload");
                ring.Release();
                taken++;
            }
            Assert.All(next, n => Assert.Equal(perProducer, n));
        }
    }

    private sealed class EntryComparer : IEqualityComparer<(uint, long, byte[])>
    {
        public bool Equals((uint, long, byte[]) x, (uint, long, byte[]) y) => x.Item1 == y.Item1 && x.Item2 == y.Item2 && x.Item3.AsSpan().SequenceEqual(y.Item3);
        public int GetHashCode((uint, long, byte[]) obj) => obj.Item1.GetHashCode();
    }
}
