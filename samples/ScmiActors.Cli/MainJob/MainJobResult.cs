using HdrHistogram;
using ScmiActors.Cli.Platform;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Transport;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// Across an SMT link: what the platform process said it did with this platform's notifications, or why that is unknown.
/// </summary>
/// <param name="Platform">The platform process's counts (its --stats-file); null when unknown.</param>
/// <param name="Unknown">Why the platform side is unknown (the process died, or it was started elsewhere); null when known.</param>
/// <param name="Kind">What the link is, for the summary's titles.</param>
public sealed record LinkOutcome(PlatformSideStats? Platform, string? Unknown, string Kind = LinkOutcome.Smt)
{
    public const string Smt = "SMT link";
    public const string RawMode = "Linux raw mode";
}

/// <summary>What one platform did, from the dispatcher's side and the emulator's.</summary>
/// <param name="Emulator">In-memory: the emulator's posts by the gate's outcome. SMT link: the same count kept by the agent's end
/// of the link (<see cref="CountingAgentTransport"/>) for every notification it read.</param>
/// <param name="NeverUp">Why the platform never came up (its start or initialisation failed, or did not finish); null when it did.</param>
/// <param name="Link">Null in-memory; across an SMT link, the platform process's side.</param>
public sealed record PlatformOutcome(string PlatformId, PlatformStats Dispatcher, EmulatorStats Emulator, IReadOnlyList<string> Mismatches,
    string? NeverUp = null, LinkOutcome? Link = null)
{
    public bool Consistent => Dispatcher.AddsUp && Mismatches.Count == 0;
}

