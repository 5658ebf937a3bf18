using Akka.Actor;
using Akka.TestKit.Xunit2;
using ScmiActors.Dispatch;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The window bookkeeping on its own: markers, cumulative answers, exemption, and the Blocked count.</summary>
public sealed class DeliveryWindowsSpec : TestKit
{
    private const int Window = 8; // a marker every 2 deliveries, shut at 4 outstanding

    private static List<Identify> Deliver(DeliveryWindows windows, SubscriberFlow flow, int count)
    {
        var markers = new List<Identify>();
        for (var i = 0; i < count; i++)
            if (windows.Delivered(flow) is { } marker) markers.Add(marker);
        return markers;
    }

    [Fact]
    public void A_window_shuts_after_a_window_of_deliveries_and_any_answer_opens_it()
    {
        var windows = new DeliveryWindows(Window);
        var flow = windows.For(CreateTestProbe().Ref);
        var markers = Deliver(windows, flow, Window - 1);
        Assert.Equal((3, 0), (markers.Count, windows.Blocked));
        markers.AddRange(Deliver(windows, flow, 1));
        Assert.Equal((4, 1), (markers.Count, windows.Blocked));

        Assert.Same(flow, windows.Answered(markers[0].MessageId));
        Assert.Equal(0, windows.Blocked);
        Assert.Equal(3, flow.Outstanding);
    }

    [Fact]
    public void Answers_are_cumulative_so_lost_markers_heal_and_late_ones_are_ignored()
    {
        var windows = new DeliveryWindows(Window);
        var flow = windows.For(CreateTestProbe().Ref);
        var markers = Deliver(windows, flow, 4 * Window); // 16 markers, shut
        Assert.Equal(1, windows.Blocked);

        // Markers 1..15 were lost (a remote connection dropped); the answer to 16 covers them.
        Assert.Same(flow, windows.Answered(markers[15].MessageId));
        Assert.Equal((0L, 0), (flow.Outstanding, windows.Blocked));
        // A late answer to an earlier marker changes nothing.
        Assert.Null(windows.Answered(markers[3].MessageId));
        Assert.Equal((0L, 0), (flow.Outstanding, windows.Blocked));
        Assert.Null(windows.Answered("not a marker id"));
    }

    [Fact]
    public void A_stalled_subscriber_is_exempt_until_it_is_back_within_its_window_and_keeps_getting_markers()
    {
        var windows = new DeliveryWindows(Window);
        var flow = windows.For(CreateTestProbe().Ref);
        var markers = Deliver(windows, flow, Window);
        Assert.Equal(1, windows.Blocked);

        Assert.Equal([flow], windows.ExemptStalled(long.MaxValue));
        Assert.Equal(0, windows.Blocked);
        markers.AddRange(Deliver(windows, flow, 10 * Window)); // delivered without a window, markers still go out
        Assert.Equal((44, 0), (markers.Count, windows.Blocked));

        // Catching up: answers far behind keep it exempt; within a window it is windowed again.
        windows.Answered(markers[9].MessageId);
        Assert.True(flow.Exempt);
        windows.Answered(markers[41].MessageId);
        Assert.False(flow.Exempt);
        Assert.Equal((2L, 0), (flow.Outstanding, windows.Blocked));
        Deliver(windows, flow, 4);
        Assert.Equal(1, windows.Blocked);
    }

    [Fact]
    public void A_subscriber_routed_twice_per_event_with_a_tiny_window_never_drives_the_count_negative()
    {
        // The case a review found: two deliveries per report, a marker per delivery, an exemption,
        // then answers. Blocked must always equal the number of shut windows.
        var windows = new DeliveryWindows(4); // a marker every delivery
        var flow = windows.For(CreateTestProbe().Ref);
        var markers = Deliver(windows, flow, 5);
        Assert.Equal(1, windows.Blocked);
        windows.ExemptStalled(long.MaxValue);
        Assert.Equal(0, windows.Blocked);
        windows.Answered(markers[0].MessageId); // 4 outstanding: still exempt, not counted
        Assert.Equal(0, windows.Blocked);
        windows.Answered(markers[1].MessageId); // 3 outstanding: windowed again, open
        Assert.Equal((false, 0), (flow.Exempt, windows.Blocked));
        Deliver(windows, flow, 1);
        Assert.Equal(1, windows.Blocked);
    }

    [Fact]
    public void Forgetting_a_shut_subscriber_opens_the_drain_and_its_answers_are_ignored()
    {
        var windows = new DeliveryWindows(Window);
        var slow = windows.For(CreateTestProbe().Ref);
        var other = windows.For(CreateTestProbe().Ref);
        var markers = Deliver(windows, slow, Window);
        Assert.Equal(1, windows.Blocked);

        windows.RetainOnly([other]);
        Assert.Equal(0, windows.Blocked);
        Assert.Null(windows.Answered(markers[0].MessageId));
        Assert.Single(windows.Flows);
    }

    [Fact]
    public void Without_a_window_no_marker_is_ever_sent()
    {
        var windows = new DeliveryWindows(null);
        var flow = windows.For(CreateTestProbe().Ref);
        Assert.Empty(Deliver(windows, flow, 100_000));
        Assert.Equal(0, windows.Blocked);
    }

    [Fact]
    public void Random_interleavings_keep_Blocked_equal_to_the_shut_windows()
    {
        var random = new Random(2604);
        var windows = new DeliveryWindows(Window);
        var refs = Enumerable.Range(0, 5).Select(_ => CreateTestProbe().Ref).ToArray();
        var sent = refs.ToDictionary(r => r, _ => new List<Identify>());
        var routed = refs.ToHashSet();
        for (var step = 0; step < 20_000; step++)
        {
            var r = refs[random.Next(refs.Length)];
            switch (random.Next(10))
            {
                case < 5:
                    if (!routed.Contains(r)) routed.Add(r);
                    if (windows.Delivered(windows.For(r)) is { } marker) sent[r].Add(marker);
                    break;
                case < 8:
                    if (sent[r].Count > 0) windows.Answered(sent[r][random.Next(sent[r].Count)].MessageId); // any order, duplicates
                    break;
                case 8:
                    windows.ExemptStalled(long.MaxValue);
                    break;
                default:
                    routed.Remove(r);
                    windows.RetainOnly(windows.Flows.Where(f => routed.Contains(f.Subscriber)).ToHashSet());
                    sent[r].Clear();
                    break;
            }
            var shut = windows.Flows.Count(f => !f.Exempt && f.Outstanding >= DeliveryWindows.MaxMarks);
            Assert.Equal(shut, windows.Blocked);
            Assert.All(windows.Flows, f => Assert.InRange(f.Outstanding, 0, long.MaxValue));
        }
    }
}
