using Xunit;

namespace ScmiActors.Wire.Tests;

/// <summary>
/// The hot path allocates nothing but the report: a decode allocates one report object, a rejection
/// nothing. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> around a warmed-up loop.
/// </summary>
public class AllocationTests
{
    private const int Iterations = 10_000;

    /// <summary>A PerfLevelChanged object: header + platform id reference, timestamp, ids and two fields.</summary>
    private const long MaxReportBytes = 64;

    private static readonly uint PerfLevelHeader = WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged);

    private static long BytesPerDecode(uint header, byte[] payload, bool expectSuccess)
    {
        var decoder = TestPlatforms.Decoder;
        var successes = 0;
        for (var i = 0; i < Iterations; i++) // warm-up: JIT, tiering, static initialisers
        {
            if (decoder.Decode(header, payload, i).IsSuccess) successes++;
        }
        successes = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            if (decoder.Decode(header, payload, i).IsSuccess) successes++;
        }
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(expectSuccess ? Iterations : 0, successes);
        return (after - before) / Iterations;
    }

    [Fact]
    public void Decoding_a_perf_level_change_allocates_only_the_report()
    {
        var perDecode = BytesPerDecode(PerfLevelHeader, WireModel.PerfLevel(1, 2, 3), expectSuccess: true);
        Assert.InRange(perDecode, 1, MaxReportBytes);
    }

    [Fact]
    public void A_size_rejection_allocates_nothing()
    {
        var before = BytesPerDecode(PerfLevelHeader, WireModel.PerfLevel(1, 2, 3)[..11], expectSuccess: false);
        Assert.Equal(0, before);
    }

    [Fact]
    public void Every_other_rejection_allocates_nothing()
    {
        var perfLevel = WireModel.PerfLevel(1, 2, 3);
        Assert.Equal(0, BytesPerDecode(PerfLevelHeader, WireModel.Resize(perfLevel, 13), expectSuccess: false));           // too long
        Assert.Equal(0, BytesPerDecode(PerfLevelHeader, WireModel.PerfLevel(1, 99, 3), expectSuccess: false));            // source out of range
        Assert.Equal(0, BytesPerDecode(WireModel.Header(0x20, 0), perfLevel, expectSuccess: false));                       // unknown protocol
        Assert.Equal(0, BytesPerDecode(WireModel.Header(ScmiProtocolId.Perf, 9), perfLevel, expectSuccess: false));        // unknown event
        Assert.Equal(0, BytesPerDecode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, type: 0), perfLevel, expectSuccess: false)); // not a notification
        Assert.Equal(0, BytesPerDecode(WireModel.Header(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, type: 1), perfLevel, expectSuccess: false)); // reserved type
    }
}
