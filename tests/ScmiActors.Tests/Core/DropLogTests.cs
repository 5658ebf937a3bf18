using ScmiActors.Messages;
using ScmiActors.Platform;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The drop log's memory, driven without an ActorSystem: each look reports only what was lost since the last.</summary>
public sealed class DropLogTests
{
    private readonly DropLog _log = new();

    private static ProtocolStats Stats(long full = 0, long limited = 0, long unknownEvent = 0, long tooShort = 0) =>
        ProtocolStats.Empty(0x13) with
        {
            DroppedQueueFull = full, DroppedRateLimited = limited, RejectedUnknownEvent = unknownEvent, MalformedTooShort = tooShort,
        };

    [Fact]
    public void Gate_rejections_are_reported_as_differences_and_only_when_they_grew()
    {
        Assert.Null(_log.GateSince(0, 0));
        Assert.Equal((3L, 0L), _log.GateSince(3, 0));
        Assert.Null(_log.GateSince(3, 0));
        Assert.Equal((0L, 2L), _log.GateSince(3, 2));
    }

    [Fact]
    public void A_protocol_s_losses_are_reported_as_differences_and_only_when_there_are_some()
    {
        Assert.Null(_log.ProtocolSince(Stats()));
        Assert.Equal(new ProtocolLosses(0x13, 4, 1, 2, 3), _log.ProtocolSince(Stats(full: 4, limited: 1, unknownEvent: 2, tooShort: 3)));
        Assert.Null(_log.ProtocolSince(Stats(full: 4, limited: 1, unknownEvent: 2, tooShort: 3)));
        Assert.Equal(new ProtocolLosses(0x13, 1, 0, 0, 0), _log.ProtocolSince(Stats(full: 5, limited: 1, unknownEvent: 2, tooShort: 3)));
    }

    [Fact]
    public void Counters_that_went_down_mean_a_new_registration_and_become_the_new_baseline()
    {
        _log.ProtocolSince(Stats(full: 10));
        Assert.Null(_log.ProtocolSince(Stats(full: 2)));
        Assert.Equal(new ProtocolLosses(0x13, 1, 0, 0, 0), _log.ProtocolSince(Stats(full: 3)));
    }

    [Fact]
    public void Protocols_are_remembered_apart()
    {
        _log.ProtocolSince(Stats(full: 10));
        var other = ProtocolStats.Empty(0x14) with { DroppedQueueFull = 1 };
        Assert.Equal(new ProtocolLosses(0x14, 1, 0, 0, 0), _log.ProtocolSince(other));
    }
}
