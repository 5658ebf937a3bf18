using Akka.Actor;
using HdrHistogram;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>Asks a sample subscriber for what it saw; answered with <see cref="SubscriberReport"/>.</summary>
public sealed record GetSubscriberReport
{
    public static readonly GetSubscriberReport Instance = new();
}

/// <summary>A subscriber's counts and its ingest-to-delivery latencies (a histogram copy, in nanoseconds).</summary>
public sealed record SubscriberReport(string Name, long Reports, int ActiveSubscriptions, int FailedSubscriptions,
    bool PlatformStopped, HistogramBase Latency, IReadOnlyList<string> Notes);

/// <summary>
/// What every sample subscriber does besides its own job: subscribes, tracks the answers, records
/// the ingest-to-delivery latency of each report, notices PlatformStopped. Owned by one actor.
/// </summary>
internal sealed class SubscriberBook(string name)
{
    private readonly LongHistogram _latency = new(TimeStamp.Seconds(10), 3);
    private readonly Dictionary<string, int> _notes = new();

    public long Reports { get; private set; }
    public int Active { get; private set; }
    public int Failed { get; private set; }
    public bool Stopped { get; private set; }

    public static void Subscribe(IActorRef handles, IActorRef self, string platformId, byte protocol, byte evt, SourceSelector source) =>
        handles.Tell(new Subscribe(platformId, protocol, evt, source, self), self);

    public void Record(ScmiReport report)
    {
        Reports++;
        var latency = ScmiClock.NowNs() - report.TimestampNs;
        if (latency > 0) _latency.RecordValue(Math.Min(latency, _latency.HighestTrackableValue));
    }

    /// <summary>Handles the subscription lifecycle messages; true when the message was one of them.</summary>
    public bool Lifecycle(object message)
    {
        switch (message)
        {
            case SubscriptionActive:
                Active++;
                return true;
            case SubscriptionPending:
                return true;
            case SubscriptionFailed f:
                Failed++;
                Note($"subscription failed: {f.Reason}");
                return true;
            case PlatformStopped:
                Stopped = true;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Keeps distinct notes with how often each happened (at most 20 distinct).</summary>
    public void Note(string text)
    {
        if (_notes.TryGetValue(text, out var n)) _notes[text] = n + 1;
        else if (_notes.Count < 20) _notes[text] = 1;
    }

    public SubscriberReport Report() => new(name, Reports, Active, Failed, Stopped, _latency.Copy(),
        _notes.Select(kv => kv.Value == 1 ? kv.Key : $"{kv.Key} (x{kv.Value})").ToList());
}
