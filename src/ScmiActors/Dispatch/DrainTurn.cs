namespace ScmiActors.Dispatch;

/// <summary>What a protocol actor does when a drain turn ends.</summary>
internal enum AfterDrain
{
    /// <summary>A subscriber's window is shut: stay scheduled (the gate sends no wake-ups); an answered marker resumes.</summary>
    Wait,

    /// <summary>The batch was full, so more may be queued: give the thread back and come again, still scheduled.</summary>
    Yield,

    /// <summary>
    /// The ring ran empty after more than one entry: a stream, not a lone event, so its producer is
    /// probably mid-burst. One more turn, still scheduled, lets the producer's next posts skip the
    /// wake-up <c>Tell</c> and its thread-pool queueing, which it otherwise pays whenever the actor
    /// keeps up with it (several protocols fed round-robin from one producer: about +40 % in
    /// <c>protocols8</c>, docs/benchmarks.md).
    /// </summary>
    Linger,

    /// <summary>Idle: clear the wake-up flag, and recheck so that a post racing the clear is not stranded.</summary>
    Unschedule,
}

/// <summary>The end-of-turn rule of <see cref="ProtocolActor"/>'s drain, apart from the actor so that tests can pin it.</summary>
internal static class DrainTurn
{
    /// <param name="processed">Entries this turn took from the ring.</param>
    /// <param name="batch">The most a turn takes (<c>scmi.drain-batch</c>).</param>
    /// <param name="windowShut">A subscriber's delivery window stopped the drain.</param>
    public static AfterDrain Next(int processed, int batch, bool windowShut) =>
        windowShut ? AfterDrain.Wait
        : processed >= batch ? AfterDrain.Yield
        : processed > 1 ? AfterDrain.Linger
        : AfterDrain.Unschedule; // a lone event (or none, after a linger): no stream to wait for
}
