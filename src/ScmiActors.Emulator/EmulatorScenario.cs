using System.Collections.Immutable;
using Akka.Configuration;

namespace ScmiActors.Emulator;

/// <summary>
/// What the emulated platform does: how often each resource changes, the ranges its values move in,
/// the faults it injects, and the seed that makes all of it reproducible. Every property has a
/// realistic default, so <c>new EmulatorScenario()</c> (or <see cref="Default"/>) is a working
/// scenario and a test changes only what it needs with <c>with { … }</c>.
/// <para>Rates are changes per second <b>per source</b> (per domain, clock, sensor, …). The platform
/// simulates every change whether or not anybody listens, and, like real firmware, sends a
/// notification only for a (protocol, event, source) the agent enabled. So for one seed the
/// simulated world is the same whatever the agent enables; what is sent is that world filtered
/// by the enable state.</para>
/// </summary>
public sealed record EmulatorScenario
{
    public static EmulatorScenario Default { get; } = new();

    /// <summary>Seeds <see cref="System.Random"/>: one seed, one sequence.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Simulated time per tick; the background loop runs one tick per interval.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    // ---- agents ---------------------------------------------------------------------------------

    /// <summary>The agent id of the agent on this channel (BASE_DISCOVER_AGENT of 0xFFFFFFFF).</summary>
    public uint AgentId { get; init; } = 1;

    /// <summary>Number of agents the base protocol reports (PROTOCOL_ATTRIBUTES bits 15:8).</summary>
    public int Agents { get; init; } = 2;

    /// <summary>Share of changes caused by an agent (agent_id 1..Agents) rather than by the platform (agent_id 0).</summary>
    public double AgentCausedShare { get; init; } = 0.2;

    // ---- rates: changes per second per source ----------------------------------------------------

    public double PerfLevelPerSecond { get; init; } = 20;
    public double PerfLimitsPerSecond { get; init; } = 0.5;
    public double PowerStatePerSecond { get; init; } = 1;

    /// <summary>Each clock rate change sends CLOCK_RATE_CHANGE_REQUESTED, then CLOCK_RATE_CHANGED.</summary>
    public double ClockRatePerSecond { get; init; } = 1;

    public double SensorUpdatePerSecond { get; init; } = 5;
    public double PowercapCapPerSecond { get; init; } = 0.2;
    public double ResetPerSecond { get; init; } = 0.1;
    public double BaseErrorPerSecond { get; init; } = 0.05;

    /// <summary>i.MX BBM (0x81) RTC events per second per event kind (alarm, rollover, updated).</summary>
    public double BbmRtcPerSecond { get; init; } = 0.1;

    public double BbmButtonPerSecond { get; init; } = 0.02;

    /// <summary>i.MX MISC (0x84) MISC_CONTROL_EVENTs per second per control.</summary>
    public double MiscControlPerSecond { get; init; } = 0.05;

    // ---- value ranges ---------------------------------------------------------------------------

    public uint PerfMinLevel { get; init; } = 100;
    public uint PerfMaxLevel { get; init; } = 2000;
    public uint PerfLevelStep { get; init; } = 100;

    /// <summary>Clock rates move between these (Hz); above 4 GHz the rate needs its high word.</summary>
    public ulong ClockMinHz { get; init; } = 100_000_000;
    public ulong ClockMaxHz { get; init; } = 4_800_000_000;
    public ulong ClockStepHz { get; init; } = 100_000_000;

    /// <summary>Temperatures (millidegrees Celsius, signed) swing between these, each sensor with its own phase.</summary>
    public long TemperatureMin { get; init; } = -20_000;
    public long TemperatureMax { get; init; } = 95_000;
    public TimeSpan TemperaturePeriod { get; init; } = TimeSpan.FromSeconds(8);
    public long TemperatureNoise { get; init; } = 100;

    /// <summary>Trip points (millidegrees) every sensor that can notify has; crossing one sends SENSOR_TRIP_POINT_EVENT.</summary>
    public ImmutableArray<long> TripPoints { get; init; } = [45_000, 70_000, 85_000];

