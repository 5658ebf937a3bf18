using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ScmiActors.Emulator;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The root command's own action: <c>scmi-actors [--platforms N] [--rate X] [--duration T]
/// [--fault MODE]... [--config FILE] [--no-discovery] [--rate-limit N] [--verbose] [--log-format text|json]
/// [--link smt|in-memory] [--connect PATH] [--raw DIR]</c> runs the main job on the embedded default (also as
/// <c>scmi-actors run …</c>). Every value is checked against its documented range
/// while parsing, so a bad one is one line and exit 2 before anything starts (see <see cref="ExitCodes"/>).
/// </summary>
public static class MainJobCommand
{
    /// <summary>
    /// Measured on the 2-core machine: 200 platforms take 460 MB and 28 s for a 2 s run; 1000 took
    /// 2.1 GB and 155 s, and their ordered stops no longer finished in time.
    /// </summary>
    public const int MaxPlatforms = 200;
    public const double MaxRate = 1_000;
    public const int MaxRateLimit = 10_000_000;
    public static readonly TimeSpan MinDuration = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    /// <summary>Printed after the root command's standard help.</summary>
    public const string HelpDetails = """
        Main job exit codes (the most serious finding wins):
          0    ran; the accounting adds up
          1    the accounting does not add up (and nothing else)
          2    bad command line: unknown option, or a value outside its documented range
          3    configuration error: --config missing, unreadable, not HOCON, or describing something invalid
          4    a platform never came up (its start failed or did not finish in 15 s + 50 ms per platform)
          70   internal error (a bug; one line on standard error)
          130  interrupted by SIGINT (Ctrl+C): stopped in order, summary printed
          143  stopped by SIGTERM: the same
        A second signal exits at once, without the summary.
        """;

    /// <summary>The fault modes the command line accepts, in kebab case.</summary>
    public static IReadOnlyList<string> FaultNames => Faults.Keys;

    /// <summary>Only the named modes: Enum.TryParse would also take numbers ("4096", "-1") and combinations.</summary>
    private static readonly OrderedDictionary<string, EmulatorFault> Faults =
        new(Enum.GetValues<EmulatorFault>().Where(f => f != EmulatorFault.None).Select(f => KeyValuePair.Create(Kebab(f.ToString()), f)));

