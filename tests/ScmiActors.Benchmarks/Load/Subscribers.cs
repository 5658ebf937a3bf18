using Akka.Actor;
using ScmiActors.Ingestion;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Load;

/// <summary>
/// The subscriber of every actor-based variant: counts and records ingest-to-delivery latency
/// (now − report.TimestampNs, the gate's ingest stamp) under its tag.
/// </summary>
public sealed class LoadSubscriber(int tag) : UntypedActor
{
    private long _count;

    public static Props Props(int tag) => Akka.Actor.Props.Create(() => new LoadSubscriber(tag));

    protected override void OnReceive(object message)
    {
        if (message is ScmiReport report)
        {
            _count++;
            LatencySink.Record(tag, ScmiClock.NowNs() - report.TimestampNs);
        }
        // SubscriptionActive/Pending go to the asker; PlatformStopped at the end is ignored.
    }
}

/// <summary>The same work as <see cref="LoadSubscriber"/> as a plain delegate target (the Channels + delegates reference).</summary>
public sealed class DelegateSubscriber(int tag)
{
    private long _count;

    public void On(ScmiReport report)
    {
        _count++;
        LatencySink.Record(tag, ScmiClock.NowNs() - report.TimestampNs);
    }

    public long Count => _count;
}