    /// <summary>Measured power (mW) per powercap domain swings between these.</summary>
    public uint PowerMinMw { get; init; } = 500;
    public uint PowerMaxMw { get; init; } = 8_000;
    public TimeSpan PowerPeriod { get; init; } = TimeSpan.FromSeconds(6);
    public uint PowerNoiseMw { get; init; } = 50;
    public uint CapMinMw { get; init; } = 2_000;
    public uint CapMaxMw { get; init; } = 10_000;
    public uint CapStepMw { get; init; } = 500;

    /// <summary>Measurement thresholds until an agent sets them with POWERCAP_MEASUREMENTS_NOTIFY; the description's win over these.</summary>
    public (uint Low, uint High) MeasurementThresholds { get; init; } = (1_000, 5_000);

    // ---- system power ---------------------------------------------------------------------------

    /// <summary>When the platform asks once for a graceful shutdown (SYSTEM_POWER_STATE_NOTIFIER flags=1, state 0); null: never.</summary>
    public TimeSpan? ShutdownAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The timeout the shutdown request gives the agent (system power v2.0+ only).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    // ---- discovery ------------------------------------------------------------------------------

    /// <summary>Most items one paginated answer carries (protocol list, sensor and axis descriptors).</summary>
    public int ItemsPerResponse { get; init; } = 4;

    // ---- faults ---------------------------------------------------------------------------------

    public EmulatorFault Faults { get; init; } = EmulatorFault.None;

    /// <summary>Share of notifications a payload or id fault (malformed, oversized, unknown, out of range) hits.</summary>
    public double FaultProbability { get; init; } = 0.1;

