using ScmiActors.Emulator;
using ScmiActors.Transport.Raw;


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

/// <summary>How the main job reaches its emulated platforms.</summary>
public enum MainJobLink
{
    /// <summary>Emulators in this process, on in-memory transports.</summary>
    InMemory,

    /// <summary>A platform process (a child, or one given by <see cref="MainJobOptions.Connect"/>) on SMT links, one per platform.</summary>
    Smt,
}

/// <summary>The main job's knobs (the command line maps onto these).</summary>
/// <param name="Platforms">How many emulated platforms; descriptions cycle through the config's platforms.</param>
/// <param name="Rate">Multiplies every event rate of the emulator scenario.</param>
/// <param name="ConfigFile">HOCON with <c>scmi.platforms</c> (and optionally <c>scmi.emulator</c>); null: the embedded hocon/platforms.conf.</param>
/// <param name="Discover">The handles learn protocols, versions, counts and capabilities from the emulator over SCMI commands.</param>
/// <param name="RateLimit">The storm guard for every protocol (<c>scmi.rate-limit</c>), notifications per second; null: off.</param>
/// <param name="Verbose">Every log line, Akka's infrastructure included, and per-protocol progress.</param>
/// <param name="Link">In-memory by default here (a caller in-process, a test, has no scmi-actors executable to start);
/// the command line's default is <see cref="MainJobLink.Smt"/>.</param>
/// <param name="Connect">With <see cref="MainJobLink.Smt"/>: the link prefix of a platform process started elsewhere
/// (<c>platform --link PATH --platforms N</c>) instead of a child; null: start the child.</param>
/// <param name="Raw">A real board's SCMI instance in Linux raw mode (<c>/sys/kernel/debug/scmi/0</c>): one platform,
/// discovered over the link, listened to; no emulator, and <see cref="Link"/> does not apply. Null: the
/// configuration says (its <c>transport = raw</c> platforms), or emulated platforms.</param>
/// <param name="RawOptions">Tuning of the raw-mode transport (tests point it at a fake debugfs); null: a real board's defaults.</param>
/// <param name="RawTransportCreated">Told each raw-mode transport before it connects (a test's fake kernel feeds its readers).</param>
/// <param name="Record">Record every message of every link, one file per platform (<c>run.rec</c> → <c>run-soc0.rec</c>); null: none.</param>
/// <param name="Profile">With the SMT link's child platform process: the firmware profile it runs (none, scp, imx-sm).</param>
/// <param name="Metrics">Where the host exports the library's meter (Prometheus, OTLP); null: nowhere.</param>
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
    bool Verbose = false,
    MainJobLink Link = MainJobLink.InMemory,
    string? Connect = null,
    string? Raw = null,
    RawModeOptions? RawOptions = null,
    Action<RawModeTransport>? RawTransportCreated = null,
    string? Record = null,
    string Profile = "none",
    Observability.MetricsOptions? Metrics = null)
{
    public TimeSpan RunFor => Duration ?? TimeSpan.FromSeconds(10);
    public TimeSpan Progress => ProgressInterval ?? TimeSpan.FromSeconds(1);
}
