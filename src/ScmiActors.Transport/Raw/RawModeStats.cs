namespace ScmiActors.Transport.Raw;

/// <summary>
/// A snapshot of a <see cref="RawModeTransport"/>'s counters. What it cannot count is said so:
/// the kernel's notification and errors queues overwrite their oldest unread entry when full and keep
/// no counter, so losses there are undetectable (<see cref="NotificationLosses"/> is null, never 0).
/// </summary>
public sealed record RawModeStats(
    long CommandsWritten,
    long WriteErrors,
    long Replies,
    long Notifications,
    long LateReplies,
    long ErrorsNotReplies,
    long Truncated,
    long AtSizeLimit,
    long Malformed,
    long ReadErrors,
    long NotAttached,
    long ReceiverFaults)
{
    /// <summary>False: the kernel overwrites the oldest unread notification without a counter, so nothing here can see a loss.</summary>
    public bool NotificationLossesDetectable => false;

    /// <summary>Always null (unknown), never 0: losses in the kernel's notification queue leave no trace.</summary>
    public long? NotificationLosses => null;

    public override string ToString() =>
        $"commands={CommandsWritten} write-errors={WriteErrors} replies={Replies} notifications={Notifications} "
        + $"late-replies={LateReplies} errors-not-replies={ErrorsNotReplies} truncated={Truncated} at-size-limit={AtSizeLimit} "
        + $"malformed={Malformed} read-errors={ReadErrors} not-attached={NotAttached} receiver-faults={ReceiverFaults} notification-losses=undetectable";
}
