using Akka.Actor;
using HdrHistogram;
using ScmiActors.Benchmarks.Load;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>Deliveries and the time of the last one (ScmiClock ns), readable from another thread while the subscriber runs.</summary>
public sealed class Tally
{
    private long _count;
    private long _lastNs;

    public long Count => Volatile.Read(ref _count);
    public long LastNs => Volatile.Read(ref _lastNs);

    /// <summary>The subscriber's thread only.</summary>
    public void Delivered(long nowNs)
    {
        Volatile.Write(ref _lastNs, nowNs);
        Volatile.Write(ref _count, _count + 1);
    }

    public void Reset()
    {
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _lastNs, 0);
    }
}

/// <summary>A subscriber's figures since its last reset.</summary>
public sealed record SubscriberStats(long Count, long LastNs, LatencyStats Latency);

/// <summary>
/// The subscriber of every remote-benchmark variant, in node A (local) or node B (remote): the same
/// work as the load generator's <see cref="LoadSubscriber"/> (count; record now − report.TimestampNs,
/// the gate's ingest stamp, in an HdrHistogram), plus the time of the last delivery, so a run's
/// length ends at its last delivery in whichever process it happened (ScmiClock is CLOCK_MONOTONIC,
/// one clock for every process of the machine). Its histogram is its own (an actor records on one
/// thread at a time); <see cref="Reset"/> and <see cref="Snapshot"/> come from its own process, never
/// over the wire. Akka answers the delivery window's Identify markers before this code sees them.
/// </summary>
public sealed class BenchSubscriber(Tally tally) : UntypedActor
{
    private readonly LongHistogram _latency = new(LatencySink.HighestTrackableNs, 3);
    private TaskCompletionSource? _active;

    public static Props Props(Tally tally) => Akka.Actor.Props.Create(() => new BenchSubscriber(tally));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ScmiReport report:
                var now = ScmiClock.NowNs();
                _latency.RecordValue(Math.Clamp(now - report.TimestampNs, 0, LatencySink.HighestTrackableNs));
                tally.Delivered(now);
                break;
            case Reset:
                _latency.Reset();
                tally.Reset();
                Sender.Tell(Reset.Instance);
                break;
            case Snapshot:
                Sender.Tell(new SubscriberStats(tally.Count, tally.LastNs, LatencyStats.From(_latency)));
                break;
            case AwaitActive a:
                _active = a.Active;
                break;
            case SubscriptionActive:
                _active?.TrySetResult();
                break;
            // SubscriptionPending before Active, PlatformStopped at the end: nothing to do.
        }
    }

    public sealed record Reset
    {
        public static readonly Reset Instance = new();
    }

    public sealed record Snapshot
    {
        public static readonly Snapshot Instance = new();
    }

    /// <summary>Completes <paramref name="Active"/> when a SubscriptionActive reaches the subscriber (after a Pending answer).</summary>
    public sealed record AwaitActive(TaskCompletionSource Active);

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> through <paramref name="handles"/> (the shard region, or
    /// the proxy on a subscriber node) to one source of one event, and waits until the subscription is active.
    /// </summary>
    public static async Task SubscribeAsync(IActorRef handles, IActorRef subscriber, string platformId, byte protocol, byte evt, uint source,
        TimeSpan timeout)
    {
        var active = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Tell(new AwaitActive(active));
        var answer = await handles.Ask<object>(new Subscribe(platformId, protocol, evt, SourceSelector.Id(source), subscriber), timeout);
        switch (answer)
        {
            case SubscriptionActive:
                return;
            case SubscriptionPending:
                await active.Task.WaitAsync(timeout);
                return;
            default:
                throw new InvalidOperationException($"subscription to {platformId} answered {answer}");
        }
    }
}
