using System.Buffers.Binary;
using Akka.Actor;
using Akka.Event;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Platform;

/// <summary>
/// The command path to one platform. Owns the 10-bit token space and the table of pending
/// commands. Answers <see cref="PlatformCommand"/> with a <see cref="CommandResult"/> once the
/// response (or, for asynchronous commands, the delayed response) arrives, the timeout fires, or
/// the transport refuses. Receives <see cref="RawResponse"/> from the gate; responses that match
/// no pending command are counted and logged, never thrown.
/// </summary>
public sealed class PlatformLinkActor : ReceiveActor, IWithTimers
{
    private const int TokenSpace = ScmiHeader.MaxToken + 1;

    private readonly IScmiTransport _transport;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<ushort, Pending> _pending = new();
    private readonly ILoggingAdapter _log;
    private ushort _nextToken;
    private long _sequence;
    private long _unmatchedResponses;

    public PlatformLinkActor(string platformId, IScmiTransport transport, TimeSpan timeout)
    {
        _transport = transport;
        _timeout = timeout;
        _log = Context.GetLogger().WithContext("Platform", platformId);

        Receive<PlatformCommand>(Send);
        Receive<RawResponse>(OnResponse);
        Receive<CommandTimedOut>(OnTimeout);
        Receive<GetLinkStats>(_ => Sender.Tell(new LinkStats(_pending.Count, _unmatchedResponses)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string platformId, IScmiTransport transport, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new PlatformLinkActor(platformId, transport, timeout));

    private void Send(PlatformCommand command)
    {
        if (!_transport.HasCommandPath)
        {
            Sender.Tell(new CommandResult(command.Correlation, CommandOutcome.NoCommandPath, ScmiStatus.Success, []));
            return;
        }
        if (!TryAllocateToken(out var token))
        {
            Sender.Tell(new CommandResult(command.Correlation, CommandOutcome.Unavailable, ScmiStatus.Busy, [], "all tokens in use"));
            return;
        }

        var header = ScmiHeader.Command(command.Protocol, command.MessageId, token);
        var pending = new Pending(command, Sender, ++_sequence);
        _pending[token] = pending;
        try
        {
            _transport.SendCommand(header, command.Payload);
        }
        catch (Exception e)
        {
            _pending.Remove(token);
            _log.Warning("Transport refused command {Protocol}/{MessageId}: {Error}", $"0x{command.Protocol:X2}", command.MessageId, e.Message);
            Sender.Tell(new CommandResult(command.Correlation, CommandOutcome.Unavailable, ScmiStatus.CommsError, [], e.Message));
            return;
        }
        Timers.StartSingleTimer(token, new CommandTimedOut(token, pending.Sequence), _timeout);
    }

    private void OnResponse(RawResponse response)
    {
        var header = ScmiHeader.Parse(response.Header);
        if (!_pending.TryGetValue(header.Token, out var pending)
            || pending.Command.Protocol != header.ProtocolId
            || pending.Command.MessageId != header.MessageId)
        {
            _unmatchedResponses++;
            if (_unmatchedResponses <= 10 || _unmatchedResponses % 1000 == 0)
                _log.Warning("Response matches no pending command ({Header}); {Count} so far", header.ToString(), _unmatchedResponses);
            return;
        }

        var status = response.Payload.Length >= 4
            ? (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(response.Payload)
            : ScmiStatus.ProtocolError;
        var returnValues = response.Payload.Length > 4 ? response.Payload[4..] : [];

        // An asynchronous command completes on its delayed response, unless the synchronous one failed.
        // Linux accepts a delayed response whose synchronous response was never seen; so do we.
        if (header.Type == MessageType.Command && pending.Command.ExpectsDelayedResponse && status == ScmiStatus.Success)
            return;

        Complete(header.Token, pending, new CommandResult(pending.Command.Correlation, CommandOutcome.Answered, status, returnValues,
            response.Payload.Length < 4 ? "response shorter than a status word" : null));
    }

    private void OnTimeout(CommandTimedOut timeout)
    {
        if (_pending.TryGetValue(timeout.Token, out var pending) && pending.Sequence == timeout.Sequence)
        {
            _log.Warning("Command {Protocol}/{MessageId} timed out after {Timeout}", $"0x{pending.Command.Protocol:X2}",
                pending.Command.MessageId, _timeout);
            Complete(timeout.Token, pending, new CommandResult(pending.Command.Correlation, CommandOutcome.TimedOut, ScmiStatus.Success, [],
                $"no response within {_timeout.TotalMilliseconds} ms"));
        }
    }

    private void Complete(ushort token, Pending pending, CommandResult result)
    {
        _pending.Remove(token);
        Timers.Cancel(token);
        pending.ReplyTo.Tell(result);
    }

    /// <summary>Tokens cycle through the whole space so that a late response rarely meets a reused token.</summary>
    private bool TryAllocateToken(out ushort token)
    {
        for (var i = 0; i < TokenSpace; i++)
        {
            token = _nextToken;
            _nextToken = (ushort)((_nextToken + 1) % TokenSpace);
            if (!_pending.ContainsKey(token)) return true;
        }
        token = 0;
        return false;
    }

    private sealed record Pending(PlatformCommand Command, IActorRef ReplyTo, long Sequence);

    private sealed record CommandTimedOut(ushort Token, long Sequence);
}
