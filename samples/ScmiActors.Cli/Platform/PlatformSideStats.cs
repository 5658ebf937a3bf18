using System.Text.Json;
using ScmiActors.Emulator;

namespace ScmiActors.Cli.Platform;

/// <summary>What one protocol's notifications became on the platform's side of its link.</summary>
public sealed record PlatformSideProtocol(byte Protocol, long Sent, long LostAtSlot, long TooLarge, long WithoutAgent);

/// <summary>
/// One platform's counts as the <c>platform</c> process writes them to <c>--stats-file</c> (one JSON
/// object per line, per platform), so that the main job, in another process, can reconcile what the
/// platform wrote with what its gate received: <c>Tried = Sent + LostAtSlot + TooLarge + LostInQueue + LeftInQueue</c>,
/// and <c>Sent = what the agent's end read + LeftInSlot</c>.
/// </summary>
/// <param name="LeftInSlot">Sent, but still in the P2A slot when the link ended: the agent never read it (0 or 1).</param>
/// <param name="LostInQueue">Dropped by the firmware's own queue in front of the slot (--profile imx-sm: 24 words, newest dropped).</param>
/// <param name="LeftInQueue">Still in that queue when the link ended: never written.</param>
/// <param name="AgentsLinked">Agents served (more than 1 only with --agents-in-turn).</param>
/// <param name="AgentsRefused">Connections refused because an agent was linked.</param>
public sealed record PlatformSideStats(
    string Platform,
    string Area,
    string Socket,
    string Ended,
    bool Linked,
    long Tried,
    long Sent,
    long LostAtSlot,
    long TooLarge,
    long WithoutAgent,
    long LeftInSlot,
    long LostInQueue,
    long LeftInQueue,
    long DelayedSent,
    long DelayedLostAtSlot,
    long CommandsReceived,
    long ResponsesSent,
    long ResponsesWithheld,
    IReadOnlyList<PlatformSideProtocol> Protocols,
    long AgentsLinked = 0,
    long AgentsRefused = 0)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static PlatformSideStats Of(string platform, SmtEmulatorHost host, string area, string socket, string ended, bool linked)
    {
        var s = host.Stats;
        var e = host.Emulator.GetStats();
        return new PlatformSideStats(platform, area, socket, ended, linked, s.NotificationsTried, s.NotificationsSent, s.NotificationsLostAtSlot,
            s.NotificationsTooLarge, s.NotificationsWithoutAgent, host.NotificationsLeftInSlot,
            s.NotificationsLostInQueue, s.NotificationsInQueue, s.DelayedResponsesSent, s.DelayedResponsesLostAtSlot,
            s.Link.CommandsReceived, s.Link.ResponsesSent, e.ResponsesWithheld,
            // The host answers the emulator's posts as the slot went: Queued written, DroppedQueueFull lost at the busy slot.
            e.Protocols.Values.Select(p => new PlatformSideProtocol(p.Protocol, p.Queued, p.DroppedQueueFull, p.PayloadTooLarge, p.NotRunning)).ToList(),
            s.Link.AgentsLinked, s.Link.AgentsRefused);
    }

    public string ToJsonLine() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a stats file; throws <see cref="IOException"/> or <see cref="JsonException"/> when it is missing or not ours.</summary>
    public static IReadOnlyList<PlatformSideStats> ReadFile(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<PlatformSideStats>(l, Json) ?? throw new JsonException($"{path}: a null line"))
            .ToList();
}
