using System.Buffers.Binary;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Emulator.Replay;

/// <summary>A recorded command and the response the platform gave it (null when none was recorded).</summary>
/// <param name="Index">Position among the recording's commands.</param>
public sealed record ReplayCommand(int Index, ReplayEvent Command, ReplayEvent? Response)
{
    public byte Protocol => ScmiHeader.ProtocolOf(Command.Header);
    public byte MessageId => ScmiHeader.MessageIdOf(Command.Header);
}

/// <summary>
/// A recorded notification and the command it waits for: <paramref name="Anchor"/> is the index of the
/// last recorded subscription command before it (−1: none, it is sent once the agent is linked);
/// <paramref name="BeforeResponse"/> says it was recorded between that command and its response, so it
/// is sent before the response is written.
/// </summary>
public sealed record ReplayNotification(ReplayEvent Event, int Anchor, bool BeforeResponse);

/// <summary>
/// What a replay platform serves, built from a <see cref="ReplayRecording"/>:
/// <list type="bullet">
/// <item>Answers. A command is answered with the response recorded for a command of the same protocol,
/// message id and payload (the token is the agent's and is echoed). Several recorded commands with one key
/// are used in recorded order; once all are used the last answer is repeated. No match: NOT_SUPPORTED.</item>
/// <item>Notifications, in recorded order, each behind an anchor. A recording of another agent holds
/// commands our agent never sends (PERFORMANCE_LEVEL_SET, SENSOR_READING_GET, BBM_RTC_TIME_SET: a
/// bench driving the firmware), so a notification does not wait for the command it followed but for the
/// last recorded <em>subscription</em> command before it: a NOTIFY message of an event in the catalog
/// (the only commands besides discovery that the dispatcher sends). When that command is the one the
/// notification was recorded inside of (before its response), it is sent before the response, else after.
/// A subscription our agent makes differently (another payload) would hold replay for ever, so the host
/// also gives up on an anchor after a quiet stall timeout (see <see cref="ReplayOptions.StallTimeout"/>).</item>
/// </list>
/// Delayed responses carry another agent's tokens and are not replayed (counted in <see cref="DelayedResponsesSkipped"/>).
/// </summary>
public sealed class ReplayScript
{
    private readonly Dictionary<string, List<ReplayCommand>> _answers;
    private readonly Dictionary<string, int> _used = [];

    private ReplayScript(ReplayRecording recording, IReadOnlyList<ReplayCommand> commands, IReadOnlyList<ReplayNotification> notifications,
        Dictionary<string, List<ReplayCommand>> answers, int delayedSkipped)
    {
        Recording = recording;
        Commands = commands;
        Notifications = notifications;
        _answers = answers;
        DelayedResponsesSkipped = delayedSkipped;
    }

    public ReplayRecording Recording { get; }

    public IReadOnlyList<ReplayCommand> Commands { get; }

    public IReadOnlyList<ReplayNotification> Notifications { get; }

    public int DelayedResponsesSkipped { get; }

    /// <summary>Builds the script; <paramref name="catalog"/> (default: <see cref="ProtocolCatalogs.Default"/>) says which commands are subscriptions.</summary>
    public static ReplayScript Build(ReplayRecording recording, ProtocolCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        catalog ??= ProtocolCatalogs.Default;
        var subscriptions = catalog.Protocols.SelectMany(p => p.Events).Select(e => (e.ProtocolId, e.NotifyMessageId)).ToHashSet();

        var commands = new List<ReplayCommand>();
        var responseAt = new Dictionary<int, int>(); // command index -> event position of its response
        var unanswered = new List<int>();
        var notifications = new List<(ReplayEvent Event, int Position, int Anchor)>();
        var delayed = 0;
        var lastSubscription = -1;
        var events = recording.Events;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            switch (e.Kind)
            {
                case ReplayEventKind.Command:
                    commands.Add(new ReplayCommand(commands.Count, e, null));
                    unanswered.Add(commands.Count - 1);
                    if (subscriptions.Contains((ScmiHeader.ProtocolOf(e.Header), ScmiHeader.MessageIdOf(e.Header)))) lastSubscription = commands.Count - 1;
                    break;
                case ReplayEventKind.Response:
                    if (e.Payload.Length < 4)
                        throw new ReplayFormatException($"{recording.Source}:{e.Line}: a response without its int32 status ({e.Payload.Length} bytes)");
                    // By header (protocol, message, token) among the commands still waiting; a header no
                    // command has (i.MX answers an oversized command with header 0) goes to the oldest.
                    var match = unanswered.FindIndex(c => (commands[c].Command.Header & 0x0FFFFFFF & ~0x300u) == (e.Header & 0x0FFFFFFF & ~0x300u));
                    if (match < 0 && unanswered.Count > 0) match = 0;
                    if (match < 0) throw new ReplayFormatException($"{recording.Source}:{e.Line}: a response (header 0x{e.Header:x8}) with no command before it");
                    var index = unanswered[match];
                    unanswered.RemoveAt(match);
                    commands[index] = commands[index] with { Response = e };
                    responseAt[index] = i;
                    break;
                case ReplayEventKind.Notification:
                    notifications.Add((e, i, lastSubscription));
                    break;
                default:
                    delayed++;
                    break;
            }
        }

        var script = notifications.Select(n => new ReplayNotification(n.Event, n.Anchor,
            n.Anchor >= 0 && responseAt.TryGetValue(n.Anchor, out var at) && at > n.Position)).ToList();
        var answers = commands.Where(c => c.Response is not null).GroupBy(c => Key(c.Command.Header, c.Command.Payload))
            .ToDictionary(g => g.Key, g => g.ToList());
        return new ReplayScript(recording, commands, script, answers, delayed);
    }

    /// <summary>
    /// The recorded command that answers this one, or null. Each call uses up one recorded command of the
    /// key (in recorded order), and the last is repeated once all are used. Not thread-safe: one caller.
    /// </summary>
    public ReplayCommand? Match(uint header, ReadOnlySpan<byte> payload)
    {
        var key = Key(header, payload);
        if (!_answers.TryGetValue(key, out var list)) return null;
        var used = _used.GetValueOrDefault(key);
        _used[key] = used + 1;
        return list[Math.Min(used, list.Count - 1)];
    }

    /// <summary>The recorded status and return values of a response.</summary>
    public static (ScmiStatus Status, byte[] Values) Split(ReplayEvent response) =>
        ((ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(response.Payload), response.Payload[4..]);

    private static string Key(uint header, ReadOnlySpan<byte> payload) =>
        $"{ScmiHeader.ProtocolOf(header):x2}{ScmiHeader.MessageIdOf(header):x2}:{Convert.ToHexStringLower(payload)}";
}
