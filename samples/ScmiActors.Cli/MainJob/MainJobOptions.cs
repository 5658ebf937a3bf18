using ScmiActors.Emulator;


namespace ScmiActors.Cli.MainJob;

/// <summary>How the main job writes its logs to the console.</summary>
public enum LogFormat
{
    /// <summary>No console logs (tests).</summary>
    None,

    /// <summary>Short lines for a terminal; Akka's own infrastructure only from Warning up unless verbose.</summary>
    Text,

    /// <summary>One JSON object per event, every property kept, for machines.</summary>
    Json,
}

/// <summary>The main job's knobs (the command line maps onto these).</summary>
/// <param name="Platforms">How many emulated platforms; descriptions cycle through the config's platforms.</param>
/// <param name="Rate">Multiplies every event rate of the emulator scenario.</param>
/// <param name="ConfigFile">HOCON with <c>scmi.platforms</c> (and optionally <c>scmi.emulator</c>); null: the embedded hocon/platforms.conf.</param>
/// <param name="Discover">The handles learn protocols, versions, counts and capabilities from the emulator over SCMI commands.</param>
/// <param name="RateLimit">The storm guard for every protocol (<c>scmi.rate-limit</c>), notifications per second; null: off.</param>
/// <param name="Verbose">Every log line, Akka's infrastructure included, and per-protocol progress.</param>
public sealed record MainJobOptions(
    int Platforms = 1,
    double Rate = 20,
    TimeSpan? Duration = null,
    EmulatorFault Faults = EmulatorFault.None,
    string? ConfigFile = null,
    bool Discover = true,
    TimeSpan? ProgressInterval = null,
    LogFormat Logs = LogFormat.None,
    int? RateLimit = null,
    bool Verbose = false)
{
    public TimeSpan RunFor => Duration ?? TimeSpan.FromSeconds(10);
    public TimeSpan Progress => ProgressInterval ?? TimeSpan.FromSeconds(1);
}
