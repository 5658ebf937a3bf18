using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>
/// The registry's table of platforms and their lifecycle, as plain state with checked transitions
/// (the <see cref="PlatformRegistryActor"/> is the glue; tests drive this without an ActorSystem).
/// Per platform id at most one handle lives, in one of three phases:
/// <list type="bullet">
/// <item><b>Running</b>: messages are routed to it.</item>
/// <item><b>Stopping</b>: a stop was asked through the registry; messages still reach the handle
/// (it answers them as a stopping platform), stop requesters are collected.</item>
/// <item><b>Gone</b>: the handle finished its shutdown; messages are answered "not found".</item>
/// </list>
/// The entry ends when the handle terminates; only then are the stop requesters answered and a
/// start that arrived meanwhile (at most one) launched.
/// </summary>
/// <typeparam name="THandle">The handle's reference (an IActorRef in the registry).</typeparam>
/// <typeparam name="TCaller">Who asked (an IActorRef).</typeparam>
/// <typeparam name="TStart">What a start carries.</typeparam>
public sealed class PlatformDirectory<THandle, TCaller, TStart>
    where THandle : class
    where TCaller : class
    where TStart : class
{
    public enum Phase { Running, Stopping, Gone }

    public enum StartDecision { StartNow, AfterStop, AlreadyStarted }

    public abstract record StopDecision
    {
        private StopDecision() { }

        /// <summary>Tell the handle to stop (the first stop asked through the registry).</summary>
        public sealed record Forward(THandle Handle) : StopDecision;

        /// <summary>The handle is already stopping; the requester is answered when it has terminated.</summary>
        public sealed record Wait : StopDecision;

        public sealed record NotFound : StopDecision;
    }

    /// <summary>A start that waits for the previous incarnation to terminate.</summary>
    public sealed record PendingStart(TStart Start, TCaller ReplyTo);

    /// <summary>What is left to do when a handle has terminated.</summary>
    public sealed record Ended(string PlatformId, IReadOnlyList<TCaller> StopRequesters, PlatformStats? FinalStats, PendingStart? NextStart);

    private sealed class Entry(string platformId, THandle handle)
    {
        public string PlatformId { get; } = platformId;
        public THandle Handle { get; } = handle;
        public Phase Phase { get; set; } = Phase.Running;
        public List<TCaller> StopRequesters { get; } = new();
        public PlatformStats? FinalStats { get; set; }
        public PendingStart? NextStart { get; set; }
    }

    private readonly Dictionary<string, Entry> _byId = new();
    private readonly Dictionary<THandle, Entry> _byHandle = new();
    private readonly Dictionary<string, int> _incarnations = new();

    /// <summary>Platforms with a live handle (in any phase).</summary>
    public int Count => _byId.Count;

    public Phase? PhaseOf(string platformId) => _byId.TryGetValue(platformId, out var e) ? e.Phase : null;

    /// <summary>Decides a start: at once, after the stopping handle has terminated, or refused.</summary>
    public StartDecision Start(string platformId, TCaller replyTo, TStart start)
    {
        if (!_byId.TryGetValue(platformId, out var entry)) return StartDecision.StartNow;
        if (entry.Phase == Phase.Running || entry.NextStart is not null) return StartDecision.AlreadyStarted;
        entry.NextStart = new PendingStart(start, replyTo);
        return StartDecision.AfterStop;
    }

    /// <summary>The number of the next incarnation of a platform id (1, 2, ...): part of the handle's unique name.</summary>
    public int NextIncarnation(string platformId)
    {
        var n = _incarnations.GetValueOrDefault(platformId) + 1;
        _incarnations[platformId] = n;
        return n;
    }

    /// <summary>A handle was created for a platform that has none.</summary>
    public void Started(string platformId, THandle handle)
    {
        if (_byId.ContainsKey(platformId)) throw new InvalidOperationException($"platform {platformId} already has a handle");
        var entry = new Entry(platformId, handle);
        _byId[platformId] = entry;
        _byHandle[handle] = entry;
    }

    /// <summary>Where a message for the platform goes: its handle until it has finished its shutdown, then nowhere.</summary>
    public THandle? RouteTo(string platformId) =>
        _byId.TryGetValue(platformId, out var e) && e.Phase != Phase.Gone ? e.Handle : null;

    public StopDecision Stop(string platformId, TCaller requester)
    {
        if (!_byId.TryGetValue(platformId, out var entry)) return new StopDecision.NotFound();
        entry.StopRequesters.Add(requester);
        if (entry.Phase != Phase.Running) return new StopDecision.Wait();
        entry.Phase = Phase.Stopping;
        return new StopDecision.Forward(entry.Handle);
    }

    /// <summary>Every running handle moves to stopping; returns those to tell.</summary>
    public IReadOnlyList<(string PlatformId, THandle Handle)> BeginStopAll()
    {
        var toStop = new List<(string, THandle)>();
        foreach (var entry in _byId.Values.Where(e => e.Phase == Phase.Running))
        {
            entry.Phase = Phase.Stopping;
            toStop.Add((entry.PlatformId, entry.Handle));
        }
        return toStop;
    }

    /// <summary>The handle finished its shutdown (it stops next): later messages are answered "not found".</summary>
    public void Gone(THandle handle)
    {
        if (_byHandle.TryGetValue(handle, out var entry)) entry.Phase = Phase.Gone;
    }

    public void FinalStats(THandle handle, PlatformStats stats)
    {
        if (_byHandle.TryGetValue(handle, out var entry)) entry.FinalStats = stats;
    }

    /// <summary>The handle terminated: its entry ends; null for a handle this directory does not know.</summary>
    public Ended? Terminated(THandle handle)
    {
        if (!_byHandle.Remove(handle, out var entry)) return null;
        _byId.Remove(entry.PlatformId);
        return new Ended(entry.PlatformId, entry.StopRequesters, entry.FinalStats, entry.NextStart);
    }
}
