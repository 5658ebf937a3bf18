using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The source actors' one way of waiting for replies, driven without an ActorSystem.</summary>
public sealed class PendingRepliesTests
{
    private sealed record Reply(int Key, string Text);

    private readonly PendingReplies<int, Reply> _pending = new(r => r.Key);
    private readonly List<SettledReplies<int, Reply>> _settled = new();

    private void Begin(params int[] keys) => _pending.Begin(keys, _settled.Add);

    [Fact]
    public void A_reply_matches_by_its_key_and_settles_the_wait_once()
    {
        Begin(7);
        Assert.True(_pending.IsWaiting);

        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(7, "ok")));

        var settled = Assert.Single(_settled);
        Assert.True(settled.Complete);
        Assert.Equal(new Reply(7, "ok"), Assert.Single(settled.Replies));
        Assert.False(_pending.IsWaiting);
        Assert.Empty(_pending.Outstanding);
    }

    [Fact]
    public void The_wait_settles_only_when_every_key_has_answered_whatever_the_order()
    {
        Begin(1, 2, 3);

        Assert.Equal(ReplyMatch.Awaiting, _pending.Offer(new Reply(3, "c")));
        Assert.Equal(ReplyMatch.Awaiting, _pending.Offer(new Reply(1, "a")));
        Assert.Equal([2], _pending.Outstanding);
        Assert.Equal([new Reply(3, "c"), new Reply(1, "a")], _pending.Replies);
        Assert.Empty(_settled);

        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(2, "b")));
        Assert.Equal(["c", "a", "b"], Assert.Single(_settled).Replies.Select(r => r.Text));
    }

    [Fact]
    public void A_reply_for_a_key_never_asked_for_matches_nothing_and_changes_nothing()
    {
        Begin(1, 2);

        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(9, "stranger")));

        Assert.Equal([1, 2], _pending.Outstanding.Order());
        Assert.Empty(_pending.Replies);
        Assert.Empty(_settled);
    }

    [Fact]
    public void A_duplicate_reply_is_not_counted_for_a_key_still_outstanding()
    {
        Begin(1, 2);
        _pending.Offer(new Reply(1, "first"));

        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(1, "again")));

        Assert.Equal([2], _pending.Outstanding);
        Assert.Equal("first", Assert.Single(_pending.Replies).Text);
        Assert.Empty(_settled);
    }

    [Fact]
    public void A_reply_with_no_wait_in_progress_matches_nothing()
    {
        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(1, "late")));
        Assert.False(_pending.IsWaiting);
        Assert.Empty(_settled);
    }

    [Fact]
    public void Expiring_settles_with_what_arrived_and_names_the_keys_nobody_answered()
    {
        Begin(1, 2, 3);
        _pending.Offer(new Reply(2, "b"));

        Assert.True(_pending.Expire());

        var settled = Assert.Single(_settled);
        Assert.False(settled.Complete);
        Assert.Equal([1, 3], settled.Missing.Order());
        Assert.Equal("b", Assert.Single(settled.Replies).Text);
        Assert.False(_pending.IsWaiting);
        Assert.Empty(_pending.Outstanding);
        Assert.Empty(_pending.Replies);
    }

    [Fact]
    public void A_wait_expires_once_and_its_late_replies_match_nothing()
    {
        Begin(1);
        Assert.True(_pending.Expire());

        Assert.False(_pending.Expire()); // a second timer, or the replier's death after the timer
        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(1, "late")));
        Assert.Single(_settled);
    }

    [Fact]
    public void A_late_reply_of_an_expired_wait_does_not_answer_the_next_one()
    {
        Begin(1);
        _pending.Expire();
        Begin(2);

        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(1, "late")));

        Assert.Equal([2], _pending.Outstanding);
        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(2, "current")));
        Assert.Equal("current", Assert.Single(_settled[1].Replies).Text);
    }

    [Fact]
    public void With_no_keys_the_wait_settles_at_once_and_complete()
    {
        Begin();

        var settled = Assert.Single(_settled);
        Assert.True(settled.Complete);
        Assert.Empty(settled.Replies);
        Assert.False(_pending.IsWaiting);
    }

    [Fact]
    public void A_key_given_twice_is_awaited_once()
    {
        Begin(4, 4);

        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(4, "d")));
        Assert.True(Assert.Single(_settled).Complete);
    }

    [Fact]
    public void A_second_wait_cannot_begin_while_one_is_in_progress_and_the_first_is_untouched()
    {
        Begin(1);

        Assert.Throws<InvalidOperationException>(() => Begin(2));

        Assert.Equal([1], _pending.Outstanding);
        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(2, "other")));
        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(1, "a")));
        Assert.Single(_settled);
    }

    [Fact]
    public void The_continuation_may_begin_the_next_wait_as_steps_chain()
    {
        // As an enable's answer leads to publishing the route: the first wait is gone before the next begins.
        _pending.Begin([1], first =>
        {
            _settled.Add(first);
            Assert.False(_pending.IsWaiting);
            _pending.Begin([2], _settled.Add);
        });

        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(1, "enabled")));

        Assert.True(_pending.IsWaiting);
        Assert.Equal([2], _pending.Outstanding);
        Assert.Empty(_pending.Replies); // the first wait's reply is not carried over
        Assert.Equal(ReplyMatch.Settled, _pending.Offer(new Reply(2, "installed")));
        Assert.Equal(2, _settled.Count);
    }

    [Fact]
    public void A_continuation_that_throws_still_ends_the_wait()
    {
        // The actor returns to Idle after a failing step only if nothing is left waiting.
        _pending.Begin([1], _ => throw new InvalidOperationException("step failed"));

        Assert.Throws<InvalidOperationException>(() => _pending.Offer(new Reply(1, "a")));

        Assert.False(_pending.IsWaiting);
        Begin(2);
        Assert.Equal([2], _pending.Outstanding);
    }

    [Fact]
    public void Clearing_forgets_the_wait_without_answering_anyone()
    {
        Begin(1, 2);
        _pending.Offer(new Reply(1, "a"));

        _pending.Clear();

        Assert.Empty(_settled);
        Assert.False(_pending.IsWaiting);
        Assert.Empty(_pending.Outstanding);
        Assert.Empty(_pending.Replies);
        Assert.False(_pending.Expire());
        Assert.Equal(ReplyMatch.Unmatched, _pending.Offer(new Reply(2, "b")));
        Begin(3);
        Assert.Equal([3], _pending.Outstanding);
    }

    [Fact]
    public void A_link_result_matches_by_the_correlation_echoed_not_by_reference()
    {
        // As the event-source actor waits: the link echoes the boxed ticket back in its own object.
        var commands = new PendingReplies<object, CommandResult>(r => r.Correlation);
        SettledReplies<object, CommandResult>? settled = null;
        commands.Begin([42L], s => settled = s);

        Assert.Equal(ReplyMatch.Unmatched, commands.Offer(new CommandResult(42, CommandOutcome.Answered, ScmiStatus.Success, [])));
        Assert.Equal(ReplyMatch.Unmatched, commands.Offer(new CommandResult(41L, CommandOutcome.Answered, ScmiStatus.Success, [])));
        Assert.Null(settled);

        Assert.Equal(ReplyMatch.Settled, commands.Offer(new CommandResult(42L, CommandOutcome.Answered, ScmiStatus.Denied, [])));
        Assert.Equal(ScmiStatus.Denied, Assert.Single(settled!.Replies).Status);
    }
}
