namespace ScmiActors.Transport;

/// <summary>
/// The agent's receiver of platform-to-agent messages, which a transport is given by
/// <see cref="IScmiTransport.Attach"/> and posts to from its receive path (the ISR, in firmware
/// terms). Implementations must be thread-safe, must never block and must never throw: every
/// outcome is an <see cref="IngestResult"/>. The dispatcher's ingestion gate is the one in the library.
/// </summary>
public interface IScmiReceiver
{
    /// <summary>Offers one raw message (header word and payload after it) stamped at arrival by the transport.</summary>
    IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs);

    /// <summary>Offers one raw message that the receiver stamps itself, for transports without their own arrival time.</summary>
    IngestResult Post(uint header, ReadOnlySpan<byte> payload);

    /// <summary>
    /// The channel to the platform is gone (end of file on the link, a protocol error, the peer process
    /// killed). A transport calls it at most once per loss, from its own thread, after its last post; it
    /// posts nothing more until the agent connects again. Must not block or throw. Receivers that have
    /// nothing to do on a loss keep this default.
    /// </summary>
    void TransportLost(string reason) { }
}
