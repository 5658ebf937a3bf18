namespace ScmiActors.Transport;

/// <summary>
/// The agent's end of a channel to one platform. Platform-to-agent messages (notifications,
/// responses, delayed responses) are posted to the <see cref="IScmiReceiver"/> the handle attaches; commands go out
/// through <see cref="SendCommand"/> when the transport has a command path.
/// </summary>
public interface IScmiTransport
{
    /// <summary>False for receive-only transports (e.g. a capture replay): NOTIFY is then not sent.</summary>
    bool HasCommandPath { get; }

    /// <summary>Completes when the channel is usable; a fault fails the handle's initialisation for good.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>From now on every platform-to-agent message goes to <paramref name="receiver"/>.</summary>
    void Attach(IScmiReceiver receiver);

    /// <summary>Stops delivering to the receiver (later platform messages are refused by the transport).</summary>
    void Detach();

    /// <summary>Sends one agent-to-platform command. May throw if the channel is broken; the link counts that.</summary>
    void SendCommand(uint header, ReadOnlySpan<byte> payload);
}
