using ScmiActors.Transport.Smt;

namespace ScmiActors.Emulator.Profiles;

/// <summary>What token a notification carries on the wire.</summary>
public enum NotificationTokenPolicy
{
    /// <summary>As the emulator built the header (today's behaviour).</summary>
    AsEmitted,

    /// <summary>Always 0 (SCP-firmware).</summary>
    Zero,

    /// <summary>A counter per P2A channel, mod 1024, taken only by a message actually written (i.MX System Manager).</summary>
    CounterPerChannel,
}

/// <summary>Whether a command's response or the notification it causes reaches the agent first.</summary>
public enum CommandNotificationOrder { ReplyFirst, NotificationFirst }

/// <summary>
/// How one real firmware behaves on the SMT link (TRANSPORTS.md §1.6, peers/*/README.md), as a set of
/// switches the emulator's host applies between <see cref="EmulatedPlatform"/> and the link: the
/// emulator stays generic and a profile only rewrites, widens, holds or adds messages around it.
/// <see cref="None"/> is the emulator as it was: the host bypasses the profile layer entirely.
/// </summary>
public sealed record FirmwareProfile
{
    /// <summary>
    /// The emulator's own behaviour, untouched, except that it waits up to 200 µs for the agent to free a
    /// busy P2A slot before it drops: its scenario raises a tick's notifications in one burst, which a
    /// platform that never waits (SCP-firmware, <see cref="Scp"/>) would mostly lose behind the first.
    /// </summary>
    public static FirmwareProfile None { get; } = new() { Name = "none", BusySlotPatience = TimeSpan.FromMicroseconds(200) };

    /// <summary>Arm SCP-firmware v2.14 (quirks Q1–Q6 of peers/scp-2.14/README.md).</summary>
    public static FirmwareProfile Scp { get; } = new()
    {
        Name = "scp",
        Tokens = NotificationTokenPolicy.Zero,
        NotificationFlags = 0,
        LimitsChangedAgentZero = true,
        PerfFanOut = true,
        TripEventsAfterDisable = true,
        TripPointsOnReading = true,
        LevelSet = CommandNotificationOrder.ReplyFirst,
    };

    /// <summary>NXP i.MX System Manager, simu build (quirks 1–5 of peers/imx-sm/README.md).</summary>
    public static FirmwareProfile ImxSm { get; } = new()
    {
        Name = "imx-sm",
        Tokens = NotificationTokenPolicy.CounterPerChannel,
        NotificationFlags = SmtLayout.FlagIntrEnabled,
        P2AQueueWords = 24,
        TripPointAgentZero = true,
        LevelSet = CommandNotificationOrder.NotificationFirst,
    };

    /// <summary>The names <see cref="Parse"/> accepts, in the order a usage line lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "scp", "imx-sm"];

    /// <summary>The profile named <paramref name="name"/> (none, scp, imx-sm; case-insensitive), else an <see cref="ArgumentException"/> with a one-line message.</summary>
    public static FirmwareProfile Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "none" => None,
        "scp" => Scp,
        "imx-sm" => ImxSm,
        _ => throw new ArgumentException($"unknown firmware profile '{name}': use one of {string.Join(", ", Names)}", nameof(name)),
    };

    public string Name { get; init; } = "none";

    /// <summary>How long a notification waits for a busy P2A slot to be freed before it is lost; zero: firmware's rule, no wait.</summary>
    public TimeSpan BusySlotPatience { get; init; }

    public bool IsNone => ReferenceEquals(this, None) || this == None;

    public NotificationTokenPolicy Tokens { get; init; }

    /// <summary>Flags word of every P2A message: 0 (SCP) or INTR_ENABLED (i.MX, which waits for the agent's {0xA0, p2a}).</summary>
    public uint NotificationFlags { get; init; }

    /// <summary>
    /// 0: one P2A slot and nothing behind it; a message for a busy slot is lost (SCP). Otherwise the
    /// words of the per-agent queue behind the slot (header word included), newest dropped when full,
    /// the next written only after the agent's completion doorbell (i.MX: 24).
    /// </summary>
    public int P2AQueueWords { get; init; }

    /// <summary>PERFORMANCE_LIMITS_CHANGED carries agent_id 0 whoever caused it (SCP Q2).</summary>
    public bool LimitsChangedAgentZero { get; init; }

    /// <summary>SENSOR_TRIP_POINT_EVENT carries agent_id 0 (i.MX quirk 5; the emulator already sends 0).</summary>
    public bool TripPointAgentZero { get; init; }

    /// <summary>
    /// A perf NOTIFY_LEVEL/NOTIFY_LIMITS enable on one domain makes every domain's events flow, and each
    /// one is sent once per domain the agent subscribed (SCP Q1: byte-identical copies).
    /// </summary>
    public bool PerfFanOut { get; init; }

    /// <summary>SENSOR_TRIP_POINT_NOTIFY disable answers SUCCESS but the source keeps sending (SCP Q6).</summary>
    public bool TripEventsAfterDisable { get; init; }

    /// <summary>SENSOR_READING_GET evaluates trip point 0 and sends its event before the reply (SCP Q4, Q7).</summary>
    public bool TripPointsOnReading { get; init; }

    /// <summary>PERFORMANCE_LEVEL_SET is implemented, with its LEVEL_CHANGED in this order; null leaves it to the emulator (NOT_FOUND).</summary>
    public CommandNotificationOrder? LevelSet { get; init; }

    /// <summary>The link options this firmware needs: <paramref name="options"/> with the profile's P2A flags (unchanged for <see cref="None"/>).</summary>
    public SmtPlatformOptions LinkOptions(SmtPlatformOptions? options)
    {
        options ??= new SmtPlatformOptions();
        return IsNone ? options : options with { NotificationFlags = NotificationFlags };
    }

    public override string ToString() => Name;
}
