namespace ScmiActors.Transport.Raw;

/// <summary>Tuning of a <see cref="RawModeTransport"/>; the defaults suit a real board.</summary>
public sealed record RawModeOptions
{
    /// <summary>How long a reader waits in poll before it looks at the stop flag: the bound on how late Dispose finds it.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long Dispose waits for the reader threads in all.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Where commands are written; null means the instance's <c>raw/message</c>. Only a fake kernel needs
    /// another file: its reply file is a named pipe, and a process holding a pipe open for writing would
    /// hide the end of every reply from its own reader.
    /// </summary>
    public string? CommandFile { get; init; }

    /// <summary>
    /// Commands written and not yet answered at most; null means the instance's <c>tx_max_msg</c>, the
    /// number of waiters the kernel has for synchronous commands (one more write would be refused).
    /// </summary>
    public int? MaxCommandsInFlight { get; init; }

    /// <summary>Commands that may wait for the in-flight window; one more is refused (the link counts it).</summary>
    public int CommandQueue { get; init; } = 1024;
}
