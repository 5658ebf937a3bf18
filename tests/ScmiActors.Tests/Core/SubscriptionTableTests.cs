using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The handle's subscription table, driven without an ActorSystem: states, watch counts, checked transitions.</summary>
public sealed class SubscriptionTableTests
{
    private readonly SubscriptionTable<string> _table = new();

    private SubscriptionEntry<string> Add(long id, string subscriber = "alice")
    {
        var entry = new SubscriptionEntry<string>(new SubscriptionId(id), 0x13, 0, SourceSelector.Id(1), subscriber);
        _table.Add(entry);
        return entry;
    }

    [Fact]
    public void A_subscription_goes_pending_binding_active_unbinding_and_is_removed()
    {
        var entry = Add(1);
        Assert.Equal(SubscriptionState.Pending, entry.State);

        _table.BeginBinding(entry, generation: 3, replyTo: "caller");
        Assert.Equal((SubscriptionState.Binding, 3, "caller"), (entry.State, entry.Generation, entry.ReplyTo));

        _table.MarkActive(entry);
        Assert.Equal(SubscriptionState.Active, entry.State);
        Assert.Null(entry.ReplyTo); // settled: nobody is owed an answer any more

        _table.BeginUnbinding(entry);
        Assert.Equal(SubscriptionState.Unbinding, entry.State);
        Assert.True(_table.Remove(entry));
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void A_subscriber_is_watched_with_its_first_subscription_and_unwatched_with_its_last()
    {
        var first = new SubscriptionEntry<string>(new SubscriptionId(1), 0x13, 0, SourceSelector.Id(1), "alice");
        var second = new SubscriptionEntry<string>(new SubscriptionId(2), 0x13, 0, SourceSelector.All, "alice");
        Assert.True(_table.Add(first));
        Assert.False(_table.Add(second));
        Assert.True(_table.IsWatched("alice"));

        Assert.False(_table.Remove(first));
        Assert.True(_table.IsWatched("alice"));
        Assert.True(_table.Remove(second));
        Assert.False(_table.IsWatched("alice"));
    }

    [Fact]
    public void A_terminated_subscriber_is_marked_gone_once_and_its_removal_needs_no_unwatch()
    {
        var a = Add(1);
        var b = Add(2);
        var other = Add(3, "bob");

        var gone = _table.SubscriberTerminated("alice");
        Assert.Equal([a, b], gone.OrderBy(e => e.Id.Value));
        Assert.True(a.SubscriberGone && b.SubscriberGone);
        Assert.False(other.SubscriberGone);
        // A second Terminated (or one for an actor that never subscribed) finds nothing.
        Assert.Empty(_table.SubscriberTerminated("alice"));
        Assert.Empty(_table.SubscriberTerminated("nobody"));

        Assert.False(_table.Remove(a)); // DeathWatch already ended with the termination
        Assert.Equal(["bob"], _table.LiveSubscribers());
    }

    [Fact]
    public void Live_subscribers_are_distinct_and_leave_out_the_unbinding_and_the_gone()
    {
        Add(1, "alice");
        Add(2, "alice");
        var leaving = Add(3, "bob");
        _table.BeginBinding(leaving, 1, "bob");
        _table.BeginUnbinding(leaving);
        Add(4, "carol");
        _table.SubscriberTerminated("carol");

        Assert.Equal(["alice"], _table.LiveSubscribers());
    }

    [Fact]
    public void Deregistration_puts_binding_and_active_subscriptions_back_to_pending()
    {
        var binding = Add(1);
        _table.BeginBinding(binding, 1, "caller");
        var active = Add(2);
        _table.BeginBinding(active, 1, "caller");
        _table.MarkActive(active);

        _table.BackToPending(binding);
        _table.BackToPending(active);

        Assert.Equal(2, _table.CountIn(SubscriptionState.Pending));
        Assert.Null(binding.ReplyTo);
        // Pending again, it can bind under the next generation.
        _table.BeginBinding(binding, 2, "alice");
        Assert.Equal(2, binding.Generation);
    }

    [Fact]
    public void Illegal_moves_throw()
    {
        var entry = Add(1);
        Assert.Throws<InvalidOperationException>(() => _table.MarkActive(entry));
        Assert.Throws<InvalidOperationException>(() => _table.BeginUnbinding(entry));
        Assert.Throws<InvalidOperationException>(() => _table.BackToPending(entry));

        _table.BeginBinding(entry, 1, "caller");
        Assert.Throws<InvalidOperationException>(() => _table.BeginBinding(entry, 1, "caller"));

        _table.BeginUnbinding(entry);
        Assert.Throws<InvalidOperationException>(() => _table.MarkActive(entry));
        Assert.Throws<InvalidOperationException>(() => _table.BeginUnbinding(entry));
        Assert.Throws<InvalidOperationException>(() => _table.BackToPending(entry));
    }

    [Fact]
    public void An_entry_not_in_the_table_cannot_move_or_be_removed_and_ids_are_unique()
    {
        var entry = Add(1);
        Assert.Throws<InvalidOperationException>(() => Add(1, "bob"));
        _table.Remove(entry);
        Assert.Throws<InvalidOperationException>(() => _table.Remove(entry));
        Assert.Throws<InvalidOperationException>(() => _table.BeginBinding(entry, 1, "caller"));

        var bound = new SubscriptionEntry<string>(new SubscriptionId(5), 0x13, 0, SourceSelector.All, "alice");
        var other = new SubscriptionTable<string>();
        other.Add(bound);
        other.BeginBinding(bound, 1, "caller");
        // Only a fresh pending subscription is added.
        Assert.Throws<InvalidOperationException>(() => _table.Add(bound));
    }

    [Fact]
    public void Generated_ids_skip_the_ones_callers_chose()
    {
        Add(1);
        Add(2);
        Assert.Equal(new SubscriptionId(3), _table.NextId());
        Add(4);
        Assert.Equal(new SubscriptionId(5), _table.NextId());
    }
}