/// <summary>The main job's outcome: per platform, per subscriber, latency, the shutdown request, and whether a signal cut the run short.</summary>
/// <param name="PlatformProcess">SMT link: one line on the platform process (its id, how it ended, a death mid-run); null in-memory.</param>
public sealed record MainJobResult(IReadOnlyList<PlatformOutcome> Platforms, IReadOnlyList<SubscriberReport> Subscribers,
    HistogramBase Latency, ShutdownOutcome? Shutdown, bool Interrupted = false, string? PlatformProcess = null)
{
    public bool Consistent => Platforms.All(p => p.Consistent);

    public IEnumerable<PlatformOutcome> NeverUp => Platforms.Where(p => p.NeverUp is not null);

    /// <summary>
    /// The most serious finding wins: accounting (1) over a platform that never came up (4) over an
    /// interruption (130); SIGTERM's 143 is chosen by the command, which knows the signal.
    /// </summary>
    public int ExitCode =>
        !Consistent ? ExitCodes.AccountingMismatch
        : NeverUp.Any() ? ExitCodes.PlatformNotUp
        : Interrupted ? ExitCodes.Interrupted
        : ExitCodes.Ok;

    public static MainJobResult From(IReadOnlyList<(string Id, PlatformStats Stats, EmulatorStats Emulator, string? NeverUp, string? StopFailure)> platforms,
        IReadOnlyList<SubscriberReport> subscribers, ShutdownOutcome? shutdown, bool interrupted = false) =>
        From(platforms.Select(p => (p.Id, p.Stats, p.Emulator, p.NeverUp, p.StopFailure, (LinkOutcome?)null)).ToList(), subscribers, shutdown, interrupted, null);

    public static MainJobResult From(
        IReadOnlyList<(string Id, PlatformStats Stats, EmulatorStats Emulator, string? NeverUp, string? StopFailure, LinkOutcome? Link)> platforms,
        IReadOnlyList<SubscriberReport> subscribers, ShutdownOutcome? shutdown, bool interrupted, string? platformProcess)
    {
        var latency = new LongHistogram(TimeStamp.Seconds(10), 3);
        foreach (var s in subscribers) latency.Add(s.Latency);
        return new MainJobResult(platforms.Select(p =>
            {
                var mismatches = Reconcile(p.Stats, p.Emulator, p.Link is null ? "emulator" : "link").ToList();
                if (p.Link?.Platform is { } side) mismatches.AddRange(ReconcileLink(side, p.Emulator));
                if (p.StopFailure is { } stop) mismatches.Add($"no final counters: {stop}");
                return new PlatformOutcome(p.Id, p.Stats, p.Emulator, mismatches, p.NeverUp, p.Link);
            }).ToList(),
            subscribers, latency, shutdown, interrupted, platformProcess);
    }

    /// <summary>
    /// Across the process boundary: every notification the platform process wrote into the P2A slot was
    /// read by the agent's end, or was still in the slot when the link ended (the platform tells which);
    /// what it could not write (the slot busy, too large) it reports as lost, and no gate saw it.
    /// </summary>
    public static IReadOnlyList<string> ReconcileLink(PlatformSideStats platform, EmulatorStats read)
    {
        var mismatches = new List<string>();
        if (platform.Sent != read.Sent + platform.LeftInSlot)
            mismatches.Add($"across the link: the platform sent {platform.Sent}, the agent's end read {read.Sent} + {platform.LeftInSlot} left in the slot");
        if (platform.Tried != platform.Sent + platform.LostAtSlot + platform.TooLarge + platform.LostInQueue + platform.LeftInQueue)
            mismatches.Add($"platform process: tried {platform.Tried} != sent {platform.Sent} + lost at the slot {platform.LostAtSlot} + too large {platform.TooLarge}" +
                           $" + lost in its queue {platform.LostInQueue} + left in its queue {platform.LeftInQueue}");
        return mismatches;
    }

    /// <summary>
    /// A post the gate answered NotRunning after the handle took its final counters: the emulator posts from one
    /// thread under one lock, so at most one is in flight when the handle stops, and only a NotRunning can be (the
    /// gate is closed by then). It read the receiver before the detach and reached the closed gate after the
    /// snapshot; a recording tap between the two widens that window. 0 or 1; anything else is left to the checks.
    /// </summary>
    public static long InFlightAtStop(PlatformStats d, EmulatorStats e)
    {
        var unseen = e.Count(IngestResult.NotRunning) - e.Detached - (d.NotRunning + d.Protocols.Sum(p => p.RejectedNotRunning));
        return unseen == 1 && e.Sent - e.Detached - NotificationsReceived(d) == 1 ? 1 : 0;
    }

    /// <summary>
    /// Every notification the emulator posted must show up in the dispatcher's counters with the same
    /// outcome: what the gate accepted, dropped or rejected is counted on both sides. A post after the
    /// handle detached its transport never reached a gate: the emulator counts it as NotRunning and,
    /// apart, as detached; the gate's own NotRunning (closed gate, sealed ring) must equal the rest.
    /// So: emulator sent = dispatcher's notifications received + posted after detach, exactly, but for the one post
    /// that may be in flight when the handle stops (<see cref="InFlightAtStop"/>), named in the summary.
    /// </summary>
    /// <param name="producer">Who counted <paramref name="e"/>, as the mismatch lines name it: the emulator, or the link's agent end.</param>
    public static IReadOnlyList<string> Reconcile(PlatformStats d, EmulatorStats e, string producer = "emulator")
    {
        var mismatches = new List<string>();
        void Check(string what, long emulator, long dispatcher)
        {
            if (emulator != dispatcher) mismatches.Add($"{what}: {producer} {emulator}, dispatcher {dispatcher}");
        }
        Check("queued", e.Count(IngestResult.Queued), d.Protocols.Sum(p => p.Queued));
        Check("dropped (queue full)", e.Count(IngestResult.DroppedQueueFull), d.Protocols.Sum(p => p.DroppedQueueFull));
        Check("dropped (rate limit)", e.Count(IngestResult.DroppedRateLimited), d.Protocols.Sum(p => p.DroppedRateLimited));
        Check("unknown protocol", e.Count(IngestResult.UnknownProtocol), d.UnknownProtocol);
        Check("unknown event", e.Count(IngestResult.UnknownEvent), d.Protocols.Sum(p => p.RejectedUnknownEvent));
        Check("payload too large", e.Count(IngestResult.PayloadTooLarge), d.Protocols.Sum(p => p.RejectedPayloadTooLarge));
        var inFlight = InFlightAtStop(d, e);
        Check("not running (gate closed)", e.Count(IngestResult.NotRunning) - e.Detached, d.NotRunning + d.Protocols.Sum(p => p.RejectedNotRunning) + inFlight);
        Check("notifications", e.Sent, NotificationsReceived(d) + e.Detached + inFlight);
        if (d.Protocols.Any(p => p.InQueue != 0)) mismatches.Add("notifications left in a queue after shutdown");
        return mismatches;
    }

    /// <summary>The notifications among what the gate received (responses and reserved types are not the emulator's posts).</summary>
    public static long NotificationsReceived(PlatformStats d) => d.Received - d.NotANotification - d.ReservedMessageType;
}
