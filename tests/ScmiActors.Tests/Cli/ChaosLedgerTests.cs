using ScmiActors.Cli.Chaos;
using Xunit;
using static ScmiActors.Cli.Chaos.SubscriberLineKind;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The chaos harness's accounting without processes: agents as the platform reports them, subscribers' lines as
/// the nodes print them, in arrival order (the numbers), and what each reconciliation must conclude.
/// </summary>
public sealed class ChaosLedgerTests
{
    // Agent 1 served from line 10 and went at 100 (its node killed); agent 2 linked at 130 after 1000 sent, 1 left in the slot.
    private static readonly AgentSpan[] TwoAgents =
    [
        new(1, 10, 100, 0, 0, "node 0#1"),
        new(2, 130, 300, 1000, 1, null),
    ];

    private static SubscriberLog Survivor(long atPending, long atActive, long final) => new("node 2#1",
    [
        new(20, Active, 0),
        new(120, Pending, atPending),
        new(125, Active, atActive),
        new(130, Count, atActive), // its periodic count just after the others were active again
        new(310, Pending, final),
        new(400, Final, final),
    ]);

    [Fact]
    public void A_subscriber_that_received_everything_the_last_agent_was_sent_reconciles_with_nothing_lost()
    {
        var accounts = ChaosLedger.Reconcile(TwoAgents, totalSent: 1500, totalLeft: 1, [Survivor(900, 900, 1400)]);

        Assert.Equal(2, accounts.Count);
        Assert.Empty(accounts[0].Shares); // subscriptions began during the first agent
        Assert.Null(accounts[0].Problem);
        var last = accounts[1];
        Assert.Equal((500L, 0L, false), (last.Sent, last.LeftInSlot, last.Killed));
        Assert.Equal(new AgentShare("node 2#1", 500, 500), Assert.Single(last.Shares));
        Assert.Null(last.Problem);
    }

    [Fact]
    public void Receiving_more_than_an_agent_was_sent_is_a_duplicate_and_fails()
    {
        var accounts = ChaosLedger.Reconcile(TwoAgents, totalSent: 1500, totalLeft: 1, [Survivor(900, 900, 1401)]);

        Assert.Equal("node 2#1 received 1 more than the agent was sent", accounts[1].Problem);
    }

    [Fact]
    public void A_gap_after_a_graceful_end_is_allowed_only_up_to_what_came_before_the_restored_subscriptions_were_bound()
    {
        var first = new SubscriberLog("node 1#1",
        [
            new(21, Active, 0),
            new(121, Pending, 700),
            new(127, Active, 703), // received 3 before all its subscriptions were bound
            new(311, Pending, 1200),
            new(401, Final, 1200),
        ]);
        var late = Survivor(900, 900, 1397); // 3 short: bound after the first

        var accounts = ChaosLedger.Reconcile(TwoAgents, 1500, 1, [first, late]);
        Assert.Null(accounts[1].Problem);
        Assert.Equal([0L, 3L], accounts[1].Shares.Select(s => s.Lost));

        var tooShort = Survivor(900, 900, 1396);
        accounts = ChaosLedger.Reconcile(TwoAgents, 1500, 1, [first, tooShort]);
        Assert.Equal("node 2#1 is missing 4 though no node was killed (at most 3 could precede its binding)", accounts[1].Problem);
    }

    [Fact]
    public void Reports_an_early_bound_subscriber_received_after_its_own_activation_but_before_the_last_one_s_count_as_early()
    {
        // node 1#1 is active again at 126 having received nothing new, and gets 5 more by its count at 129; node 2#1
        // is active only at 128, having missed those 5 (and its own count at activation shows none received early).
        var early = new SubscriberLog("node 1#1",
        [
            new(21, Active, 0),
            new(121, Pending, 700),
            new(126, Active, 700),
            new(129, Count, 705),
            new(311, Pending, 1200),
            new(401, Final, 1200),
        ]);
        var late = new SubscriberLog("node 2#1",
        [
            new(20, Active, 0),
            new(120, Pending, 900),
            new(128, Active, 900),
            new(131, Count, 900),
            new(310, Pending, 1395),
            new(400, Final, 1395),
        ]);

        var accounts = ChaosLedger.Reconcile(TwoAgents, 1500, 1, [early, late]);
        Assert.Null(accounts[1].Problem);
        Assert.Equal([0L, 5L], accounts[1].Shares.Select(s => s.Lost));
        Assert.Equal(5, ChaosLedger.EarlyOf([early, late], 100, 300));

        // One more missing than the early ones received is a loss the ledger names.
        var oneMore = late with { Lines = [.. late.Lines.Take(4), new(310, Pending, 1394), new(400, Final, 1394)] };
        Assert.Equal("node 2#1 is missing 6 though no node was killed (at most 5 could precede its binding)",
            ChaosLedger.Reconcile(TwoAgents, 1500, 1, [early, oneMore])[1].Problem);
    }

