using ScmiActors.Platform;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The ordered stop's steps, driven without an ActorSystem.</summary>
public sealed class ShutdownSequenceTests
{
    private readonly ShutdownSequence<string> _stop = new();

    [Fact]
    public void The_stop_drains_then_releases_then_finishes_with_the_answers_held_back()
    {
        _stop.AddRequester("caller");
        _stop.BeginDrain([0x13, 0x14], [("c1", "owed")]);
        Assert.Equal(ShutdownStep.Draining, _stop.Step);
        Assert.False(_stop.ReadyToRelease);

        _stop.Drained(0x13);
        Assert.True(_stop.IsDraining(0x14));
        Assert.False(_stop.ReadyToRelease);
        _stop.Drained(0x14);
        Assert.True(_stop.ReadyToRelease);

        Assert.False(_stop.BeginRelease(["s1", "s2"]));
        Assert.Equal(ShutdownStep.Releasing, _stop.Step);
        Assert.False(_stop.ReadyToRelease);
        Assert.False(_stop.SourceDone("s1"));
        Assert.False(_stop.SourceDone("s1")); // SourcesReleased then Terminated: counted once
        Assert.True(_stop.SourceDone("s2"));

        Assert.Equal([("c1", (object)"owed")], _stop.Finish());
        Assert.Equal(["caller"], _stop.Requesters);
        Assert.Equal(ShutdownStep.Finished, _stop.Step);
        Assert.Null(_stop.Finish()); // a late deadline or a second stop finishes nothing twice
    }

    [Fact]
    public void Nothing_to_drain_or_release_lets_the_stop_finish_at_once()
    {
        _stop.BeginDrain([], []);
        Assert.True(_stop.ReadyToRelease);
        Assert.True(_stop.BeginRelease([]));
    }

    [Fact]
    public void A_source_that_confirms_before_the_release_is_nothing_to_wait_for()
    {
        _stop.BeginDrain([0x13], []);
        Assert.False(_stop.SourceDone("old")); // an old generation releasing on its own
        _stop.Drained(0x13);
        Assert.False(_stop.BeginRelease(["old"]));
        Assert.True(_stop.SourceDone("old"));
    }

    [Fact]
    public void A_queue_past_the_deadline_is_still_draining_when_the_sources_release()
    {
        _stop.BeginDrain([0x13, 0x14], []);
        _stop.Drained(0x13);
        Assert.False(_stop.BeginRelease(["s"]));
        // Finish discards only the queues that never drained; a late answer still counts.
        Assert.Equal([0x14], _stop.StillDraining);
        _stop.Drained(0x14);
        Assert.Empty(_stop.StillDraining);
    }

    [Fact]
    public void A_confirmation_after_the_disable_deadline_finishes_nothing()
    {
        _stop.BeginDrain([], []);
        _stop.BeginRelease(["slow"]);
        Assert.NotNull(_stop.Finish()); // the deadline passed without "slow"
        Assert.False(_stop.SourceDone("slow"));
    }

    [Fact]
    public void A_terminated_subscriber_is_owed_nothing()
    {
        _stop.BeginDrain([], [("alice", "a"), ("bob", "b"), ("alice", "c")]);
        _stop.StrikeRecipient("alice");
        Assert.Equal([("bob", (object)"b")], _stop.Finish());
    }

    [Fact]
    public void A_failed_or_starting_platform_finishes_without_draining()
    {
        _stop.AddRequester("caller");
        Assert.Empty(_stop.Finish()!);
        Assert.Equal(ShutdownStep.Finished, _stop.Step);
    }

    [Fact]
    public void Steps_out_of_order_throw()
    {
        Assert.Throws<InvalidOperationException>(() => _stop.Drained(0x13));
        Assert.Throws<InvalidOperationException>(() => _stop.BeginRelease([]));
        _stop.BeginDrain([0x13], []);
        Assert.Throws<InvalidOperationException>(() => _stop.BeginDrain([], []));
        _stop.BeginRelease([]);
        Assert.Throws<InvalidOperationException>(() => _stop.BeginRelease([]));
        _stop.Finish();
        Assert.Throws<InvalidOperationException>(() => _stop.BeginDrain([], []));
        Assert.Throws<InvalidOperationException>(() => _stop.BeginRelease([]));
    }
}
