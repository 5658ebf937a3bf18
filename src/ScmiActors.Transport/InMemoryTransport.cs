using System.Buffers.Binary;
using ScmiActors.Wire;

namespace ScmiActors.Transport;

/// <summary>
/// An in-process channel pair: <see cref="Agent"/> is the transport a handle uses, <see cref="Platform"/>
/// is what a test or an emulator drives with raw SCMI messages, as real firmware would.
/// </summary>
public sealed class InMemoryTransport
{
    private InMemoryTransport(bool hasCommandPath, Task? connected)
    {
        Agent = new AgentEnd(this, hasCommandPath, connected ?? Task.CompletedTask);
        Platform = new PlatformEnd(this);
    }

    /// <param name="hasCommandPath">False for a receive-only channel.</param>
    /// <param name="connected">Completes when the channel is up (defaults to at once); a fault fails the handle's init.</param>
    public static InMemoryTransport Create(bool hasCommandPath = true, Task? connected = null) => new(hasCommandPath, connected);

    public AgentEnd Agent { get; }
    public PlatformEnd Platform { get; }

    private volatile IScmiReceiver? _receiver;
    private volatile Action<uint, byte[]>? _commandHandler;
    // Non-null while the platform is gone (Disconnect): completes when it comes back.
    private volatile TaskCompletionSource? _down;

    /// <summary>The handle's side.</summary>
    public sealed class AgentEnd(InMemoryTransport owner, bool hasCommandPath, Task connected) : IScmiTransport
    {
        public bool HasCommandPath { get; } = hasCommandPath;

        public Task ConnectAsync(CancellationToken cancellationToken) =>
            (owner._down?.Task ?? connected).WaitAsync(cancellationToken);

        public void Attach(IScmiReceiver receiver) => owner._receiver = receiver;

        public void Detach() => owner._receiver = null;

        public void SendCommand(uint header, ReadOnlySpan<byte> payload)
        {
            if (!HasCommandPath) throw new InvalidOperationException("this transport has no command path");
            if (owner._down is not null) throw new InvalidOperationException("the platform is gone");
            var handler = owner._commandHandler
                ?? throw new InvalidOperationException("no platform is listening for commands");
            handler(header, payload.ToArray());
        }
    }

    /// <summary>The platform's side: sends raw platform-to-agent messages and receives commands.</summary>
    public sealed class PlatformEnd(InMemoryTransport owner)
    {
        /// <summary>True while a handle is attached.</summary>
        public bool IsAttached => owner._receiver is not null;

        /// <summary>
        /// Receives each agent command (header, payload) on the sender's thread. Answer with
        /// <see cref="Respond"/>, at once or later; a handler must not block.
        /// </summary>
        public void OnCommand(Action<uint, byte[]>? handler) => owner._commandHandler = handler;

        /// <summary>
        /// The platform goes away (a crash, a firmware reset, a killed process): the attached receiver is
        /// detached and told <see cref="IScmiReceiver.TransportLost"/>; commands are refused and the agent's
        /// ConnectAsync waits until <see cref="ComeBack"/>.
        /// </summary>
        public void Disconnect(string reason = "the platform went away")
        {
            owner._down ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var receiver = owner._receiver;
            owner._receiver = null;
            receiver?.TransportLost(reason);
        }

        /// <summary>The platform is back on the same channel: a waiting or later ConnectAsync completes.</summary>
        public void ComeBack()
        {
            var down = owner._down;
            owner._down = null;
            down?.TrySetResult();
        }

        /// <summary>Posts one raw message as the ISR would; NotRunning when no handle is attached.</summary>
        public IngestResult Send(uint header, ReadOnlySpan<byte> payload, long? timestampNs = null) =>
            owner._receiver is not { } receiver ? IngestResult.NotRunning
            : timestampNs is { } stamp ? receiver.Post(header, payload, stamp)
            : receiver.Post(header, payload); // stamped by the receiver (the gate): one clock read for the stamp and the storm guard

        /// <summary>
        /// As <see cref="Send(uint, ReadOnlySpan{byte}, long?)"/>, and says whether no handle was attached: the one
        /// read of the receiver decides both, so a NotRunning from a detached end is told apart from a closed gate's.
        /// </summary>
        public IngestResult Send(uint header, ReadOnlySpan<byte> payload, out bool detached)
        {
            var receiver = owner._receiver;
            detached = receiver is null;
            return receiver?.Post(header, payload) ?? IngestResult.NotRunning;
        }

        public IngestResult SendNotification(byte protocol, byte eventId, ReadOnlySpan<byte> payload) =>
            Send(ScmiHeader.Notification(protocol, eventId), payload);

        /// <summary>Answers a command: the same header (type 0) with status then <paramref name="returnValues"/>.</summary>
        public IngestResult Respond(uint commandHeader, ScmiStatus status, ReadOnlySpan<byte> returnValues = default)
        {
            Span<byte> buffer = stackalloc byte[4 + returnValues.Length];
            BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)status);
            returnValues.CopyTo(buffer[4..]);
            var header = ScmiHeader.Parse(commandHeader) with { Type = MessageType.Command };
            return Send(header.Encode(), buffer);
        }

        /// <summary>Sends a delayed response (type 2) for an asynchronous command.</summary>
        public IngestResult RespondDelayed(uint commandHeader, ScmiStatus status, ReadOnlySpan<byte> returnValues = default)
        {
            Span<byte> buffer = stackalloc byte[4 + returnValues.Length];
            BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)status);
            returnValues.CopyTo(buffer[4..]);
            var header = ScmiHeader.Parse(commandHeader) with { Type = MessageType.DelayedResponse };
            return Send(header.Encode(), buffer);
        }
    }
}
