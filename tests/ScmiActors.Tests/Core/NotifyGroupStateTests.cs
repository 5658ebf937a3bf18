using ScmiActors.Subscriptions;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>
/// The union of a grouped NOTIFY (i.MX BBM_RTC_NOTIFY sets all three RTC enables per call), driven
/// without an ActorSystem: what goes on the wire, in which order, and who is answered.
/// </summary>
public sealed class NotifyGroupStateTests
{
    // RTC 1 of the i.MX BBM: sources 3 alarm, 4 rollover, 5 updated.
    private const uint Alarm = 3, Rollover = 4, Updated = 5;

    private readonly NotifyGroupState<string> _group = new();

    [Fact]
    public void Enabling_a_second_kind_sends_both_and_disabling_one_keeps_the_other()
    {
        Assert.Equal([Alarm], _group.Request(Alarm, true, "alarm-on")!);
        Assert.Equal(["alarm-on"], _group.Completed(true).Answer);

        // Today's per-source request would carry only the updated bit and switch the alarm off.
        Assert.Equal([Alarm, Updated], _group.Request(Updated, true, "updated-on")!);
        Assert.Equal(["updated-on"], _group.Completed(true).Answer);

        Assert.Equal([Updated], _group.Request(Alarm, false, "alarm-off")!);
        var step = _group.Completed(true);
        Assert.Equal(["alarm-off"], step.Answer);
        Assert.Null(step.SendNext);
        Assert.Equal([Updated], _group.Wanted);

        Assert.Empty(_group.Request(Updated, false, "updated-off")!); // the last one off: flags 0
        _group.Completed(true);
        Assert.True(_group.IsEmpty);
    }

    [Fact]
    public void Changes_made_while_a_request_is_on_the_wire_go_out_together_as_the_final_union()
    {
        _group.Request(Alarm, true, "alarm-on");
        _group.Completed(true);

        // One request on the wire at a time: enable updated goes out now ...
        Assert.Equal([Alarm, Updated], _group.Request(Updated, true, "updated-on")!);
        // ... and while it is outstanding, rollover on and alarm off only wait.
        Assert.Null(_group.Request(Rollover, true, "rollover-on"));
        Assert.Null(_group.Request(Alarm, false, "alarm-off"));
        Assert.Equal(2, _group.Waiting);
        Assert.Equal([Alarm, Updated], _group.Sending!);

        var first = _group.Completed(true);
        Assert.Equal(["updated-on"], first.Answer);
        // Both waiting changes in one request: the last request on the wire carries the final union.
        Assert.Equal([Rollover, Updated], first.SendNext!);

        var second = _group.Completed(true);
        Assert.Equal(["rollover-on", "alarm-off"], second.Answer);
        Assert.Null(second.SendNext);
        Assert.Null(_group.Sending);
        Assert.Equal([Rollover, Updated], _group.Wanted);
    }

    [Fact]
    public void A_refused_enable_leaves_the_union_so_no_later_request_claims_it()
    {
        _group.Request(Alarm, true, "alarm-on");
        _group.Completed(true);

        Assert.Equal([Alarm, Rollover], _group.Request(Rollover, true, "rollover-on")!);
        Assert.Null(_group.Request(Updated, true, "updated-on"));
        var refused = _group.Completed(false);
        Assert.Equal(["rollover-on"], refused.Answer);
        // The next request has the alarm (still on) and updated, not the refused rollover.
        Assert.Equal([Alarm, Updated], refused.SendNext!);
        _group.Completed(true);
        Assert.Equal([Alarm, Updated], _group.Wanted);

        // And the refused kind can be asked for again.
        Assert.Equal([Alarm, Rollover, Updated], _group.Request(Rollover, true, "rollover-again")!);
    }

    [Fact]
    public void A_refused_request_fails_every_change_it_carried_and_a_disable_stays_off()
    {
        _group.Request(Alarm, true, "alarm-on");
        _group.Completed(true);
        _group.Request(Updated, true, "updated-on");
        _group.Completed(true);

        _group.Request(Rollover, true, "rollover-on");
        Assert.Null(_group.Request(Alarm, false, "alarm-off"));
        Assert.Null(_group.Request(Updated, false, "updated-off"));
        var first = _group.Completed(true);
        Assert.Equal([Rollover], first.SendNext!);

        var refused = _group.Completed(false);
        Assert.Equal(["alarm-off", "updated-off"], refused.Answer);
        Assert.Null(refused.SendNext);
        Assert.Equal([Rollover], _group.Wanted); // a disable is never taken back
    }

    [Fact]
    public void Impossible_transitions_throw()
    {
        Assert.Throws<InvalidOperationException>(() => _group.Completed(true)); // nothing on the wire
        Assert.Throws<InvalidOperationException>(() => _group.Request(Alarm, false, "off-while-off"));

        _group.Request(Alarm, true, "alarm-on");
        // The same source again while its request is outstanding (a source actor runs one step at a time).
        Assert.Throws<InvalidOperationException>(() => _group.Request(Alarm, false, "alarm-off-too-early"));
        _group.Completed(true);
        Assert.Throws<InvalidOperationException>(() => _group.Request(Alarm, true, "alarm-on-twice"));

        _group.Request(Updated, true, "updated-on");
        Assert.Null(_group.Request(Rollover, true, "rollover-on"));
        Assert.Throws<InvalidOperationException>(() => _group.Request(Rollover, false, "rollover-off-while-waiting"));
        // A refused call changed nothing.
        Assert.Equal([Alarm, Rollover, Updated], _group.Wanted);
        Assert.Equal(1, _group.Waiting);
    }
}
