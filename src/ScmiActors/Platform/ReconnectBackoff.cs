namespace ScmiActors.Platform;

/// <summary>
/// The delays between a lost platform's reconnection attempts: the minimum first, then each twice the
/// last, capped at the maximum, so a platform that is back soon is found soon and one that is gone for
/// long costs an attempt every few seconds. Deterministic (no jitter): one handle per platform link,
/// so there is no herd to spread. Plain state; the handle runs the timer.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan min, TimeSpan max)
    {
        if (min <= TimeSpan.Zero || max < min) throw new ArgumentOutOfRangeException(nameof(min), "the minimum must be positive and the maximum at least as long");
        _min = _next = min;
        _max = max;
    }

    /// <summary>Attempts since the last <see cref="Reset"/>.</summary>
    public int Attempts { get; private set; }

    /// <summary>The delay before the next attempt; the one after is twice as long, up to the maximum.</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = delay * 2 > _max ? _max : delay * 2;
        Attempts++;
        return delay;
    }

    /// <summary>The platform answered: a later loss starts again from the minimum.</summary>
    public void Reset()
    {
        _next = _min;
        Attempts = 0;
    }
}