    [Fact]
    public void Reports_the_last_host_delivered_to_nobody_widen_the_allowed_gap_by_exactly_their_number()
    {
        // Both subscribers miss the same 2: they reached the new host after its first enables and before any
        // subscription was bound again, so no subscriber counted them; the host's own counters did.
        var missingTwo = Survivor(900, 900, 1398);

        Assert.Equal("node 2#1 is missing 2 though no node was killed (at most 0 could precede its binding)",
            ChaosLedger.Reconcile(TwoAgents, 1500, 1, [missingTwo]).Single(a => a.Agent == 2).Problem);
        Assert.Null(ChaosLedger.Reconcile(TwoAgents, 1500, 1, [missingTwo], lastHostUndelivered: 2)[1].Problem);
        Assert.Equal("node 2#1 is missing 2 though no node was killed (at most 0 could precede its binding, and 1 went to no subscriber)",
            ChaosLedger.Reconcile(TwoAgents, 1500, 1, [missingTwo], lastHostUndelivered: 1)[1].Problem);
    }

    [Fact]
    public void Losses_with_a_killed_node_are_named_and_kept_under_the_bound_when_one_is_given()
    {
        AgentSpan[] agents =
        [
            new(1, 10, 100, 0, 0, "node 0#1"),
            new(2, 130, 300, 1000, 1, "node 1#2"),
            new(3, 330, 500, 1600, 1, null),
        ];
        var survivor = new SubscriberLog("node 2#1",
        [
            new(20, Active, 0),
            new(120, Pending, 900),
            new(125, Active, 900),
            new(320, Pending, 1491), // 600 were sent to agent 2: 9 went down with node 1
            new(325, Active, 1491),
            new(600, Final, 1691),
        ]);

        var accounts = ChaosLedger.Reconcile(agents, 1800, 1, [survivor]);
        Assert.True(accounts[1].Killed);
        Assert.Equal(9, Assert.Single(accounts[1].Shares).Lost);
        Assert.Null(accounts[1].Problem);
        Assert.Equal(0, Assert.Single(accounts[2].Shares).Lost);

        accounts = ChaosLedger.Reconcile(agents, 1800, 1, [survivor], lossBound: 8);
        Assert.Equal("node 2#1 lost 9, more than the bound of 8 for a killed node", accounts[1].Problem);
    }

    [Fact]
    public void A_subscriber_that_had_to_subscribe_again_or_joined_late_is_not_reconciled()
    {
        var resubscribed = new SubscriberLog("node 2#1",
        [
            new(20, Active, 0),
            new(120, Pending, 900),
            new(122, Waiting, 900),
            new(125, Active, 905),
            new(400, Final, 1405),
        ]);
        var joinedLate = new SubscriberLog("node 0#2", [new(200, Active, 0), new(401, Final, 300)]);

        var accounts = ChaosLedger.Reconcile(TwoAgents, 1500, 1, [resubscribed, joinedLate]);
        Assert.Empty(accounts[1].Shares);
        Assert.Null(accounts[1].Problem);
    }

    [Fact]
    public void Platform_counts_that_go_backwards_are_a_problem_of_their_own()
    {
        AgentSpan[] agents = [new(1, 10, 100, 0, 0, null), new(2, 130, null, 1000, 2, null)];

        var accounts = ChaosLedger.Reconcile(agents, totalSent: 900, totalLeft: 2, []);
        Assert.Equal("the platform's counts do not add up (-100 sent, 0 left in the slot)", accounts[1].Problem);
    }
}