    public TimeSpan StormEvery { get; init; } = TimeSpan.FromSeconds(1);
    public int StormBurst { get; init; } = 2_000;
    public TimeSpan SlowResponseMin { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan SlowResponseMax { get; init; } = TimeSpan.FromMilliseconds(300);
    public double MissingResponseProbability { get; init; } = 0.25;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"emulator scenario: {what}");
        }

        Require(TickInterval > TimeSpan.Zero, "tick interval must be positive");
        Require(Agents is >= 1 and <= 255, "agents must be 1..255");
        Require(AgentId >= 1 && AgentId <= (uint)Agents, "agent id must be 1..agents");
        Require(AgentCausedShare is >= 0 and <= 1, "agent-caused share must be 0..1");
        foreach (var (name, rate) in new[]
                 {
                     ("perf-level", PerfLevelPerSecond), ("perf-limits", PerfLimitsPerSecond), ("power-state", PowerStatePerSecond),
                     ("clock-rate", ClockRatePerSecond), ("sensor-update", SensorUpdatePerSecond), ("powercap-cap", PowercapCapPerSecond),
                     ("reset", ResetPerSecond), ("base-error", BaseErrorPerSecond), ("bbm-rtc", BbmRtcPerSecond), ("bbm-button", BbmButtonPerSecond),
                     ("misc-control", MiscControlPerSecond),
                 })
            Require(rate >= 0 && double.IsFinite(rate), $"rate {name} must be a finite number >= 0");
        Require(PerfLevelStep > 0 && PerfMinLevel <= PerfMaxLevel, "perf levels: step > 0 and min <= max");
        Require(ClockStepHz > 0 && ClockMinHz <= ClockMaxHz, "clock rates: step > 0 and min <= max");
        Require(TemperatureMin <= TemperatureMax && TemperatureNoise >= 0, "temperatures: min <= max, noise >= 0");
        Require(TemperaturePeriod > TimeSpan.Zero && PowerPeriod > TimeSpan.Zero, "periods must be positive");
        Require(TripPoints.IsDefault || TripPoints.Length <= 255, "at most 255 trip points");
        Require(PowerMinMw <= PowerMaxMw && CapStepMw > 0 && CapMinMw <= CapMaxMw, "powercap: min <= max and step > 0");
        Require(MeasurementThresholds.Low <= MeasurementThresholds.High, "measurement thresholds: low <= high");
        Require(ShutdownAfter is null || ShutdownAfter >= TimeSpan.Zero, "shutdown-after must be >= 0");
        Require(ShutdownTimeout >= TimeSpan.Zero && ShutdownTimeout.TotalMilliseconds <= uint.MaxValue, "shutdown timeout out of range");
        Require(ItemsPerResponse is >= 1 and <= 63, "items per response must be 1..63");
        Require(FaultProbability is >= 0 and <= 1, "fault probability must be 0..1");
        Require(StormEvery > TimeSpan.Zero && StormBurst >= 0, "storm: every > 0 and burst >= 0");
        Require(SlowResponseMin >= TimeSpan.Zero && SlowResponseMin <= SlowResponseMax, "slow responses: 0 <= min <= max");
        Require(MissingResponseProbability is >= 0 and <= 1, "missing-response probability must be 0..1");
    }

    // ---- HOCON ----------------------------------------------------------------------------------

    /// <summary>Where <see cref="Load"/> looks by default.</summary>
    public const string ConfigPath = "scmi.emulator";

    /// <summary>Parses HOCON text and reads the scenario at <paramref name="path"/> (keys missing there keep their defaults).</summary>
    public static EmulatorScenario Parse(string hocon, string path = ConfigPath) =>
        Load(ConfigurationFactory.ParseString(hocon), path);

    /// <summary>Reads the scenario at <paramref name="path"/> of <paramref name="root"/>; the default scenario when the path is absent.</summary>
    public static EmulatorScenario Load(Config root, string path = ConfigPath)
    {
        if (!root.HasPath(path)) return Default;
        // A scalar or list there would read as an empty section, i.e. silently as the default.
        if (!root.GetValue(path).IsObject()) throw new ArgumentException($"emulator scenario: {path} must be an object of settings");
        return FromConfig(root.GetConfig(path));
    }

    /// <summary>
    /// Reads a scenario section:
    /// <code>
    /// seed = 7, tick = 10ms, agent-id = 1, agents = 2, agent-caused-share = 0.2
    /// rates { perf-level = 20, perf-limits = 0.5, power-state = 1, clock-rate = 1, sensor-update = 5,
    ///         powercap-cap = 0.2, reset = 0.1, base-error = 0.05, bbm-rtc = 0.1, bbm-button = 0.02,
    ///         misc-control = 0.05 }
    /// perf { min-level = 100, max-level = 2000, level-step = 100 }
    /// clock { min-hz = 100000000, max-hz = 4800000000, step-hz = 100000000 }
    /// sensor { min = -20000, max = 95000, period = 8s, noise = 100, trip-points = [45000, 70000, 85000] }
    /// powercap { min-mw = 500, max-mw = 8000, period = 6s, noise-mw = 50, cap-min-mw = 2000, cap-max-mw = 10000,
    ///            cap-step-mw = 500, measurement-thresholds = [1000, 5000] }
    /// shutdown-after = 30s          # or off
    /// shutdown-timeout = 10s
    /// items-per-response = 4
    /// faults = [malformed, storm]   # enum names, any case, dashes allowed
    /// fault-probability = 0.1
    /// storm { every = 1s, burst = 2000 }
    /// slow-responses { min = 50ms, max = 300ms }
    /// missing-response-probability = 0.25
    /// </code>
    /// </summary>
    public static EmulatorScenario FromConfig(Config c)
    {
        // A misspelt key would otherwise be silently ignored and the run would use the default.
        foreach (var key in LeafKeys(c.Root, ""))
            if (!KnownKeys.Contains(key))
                throw new ArgumentException($"emulator scenario: unknown key '{key}' (known: {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))})");
        try
        {
            return FromKnownKeys(c);
        }
        catch (Exception e) when (e.GetType() != typeof(ArgumentException))
        {
            // The HOCON library reports a wrong value type ("abc" for a number, a list for a number) with
            // whatever exception it hits, ArgumentNullException included; ours are plain ArgumentExceptions.
            throw new ArgumentException($"emulator scenario: a value has the wrong type or range ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>The keys <see cref="FromConfig"/> reads, relative to the scenario section.</summary>
    public static IReadOnlySet<string> KnownKeys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "seed", "tick", "agent-id", "agents", "agent-caused-share",
        "rates.perf-level", "rates.perf-limits", "rates.power-state", "rates.clock-rate", "rates.sensor-update",
        "rates.powercap-cap", "rates.reset", "rates.base-error", "rates.bbm-rtc", "rates.bbm-button",
        "rates.misc-control",
        "perf.min-level", "perf.max-level", "perf.level-step",
        "clock.min-hz", "clock.max-hz", "clock.step-hz",
        "sensor.min", "sensor.max", "sensor.period", "sensor.noise", "sensor.trip-points",
        "powercap.min-mw", "powercap.max-mw", "powercap.period", "powercap.noise-mw", "powercap.cap-min-mw",
        "powercap.cap-max-mw", "powercap.cap-step-mw", "powercap.measurement-thresholds",
        "shutdown-after", "shutdown-timeout", "items-per-response", "faults", "fault-probability",
        "storm.every", "storm.burst", "slow-responses.min", "slow-responses.max", "missing-response-probability",
    };

    private static IEnumerable<string> LeafKeys(Akka.Configuration.Hocon.HoconValue value, string prefix)
    {
        if (!value.IsObject())
        {
            if (prefix.Length > 0) yield return prefix;
            yield break;
        }
        foreach (var (name, child) in value.GetObject().Items)
        foreach (var key in LeafKeys(child, prefix.Length == 0 ? name : $"{prefix}.{name}"))
            yield return key;
    }

    private static EmulatorScenario FromKnownKeys(Config c)
    {
        var d = Default;
        var scenario = new EmulatorScenario
        {
            Seed = c.GetInt("seed", d.Seed),
            TickInterval = Time(c, "tick", d.TickInterval),
            AgentId = (uint)c.GetLong("agent-id", d.AgentId),
            Agents = c.GetInt("agents", d.Agents),
            AgentCausedShare = c.GetDouble("agent-caused-share", d.AgentCausedShare),

            PerfLevelPerSecond = c.GetDouble("rates.perf-level", d.PerfLevelPerSecond),
            PerfLimitsPerSecond = c.GetDouble("rates.perf-limits", d.PerfLimitsPerSecond),
            PowerStatePerSecond = c.GetDouble("rates.power-state", d.PowerStatePerSecond),
            ClockRatePerSecond = c.GetDouble("rates.clock-rate", d.ClockRatePerSecond),
            SensorUpdatePerSecond = c.GetDouble("rates.sensor-update", d.SensorUpdatePerSecond),
            PowercapCapPerSecond = c.GetDouble("rates.powercap-cap", d.PowercapCapPerSecond),
            ResetPerSecond = c.GetDouble("rates.reset", d.ResetPerSecond),
            BaseErrorPerSecond = c.GetDouble("rates.base-error", d.BaseErrorPerSecond),
            BbmRtcPerSecond = c.GetDouble("rates.bbm-rtc", d.BbmRtcPerSecond),
            BbmButtonPerSecond = c.GetDouble("rates.bbm-button", d.BbmButtonPerSecond),
            MiscControlPerSecond = c.GetDouble("rates.misc-control", d.MiscControlPerSecond),

            PerfMinLevel = (uint)c.GetLong("perf.min-level", d.PerfMinLevel),
            PerfMaxLevel = (uint)c.GetLong("perf.max-level", d.PerfMaxLevel),
            PerfLevelStep = (uint)c.GetLong("perf.level-step", d.PerfLevelStep),

            ClockMinHz = (ulong)c.GetLong("clock.min-hz", (long)d.ClockMinHz),
            ClockMaxHz = (ulong)c.GetLong("clock.max-hz", (long)d.ClockMaxHz),
            ClockStepHz = (ulong)c.GetLong("clock.step-hz", (long)d.ClockStepHz),

            TemperatureMin = c.GetLong("sensor.min", d.TemperatureMin),
            TemperatureMax = c.GetLong("sensor.max", d.TemperatureMax),
            TemperaturePeriod = Time(c, "sensor.period", d.TemperaturePeriod),
            TemperatureNoise = c.GetLong("sensor.noise", d.TemperatureNoise),
            TripPoints = c.HasPath("sensor.trip-points") ? [.. c.GetLongList("sensor.trip-points")] : d.TripPoints,

            PowerMinMw = (uint)c.GetLong("powercap.min-mw", d.PowerMinMw),
            PowerMaxMw = (uint)c.GetLong("powercap.max-mw", d.PowerMaxMw),
            PowerPeriod = Time(c, "powercap.period", d.PowerPeriod),
            PowerNoiseMw = (uint)c.GetLong("powercap.noise-mw", d.PowerNoiseMw),
            CapMinMw = (uint)c.GetLong("powercap.cap-min-mw", d.CapMinMw),
            CapMaxMw = (uint)c.GetLong("powercap.cap-max-mw", d.CapMaxMw),
            CapStepMw = (uint)c.GetLong("powercap.cap-step-mw", d.CapStepMw),
            MeasurementThresholds = Pair(c, "powercap.measurement-thresholds", d.MeasurementThresholds),

            ShutdownAfter = IsOff(c, "shutdown-after") ? null : c.HasPath("shutdown-after") ? Time(c, "shutdown-after", TimeSpan.Zero) : d.ShutdownAfter,
            ShutdownTimeout = Time(c, "shutdown-timeout", d.ShutdownTimeout),
            ItemsPerResponse = c.GetInt("items-per-response", d.ItemsPerResponse),

            Faults = c.HasPath("faults") ? ParseFaults(c.GetStringList("faults")) : d.Faults,
            FaultProbability = c.GetDouble("fault-probability", d.FaultProbability),
            StormEvery = Time(c, "storm.every", d.StormEvery),
            StormBurst = c.GetInt("storm.burst", d.StormBurst),
            SlowResponseMin = Time(c, "slow-responses.min", d.SlowResponseMin),
            SlowResponseMax = Time(c, "slow-responses.max", d.SlowResponseMax),
            MissingResponseProbability = c.GetDouble("missing-response-probability", d.MissingResponseProbability),
        };
        scenario.Validate();
        return scenario;
    }

    /// <summary>Parses fault names: enum names in any case, with or without dashes (<c>keep-sending-after-stop</c>).</summary>
    public static EmulatorFault ParseFaults(IEnumerable<string> names)
    {
        var faults = EmulatorFault.None;
        foreach (var name in names)
        {
            var key = name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            if (!Enum.TryParse<EmulatorFault>(key, ignoreCase: true, out var fault) || !Enum.IsDefined(fault))
                throw new ArgumentException($"emulator scenario: unknown fault '{name}' (known: {string.Join(", ", Enum.GetNames<EmulatorFault>())})");
            faults |= fault;
        }
        return faults;
    }

    private static TimeSpan Time(Config c, string path, TimeSpan fallback) =>
        c.HasPath(path) ? c.GetTimeSpan(path, fallback, allowInfinite: false) : fallback;

    private static bool IsOff(Config c, string path) =>
        c.HasPath(path) && string.Equals(c.GetString(path), "off", StringComparison.OrdinalIgnoreCase);

    private static (uint, uint) Pair(Config c, string path, (uint, uint) fallback)
    {
        if (!c.HasPath(path)) return fallback;
        var list = c.GetLongList(path);
        if (list.Count != 2) throw new ArgumentException($"emulator scenario: {path} must be [low, high]");
        return ((uint)list[0], (uint)list[1]);
    }
}
