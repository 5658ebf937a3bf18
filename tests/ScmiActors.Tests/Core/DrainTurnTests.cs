using ScmiActors.Dispatch;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The protocol actor's end-of-turn rule (<see cref="DrainTurn"/>), without an ActorSystem.</summary>
public class DrainTurnTests
{
    [Theory]
    [InlineData(0, 256, false, "Unschedule")] // a linger turn that found nothing
    [InlineData(1, 256, false, "Unschedule")] // a lone event: no stream to wait for
    [InlineData(2, 256, false, "Linger")]     // a stream ran the ring empty
    [InlineData(255, 256, false, "Linger")]
    [InlineData(256, 256, false, "Yield")]    // a full batch: more may be queued
    [InlineData(1, 1, false, "Yield")]        // drain-batch = 1: every turn is full
    [InlineData(0, 256, true, "Wait")]        // a shut window wins over everything
    [InlineData(5, 256, true, "Wait")]
    [InlineData(256, 256, true, "Wait")]
    // AfterDrain is internal, and a public test method cannot take it: its name stands in.
    public void A_turn_ends_by_the_entries_it_took(int processed, int batch, bool windowShut, string expected) =>
        Assert.Equal(expected, DrainTurn.Next(processed, batch, windowShut).ToString());
}
