namespace ScmiActors.Emulator;

/// <summary>
/// Ways the emulated platform misbehaves, as buggy firmware does. Flags combine; each fault the
/// emulator injects is counted per protocol (<see cref="EmulatorProtocolStats.Injected"/>).
/// </summary>
[Flags]
public enum EmulatorFault
{
    None = 0,

    /// <summary>A NOTIFY disable is answered SUCCESS but the source keeps sending.</summary>
    IgnoreDisable = 1 << 0,

    /// <summary>
    /// Once the agent has stopped (its transport detached after having been attached), the platform
    /// keeps posting for every source that was ever enabled, whatever the agent disabled on its way
    /// out. Those posts return <c>NotRunning</c>, and are counted so.
    /// </summary>
    KeepSendingAfterStop = 1 << 1,

    /// <summary>Some payloads are one 32-bit word short.</summary>
    Malformed = 1 << 2,

    /// <summary>Some payloads are one word longer than the event's largest valid payload.</summary>
    Oversized = 1 << 3,

    /// <summary>Some notifications go out with a protocol id the platform does not describe, or an event id its protocol does not have.</summary>
    UnknownProtocolsAndEvents = 1 << 4,

    /// <summary>Some notifications carry a source id at or above the protocol's number of sources.</summary>
    OutOfRangeSources = 1 << 5,

    /// <summary>Every <see cref="EmulatorScenario.StormEvery"/>, a burst of <see cref="EmulatorScenario.StormBurst"/> notifications for the enabled sources, far above any queue budget.</summary>
    Storm = 1 << 6,

    /// <summary>Commands are answered after a delay between <see cref="EmulatorScenario.SlowResponseMin"/> and <see cref="EmulatorScenario.SlowResponseMax"/> (a timer; the caller is never blocked).</summary>
    SlowResponses = 1 << 7,

    /// <summary>Some commands (<see cref="EmulatorScenario.MissingResponseProbability"/>) are carried out but never answered.</summary>
    MissingResponses = 1 << 8,
}
