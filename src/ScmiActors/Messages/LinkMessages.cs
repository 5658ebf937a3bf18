using ScmiActors.Wire;

namespace ScmiActors.Messages;

/// <summary>Sends one command to the platform; the link answers the sender with a <see cref="CommandResult"/>.</summary>
/// <param name="Correlation">Echoed in the result, so the requester can match it.</param>
/// <param name="ExpectsDelayedResponse">True for asynchronous commands: complete on the delayed response.</param>
public sealed record PlatformCommand(byte Protocol, byte MessageId, byte[] Payload, object Correlation, bool ExpectsDelayedResponse = false)
{
    public static PlatformCommand Notify(NotifyCommand command, object correlation) =>
        new(command.ProtocolId, command.MessageId, command.Payload, correlation);
}

public enum CommandOutcome : byte
{
    /// <summary>The platform answered; see <see cref="CommandResult.Status"/>.</summary>
    Answered,
    /// <summary>No answer within the link's timeout.</summary>
    TimedOut,
    /// <summary>The transport refused the command, or all 1024 tokens are in use.</summary>
    Unavailable,
    /// <summary>The transport has no command path; nothing was sent.</summary>
    NoCommandPath,
}

/// <summary>The end of one command: the platform's status and return values, or why there is none.</summary>
public sealed record CommandResult(object Correlation, CommandOutcome Outcome, ScmiStatus Status, byte[] ReturnValues, string? Detail = null)
{
    public bool Succeeded => Outcome == CommandOutcome.Answered && Status == ScmiStatus.Success;

    public override string ToString() => Outcome == CommandOutcome.Answered
        ? $"{Status.ToScmiName()}"
        : $"{Outcome}{(Detail is null ? "" : $" ({Detail})")}";
}

/// <summary>A raw response or delayed response from the gate's command path.</summary>
internal sealed record RawResponse(uint Header, byte[] Payload);

/// <summary>Asks the link for its counters; answered with <see cref="LinkStats"/>.</summary>
public sealed record GetLinkStats
{
    public static readonly GetLinkStats Instance = new();
}

public sealed record LinkStats(int PendingCommands, long UnmatchedResponses);
