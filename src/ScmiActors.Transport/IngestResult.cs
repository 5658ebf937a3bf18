namespace ScmiActors.Transport;

/// <summary>
/// What the agent's end said about one raw platform-to-agent message it was handed (the library's
/// ingestion gate is the receiver that decides; it counts each outcome).
/// </summary>
public enum IngestResult : byte
{
    /// <summary>Written to its protocol's queue; the protocol actor will decode and deliver it.</summary>
    Queued,
    /// <summary>The protocol's queue budget is used up; the newest message is dropped (as Linux).</summary>
    DroppedQueueFull,
    /// <summary>No protocol with that id is registered.</summary>
    UnknownProtocol,
    /// <summary>The protocol has no notification with that id.</summary>
    UnknownEvent,
    /// <summary>Longer than the event's largest valid payload; rejected before queueing.</summary>
    PayloadTooLarge,
    /// <summary>A (delayed) response: handed to the command path, not an event.</summary>
    NotANotification,
    /// <summary>Message type 1, which no specification defines.</summary>
    ReservedMessageType,
    /// <summary>The handle is not running (initialising, shutting down or stopped).</summary>
    NotRunning,
    /// <summary>Over the protocol's configured rate limit (a storming platform); dropped and counted.</summary>
    DroppedRateLimited,
}
