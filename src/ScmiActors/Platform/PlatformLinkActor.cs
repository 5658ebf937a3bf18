using System.Buffers.Binary;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using ScmiActors.Messages;
using ScmiActors.Subscriptions;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Platform;

/// <summary>
/// The command path to one platform. Owns the 10-bit token space and the table of pending
/// commands. Answers <see cref="PlatformCommand"/> with a <see cref="CommandResult"/> once the
/// response (or, for asynchronous commands, the delayed response) arrives, the timeout fires, or
/// the transport refuses. Receives <see cref="RawResponse"/> from the gate; responses that match
/// no pending command are counted and logged, never thrown.
/// <para>Grouped NOTIFY (<see cref="GroupNotify"/>, events with a <see cref="NotifyGroup"/>): the link
/// keeps each group's union in a <see cref="NotifyGroupState{TWaiter}"/> and has at most one request
/// per group on the wire, because every source actor's enable or disable of that group must go
/// through the same place to be serialised. The state class decides; this is the glue.</para>
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
    private readonly Dictionary<NotifyGroupKey, NotifyGroupState<GroupWaiter>> _groups = new();

    public PlatformLinkActor(string platformId, IScmiTransport transport, TimeSpan timeout)
    {
        _transport = transport;
        _timeout = timeout;
        _log = Context.GetLogger().WithContext("Platform", platformId);

        Receive<PlatformCommand>(c => Send(c, Sender));
        Receive<GroupNotify>(OnGroupNotify);
        Receive<CommandResult>(r => r.Correlation is GroupRequest, OnGroupResult);
        Receive<RawResponse>(OnResponse);
        Receive<CommandTimedOut>(OnTimeout);
        Receive<GetLinkStats>(_ => Sender.Tell(new LinkStats(_pending.Count, _unmatchedResponses)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string platformId, IScmiTransport transport, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new PlatformLinkActor(platformId, transport, timeout));

    private void Send(PlatformCommand command, IActorRef replyTo)
    {
        if (!_transport.HasCommandPath)
        {
            replyTo.Tell(new CommandResult(command.Correlation, CommandOutcome.NoCommandPath, ScmiStatus.Success, []));
            return;
        }
        if (!TryAllocateToken(out var token))
        {
            replyTo.Tell(new CommandResult(command.Correlation, CommandOutcome.Unavailable, ScmiStatus.Busy, [], "all tokens in use"));
            return;
        }

        var header = ScmiHeader.Command(command.Protocol, command.MessageId, token);
        var pending = new Pending(command, replyTo, ++_sequence);
        _pending[token] = pending;
        try
        {
            _transport.SendCommand(header, command.Payload);
        }
        catch (Exception e)
        {
            _pending.Remove(token);
            _log.Warning("Transport refused command {Protocol}/{MessageId}: {Error}", $"0x{command.Protocol:X2}", command.MessageId, e.Message);
            replyTo.Tell(new CommandResult(command.Correlation, CommandOutcome.Unavailable, ScmiStatus.CommsError, [], e.Message));
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

    // ---- grouped NOTIFY ----------------------------------------------------------------------------

    private void OnGroupNotify(GroupNotify request)
    {
        var group = request.Event.Group!.GroupOf(request.Source);
        var key = new NotifyGroupKey(request.Event.ProtocolId, request.Event.EventId, group);
        if (!_groups.TryGetValue(key, out var state)) _groups[key] = state = new NotifyGroupState<GroupWaiter>();
        ImmutableSortedSet<uint>? union;
        try
        {
            union = state.Request(request.Source, request.Enable, new GroupWaiter(Sender, request.Correlation));
        }
        catch (InvalidOperationException e)
        {
            _log.Error("Grouped NOTIFY {Event} source {Source} refused: {Error}", request.Event.Name, request.Source, e.Message);
            Sender.Tell(new CommandResult(request.Correlation, CommandOutcome.Unavailable, ScmiStatus.GenericError, [], e.Message));
            return;
        }
        if (union is not null) SendGroup(key, request.Event, request.Protocol, union);
    }

    private void SendGroup(NotifyGroupKey key, EventDescriptor evt, PlatformProtocol protocol, ImmutableSortedSet<uint> union)
    {
        var correlation = new GroupRequest(key, evt, protocol);
        NotifyCommand command;
        try
        {
            command = evt.EncodeGroupNotify(key.Group, union, protocol);
        }
        catch (Exception e)
        {
            // A vendor encoder bug fails this request (and so its waiters), never the link.
            Self.Tell(new CommandResult(correlation, CommandOutcome.Unavailable, ScmiStatus.GenericError, [], $"NOTIFY encoding failed: {e.Message}"));
            return;
        }
        Send(PlatformCommand.Notify(command, correlation), Self);
    }

    private void OnGroupResult(CommandResult result)
    {
        var request = (GroupRequest)result.Correlation;
        if (!_groups.TryGetValue(request.Key, out var state)) return;
        // As the source actors read it: no command path means the platform sends what it sends.
        var step = state.Completed(result.Succeeded || result.Outcome == CommandOutcome.NoCommandPath);
        foreach (var waiter in step.Answer) waiter.ReplyTo.Tell(result with { Correlation = waiter.Correlation });
        if (step.SendNext is { } next) SendGroup(request.Key, request.Event, request.Protocol, next);
        else if (state.IsEmpty) _groups.Remove(request.Key);
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

    private sealed record GroupWaiter(IActorRef ReplyTo, object Correlation);

    /// <summary>The correlation of a grouped request the link sends itself; the event and protocol are kept to encode the next one.</summary>
    private sealed record GroupRequest(NotifyGroupKey Key, EventDescriptor Event, PlatformProtocol Protocol);

    private sealed record Pending(PlatformCommand Command, IActorRef ReplyTo, long Sequence);

    private sealed record CommandTimedOut(ushort Token, long Sequence);
}