    /// <summary>The main job's options and action on <paramref name="root"/> (the root command, or <c>run</c>).</summary>
    public static void Configure(Command root, TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
    {
        var platforms = new Option<int>("--platforms")
        {
            Description = $"Number of emulated platforms, 1..{MaxPlatforms} (descriptions cycle through the config)",
            DefaultValueFactory = _ => 1,
        };
        platforms.Validators.Add(r => Range(r, r.GetValueOrDefault<int>(), 1, MaxPlatforms, "--platforms"));
        var rate = new Option<double>("--rate")
        {
            Description = $"Multiplier of every event rate of the emulator scenario, above 0 and at most {MaxRate:G}",
            DefaultValueFactory = _ => 20,
            CustomParser = ParseRate,
        };
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = $"How long to run: a number of seconds, or with a unit ms, s, m, h (500ms, 10s, 2m); at most {MainJobRunner.Format(MaxDuration)}",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseDuration,
        };
        var fault = new Option<string[]>("--fault")
        {
            Description = "Emulator fault mode(s): " + string.Join(", ", FaultNames),
            AllowMultipleArgumentsPerToken = true,
        };
        fault.Validators.Add(r =>
        {
            try
            {
                ParseFaults(r.GetValueOrDefault<string[]>() ?? []);
            }
            catch (ArgumentException e)
            {
                r.AddError(e.Message);
            }
        });
        var config = new Option<string?>("--config") { Description = "HOCON file with scmi.platforms (and scmi.emulator); default: the embedded hocon/platforms.conf" };
        var noDiscovery = new Option<bool>("--no-discovery") { Description = "Use the configured descriptions as they are instead of discovering the platforms over SCMI" };
        var rateLimit = new Option<int?>("--rate-limit")
        {
            Description = $"Storm guard: accept at most this many notifications per second per protocol, 1..{MaxRateLimit} (scmi.rate-limit); default off",
        };
        rateLimit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is { } v) Range(r, v, 1, MaxRateLimit, "--rate-limit");
        });
        var verbose = new Option<bool>("--verbose") { Description = "Every log line, Akka's infrastructure included, and per-protocol progress" };
        var logFormat = ConsoleLogs.FormatOption();
        var link = new Option<string>("--link")
        {
            Description = "How the platforms run: 'smt' (a platform process, this executable's `platform` command, on SMT links) or 'in-memory' (emulators in this process)",
            HelpName = "smt|in-memory",
            DefaultValueFactory = _ => "smt",
        };
        link.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not ("smt" or "in-memory") and var other) r.AddError($"--link: '{other}' is not smt or in-memory");
        });
        var connect = new Option<string?>("--connect")
        {
            Description = "Attach to a platform process started elsewhere (`platform --link PATH --platforms N`, the same N and config) instead of starting one",
            HelpName = "PATH",
        };
        var raw = new Option<string?>("--raw")
        {
            Description = "Attach to a real board's SCMI instance in Linux raw mode (e.g. /sys/kernel/debug/scmi/0; root, debugfs and " +
                          "CONFIG_ARM_SCMI_RAW_MODE_SUPPORT) instead of emulated platforms: discover it, subscribe, count; send nothing that changes its state",
            HelpName = "DIR",
        };
        var record = new Option<string?>("--record")
        {
            Description = "Record every message of every link with its time and direction, one file per platform (run.rec gives run-soc0.rec, ...); read with decode, replay with platform --replay",
            HelpName = "FILE",
        };
        record.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is not { } file) return;
            var directory = Path.GetDirectoryName(Path.GetFullPath(file));
            if (directory is null || !Directory.Exists(directory)) r.AddError($"--record: the directory of {file} does not exist");
        });
        var profile = new Option<string>("--profile")
        {
            Description = "With --link smt: the platform process behaves like recorded firmware (scp: Arm SCP-firmware, imx-sm: NXP i.MX System Manager)",
            HelpName = string.Join("|", ScmiActors.Emulator.Profiles.FirmwareProfile.Names),
            DefaultValueFactory = _ => "none",
        };
        profile.AcceptOnlyFromAmong([.. ScmiActors.Emulator.Profiles.FirmwareProfile.Names]);
        foreach (var option in new Option[] { platforms, rate, duration, fault, config, noDiscovery, rateLimit, verbose, logFormat, link, connect, raw, record, profile })
            root.Options.Add(option);
        var metrics = new Observability.MetricsCommandLine(root, "127.0.0.1");
        root.Validators.Add(r =>
        {
            if (r.GetValue(connect) is not null && r.GetValue(link) == "in-memory") r.AddError("--connect: needs --link smt (it attaches to a platform process)");
            if (r.GetResult(profile) is { Implicit: false } && r.GetValue(profile) != "none"
                && (r.GetValue(link) == "in-memory" || r.GetValue(connect) is not null || r.GetValue(raw) is not null))
                r.AddError("--profile: shapes the platform process this job starts on SMT links (not with --link in-memory, --connect or --raw)");
            if (r.GetValue(raw) is null) return;
            // Options about emulated platforms mean nothing on a real board: say so rather than ignore them.
            foreach (var (option, why) in new (Option, string)[]
                     {
                         (platforms, "a raw-mode instance is one platform"), (rate, "the board sends at its own rate"), (fault, "the board is not emulated"),
                         (link, "the link is raw mode"), (connect, "the link is raw mode"), (noDiscovery, "a board is learnt by discovery"),
                     })
                if (r.GetResult(option) is { Implicit: false }) r.AddError($"{option.Name}: does not apply with --raw ({why})");
        });

        root.SetAction(async (parse, cancellation) =>
        {
            // The scrape endpoint binds loopback: the main job is one machine's tool.
            if (metrics.Read(parse, "127.0.0.1", error) is not { } metricsOptions) return ExitCodes.Usage;
            var options = new MainJobOptions(parse.GetValue(platforms), parse.GetValue(rate), parse.GetValue(duration),
                ParseFaults(parse.GetValue(fault) ?? []), parse.GetValue(config), !parse.GetValue(noDiscovery),
                RateLimit: parse.GetValue(rateLimit), Logs: ConsoleLogs.Parse(parse.GetValue(logFormat)), Verbose: parse.GetValue(verbose),
                Link: parse.GetValue(link) == "in-memory" ? MainJobLink.InMemory : MainJobLink.Smt, Connect: parse.GetValue(connect),
                Raw: parse.GetValue(raw), Record: parse.GetValue(record), Profile: parse.GetValue(profile)!, Metrics: metricsOptions);
            try
            {
                var result = await new MainJobRunner(options, output).RunAsync(cancellation);
                output.Flush();
                return result.ExitCode == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : result.ExitCode;
            }
            catch (ConfigFileException e)
            {
                error.WriteLine($"scmi-actors: configuration: {e.Message}");
                error.Flush();
                return ExitCodes.ConfigError;
            }
            catch (MainJobUsageException e)
            {
                error.WriteLine($"scmi-actors: {e.Message} (see --help)");
                error.Flush();
                return ExitCodes.Usage;
            }
        });
    }

    /// <summary>The command-line names of the flags set in <paramref name="faults"/> (to pass them on to the platform process).</summary>
    public static IEnumerable<string> FaultNamesOf(EmulatorFault faults) => Faults.Where(f => faults.HasFlag(f.Value)).Select(f => f.Key);

    /// <summary>Fault names as listed in <see cref="FaultNames"/> (commas allowed); numbers and unknown names are refused.</summary>
    public static EmulatorFault ParseFaults(IEnumerable<string> names)
    {
        var faults = EmulatorFault.None;
        foreach (var name in names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Faults.TryGetValue(name.ToLowerInvariant(), out var fault))
                throw new ArgumentException($"--fault: unknown fault mode '{name}' (known: {string.Join(", ", FaultNames)})");
            faults |= fault;
        }
        return faults;
    }

    /// <summary>
    /// A bare number is seconds; units ms, s, m, h (lower case; 1.5s, 500ms); hh:mm:ss also works.
    /// Null with the reason when the text is none of these or outside [<see cref="MinDuration"/>, <see cref="MaxDuration"/>].
    /// </summary>
    public static TimeSpan? TryParseDuration(string text, out string reason)
    {
        reason = "";
        text = text.Trim();
        TimeSpan? value = null;
        if (text.Contains(':'))
        {
            if (TimeSpan.TryParseExact(text, ["hh\\:mm\\:ss", "hh\\:mm\\:ss\\.FFF", "h\\:mm\\:ss"], CultureInfo.InvariantCulture, out var t)) value = t;
        }
        else
        {
            var (number, scale) = text switch
            {
                _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
                _ when text.EndsWith('s') => (text[..^1], 1.0),
                _ when text.EndsWith('m') => (text[..^1], 60.0),
                _ when text.EndsWith('h') => (text[..^1], 3600.0),
                _ => (text, 1.0),
            };
            // NumberStyles.Float: no thousands separators, no "NaN"/"Infinity" words (they fail IsFinite below anyway).
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
            {
                var seconds = n * scale;
                if (seconds > MaxDuration.TotalSeconds) { reason = $"--duration: '{text}' is above the limit of {MainJobRunner.Format(MaxDuration)}"; return null; }
                value = TimeSpan.FromSeconds(seconds);
            }
        }
        if (value is not { } v)
        {
            reason = $"--duration: '{text}' is not a duration (a number of seconds, or with a unit ms, s, m, h: 500ms, 10s, 2m)";
            return null;
        }
        if (v < MinDuration) { reason = $"--duration: '{text}' is below the minimum of {MainJobRunner.Format(MinDuration)}"; return null; }
        if (v > MaxDuration) { reason = $"--duration: '{text}' is above the limit of {MainJobRunner.Format(MaxDuration)}"; return null; }
        return v;
    }

    internal static TimeSpan ParseDuration(ArgumentResult r) =>
        TryParseDuration(r.Tokens.Single().Value, out var reason) ?? Error<TimeSpan>(r, reason);

    /// <summary>A duration for the option <paramref name="name"/> within [<paramref name="min"/>, <paramref name="max"/>], else one line naming the range.</summary>
    internal static TimeSpan ParseDuration(ArgumentResult r, string name, TimeSpan min, TimeSpan max)
    {
        var text = r.Tokens.Single().Value;
        if (TryParseDuration(text, out _) is { } v && v >= min && v <= max) return v;
        return Error<TimeSpan>(r, $"{name}: '{text}' is not a duration from {Seconds(min)} to {Seconds(max)}");

        static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
    }

    internal static double ParseRate(ArgumentResult r)
    {
        var text = r.Tokens.Single().Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
            return Error<double>(r, $"--rate: '{text}' is not a finite number");
        if (x <= 0 || x > MaxRate) return Error<double>(r, $"--rate: {text} is outside the range (0, {MaxRate:G}]; the limit is {MaxRate:G}");
        return x;
    }

    private static void Range(OptionResult r, long value, long min, long max, string name)
    {
        if (value < min || value > max) r.AddError($"{name}: {value} is outside {min}..{max}; the limit is {max}");
    }

    private static T Error<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
