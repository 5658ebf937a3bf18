namespace ScmiActors.Platform;

/// <summary>Where an ordered stop is: NotStarted → Draining → Releasing → Finished (a failed or starting platform goes straight to Finished).</summary>
internal enum ShutdownStep { NotStarted, Draining, Releasing, Finished }

/// <summary>
/// The state of a handle's ordered stop: who asked for it, which protocol queues are still draining,
/// which event sources have still to confirm their disables, and the answers held back until the end
/// (a subscription told it is gone must not see a report the drain still delivers). Steps only go
/// forward; a step out of order throws <see cref="InvalidOperationException"/>. Answers and
/// events that may race with the end (a late release, a second stop) are accepted and ignored.
/// Timers and telling are the handle's.
/// </summary>
internal sealed class ShutdownSequence<TRef> where TRef : class
{
    private readonly List<TRef> _requesters = new();
    private readonly HashSet<byte> _awaitingDrain = new();
    private readonly HashSet<TRef> _awaitingRelease = new();
    private readonly List<(TRef To, object Reply)> _deferred = new();

    public ShutdownStep Step { get; private set; } = ShutdownStep.NotStarted;

    /// <summary>Sharding sent HandOff while stopping: the shard waits for the entity to stop, so it must not passivate.</summary>
    public bool HandedOff { get; set; }

    public IReadOnlyList<TRef> Requesters => _requesters;

    public IReadOnlyCollection<byte> StillDraining => _awaitingDrain;

    public int StillReleasing => _awaitingRelease.Count;

    /// <summary>Every drain answered (or given up on): the sources may release.</summary>
    public bool ReadyToRelease => Step == ShutdownStep.Draining && _awaitingDrain.Count == 0;

    public void AddRequester(TRef requester) => _requesters.Add(requester);

    /// <summary>The gate is closed: these protocols drain, and these answers wait for the end.</summary>
    public void BeginDrain(IEnumerable<byte> protocols, IEnumerable<(TRef To, object Reply)> owed)
    {
        Require(ShutdownStep.NotStarted, "begin draining");
        Step = ShutdownStep.Draining;
        _awaitingDrain.UnionWith(protocols);
        _deferred.AddRange(owed);
    }

    public bool IsDraining(byte protocol) => _awaitingDrain.Contains(protocol);

    public void Drained(byte protocol)
    {
        if (Step == ShutdownStep.NotStarted) throw new InvalidOperationException("a queue drained before the shutdown began");
        _awaitingDrain.Remove(protocol);
    }

    /// <summary>
    /// The queues are done (or the deadline passed): these sources disable and confirm. True if there is
    /// nothing to wait for, so the stop can finish now.
    /// </summary>
    public bool BeginRelease(IEnumerable<TRef> sources)
    {
        Require(ShutdownStep.Draining, "release the sources");
        Step = ShutdownStep.Releasing;
        _awaitingRelease.UnionWith(sources);
        return _awaitingRelease.Count == 0;
    }

    /// <summary>
    /// A source confirmed its disables, or stopped. True if it was the last one awaited, so the stop can
    /// finish now. Before the release it is nothing to wait for (an old generation releasing on its own).
    /// </summary>
    public bool SourceDone(TRef source) =>
        _awaitingRelease.Remove(source) && Step == ShutdownStep.Releasing && _awaitingRelease.Count == 0;

    /// <summary>A subscriber terminated: it is owed nothing any more.</summary>
    public void StrikeRecipient(TRef recipient) => _deferred.RemoveAll(r => r.To.Equals(recipient));

    /// <summary>
    /// Ends the sequence from any step (a failed or still-starting platform never drains); returns the
    /// answers held back, or null if it had finished already.
    /// </summary>
    public IReadOnlyList<(TRef To, object Reply)>? Finish()
    {
        if (Step == ShutdownStep.Finished) return null;
        Step = ShutdownStep.Finished;
        return _deferred;
    }

    private void Require(ShutdownStep expected, string what)
    {
        if (Step != expected) throw new InvalidOperationException($"cannot {what} while {Step}; only while {expected}");
    }
}
