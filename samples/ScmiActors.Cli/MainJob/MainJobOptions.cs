using ScmiActors.Emulation;

namespace ScmiActors.Cli.MainJob;

/// <summary>The main job's knobs (the command line maps onto these).</summary>
/// <param name="Platforms">How many emulated platforms; descriptions cycle through the config's platforms.</param>
/// <param name="Rate">Multiplies every event rate of the emulator scenario.</param>
/// <param name="ConfigFile">HOCON with <c>scmi.platforms</c> (and optionally <c>scmi.emulator</c>); null: the embedded hocon/platforms.conf.</param>
/// <param name="Discover">The handles learn protocols, versions, counts and capabilities from the emulator over SCMI commands.</param>
/// <param name="RateLimit">The storm guard for every protocol (<c>scmi.rate-limit</c>), notifications per second; null: off.</param>
public sealed record MainJobOptions(
    int Platforms = 1,
    double Rate = 20,
    TimeSpan? Duration = null,
    EmulatorFault Faults = EmulatorFault.None,
    string? ConfigFile = null,
    bool Discover = true,
    TimeSpan? ProgressInterval = null,
    bool ConsoleLogging = true,
    int? RateLimit = null)
{
    public TimeSpan RunFor => Duration ?? TimeSpan.FromSeconds(10);
    public TimeSpan Progress => ProgressInterval ?? TimeSpan.FromSeconds(1);
}
