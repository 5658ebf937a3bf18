using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ScmiActors.Cli.MainJob;
using ScmiActors.Cli.Node;

namespace ScmiActors.Cli.Chaos;

/// <summary>
/// <c>scmi-actors chaos [--rounds N] [--seed N] [--rate X] [--stable-after D] [--take-over-bound D] [--directory DIR] [--verbose]</c>:
/// the bounded chaos harness of docs/cluster.md. The test suite runs it with a few rounds; more rounds are the longer mode.
/// <c>chaos --soak D [--rate X] [--calibration D]</c> is the soak (<see cref="SoakRunner"/>).
/// </summary>
public static class ChaosCommand
{
    public const string Name = "chaos";

    public const string Summary = "Kill and restart random node processes of a three-node cluster with an emulated platform, and check what survives";

    public const int MaxRounds = 1000;

    /// <summary>
    /// The take-over measured on loopback with 2 cores is 11.1 s (docs/cluster.md: failure detector, stable-after 2 s,
    /// removal, the next offer question, connect, discovery); the bound leaves room for a restarting node beside it.
    /// </summary>
    public static readonly TimeSpan DefaultTakeOverBound = TimeSpan.FromSeconds(20);

    public static readonly TimeSpan MinSoak = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaxSoak = TimeSpan.FromHours(24);

    public const string HelpDetails = """
        Starts a platform process (--agents-in-turn) on a temporary link and three node processes on
        127.0.0.1, each a platform and subscriber node that offers and subscribes to soc0. Each round
        sends SIGKILL to a random node (the last round kills the node hosting soc0 if no round did),
        waits for the survivors' subscriptions to be active again (within --take-over-bound when the
        host was killed, without subscribing again), restarts the node on its port and waits until
        every node lists the same members. After the rounds: the platform stops, the reports drain,
        the nodes leave, and every agent the platform served is reconciled: what it was sent against
        what each subscriber that lived through it received (lost only with a killed node, never more
        than sent), and no subscriber saw a report twice or out of order.
        --soak DURATION runs the soak instead: a calibration ramp (a platform restarted at higher
        rates against one node, --calibration per step) finds the most the node keeps up with, then a
        fresh pair runs at half of it (or at --rate) for DURATION; every second the node's counters
        (its Prometheus endpoint) are checked against the subscriber's and the platform's stamped
        lines, and memory and latency are sampled; at the end the run is reconciled exactly and the
        start and end of the run are compared ("Drift: ...").
        Exit codes: 0 every check passed; 1 a check failed (the processes' output stays in the
        directory, named on the last line); 2 bad command line; 130/143 interrupted.
        """;

    public static Command Create(TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
    {
        var rounds = new Option<int>("--rounds")
        {
            Description = $"Kill-and-restart rounds, 1..{MaxRounds}; more is the longer mode",
            HelpName = "N",
            DefaultValueFactory = _ => 3,
            CustomParser = r => Int(r, "--rounds", 1, MaxRounds),
        };
        var seed = new Option<int?>("--seed")
        {
            Description = "Seed of the choice of victims (default: random, printed so a run can be repeated)",
            HelpName = "N",
            CustomParser = r => Int(r, "--seed", 0, int.MaxValue),
        };
        var rate = new Option<double>("--rate")
        {
            Description = $"The platform's event rate multiplier, above 0 and at most {MainJobCommand.MaxRate:G}",
            HelpName = "X",
            DefaultValueFactory = _ => 1,
            CustomParser = MainJobCommand.ParseRate,
        };
        var stableAfter = new Option<TimeSpan>("--stable-after")
        {
            Description = "The nodes' split-brain resolver stable-after (default 2 s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
            CustomParser = r => Duration(r, "--stable-after", NodeCluster.MinStableAfter, NodeCluster.MaxStableAfter),
        };
        var bound = new Option<TimeSpan>("--take-over-bound")
        {
            Description = $"How soon after the host's SIGKILL the survivors' subscriptions must be active again (default {DefaultTakeOverBound.TotalSeconds:0} s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => DefaultTakeOverBound,
            CustomParser = r => Duration(r, "--take-over-bound", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
        };
        var directory = new Option<string?>("--directory")
        {
            Description = "Where the link and the processes' logs go, kept afterwards (default: a temporary directory, removed when every check passed)",
            HelpName = "DIR",
        };
        directory.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } d && !Directory.Exists(d)) r.AddError($"--directory: '{d}' does not exist");
        });
        var verbose = new Option<bool>("--verbose") { Description = "Echo every line of the child processes, prefixed with their name" };
        var soak = new Option<TimeSpan?>("--soak")
        {
            Description = $"The soak instead of the rounds: one node and a platform for this long (10s..24h; 1h is the long run) at half the rate measured " +
                          "first (or at --rate), the accounting checked every second, memory and latency sampled; ends saying whether anything drifted",
            HelpName = "DURATION",
            CustomParser = r => MainJobCommand.ParseDuration(r, "--soak", MinSoak, MaxSoak),
        };
        var calibration = new Option<TimeSpan>("--calibration")
        {
            Description = "With --soak and no --rate: how long each step of the calibration ramp is measured (default 10 s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = r => Duration(r, "--calibration", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
        };

        var command = new Command(Name, Summary) { rounds, seed, rate, stableAfter, bound, directory, verbose, soak, calibration };
        command.Validators.Add(r =>
        {
            var soaking = r.GetResult(soak) is { Implicit: false };
            // The soak has no rounds: say so rather than ignore what was asked for.
            foreach (var option in new Option[] { rounds, seed, stableAfter, bound })
                if (soaking && r.GetResult(option) is { Implicit: false })
                    r.AddError($"{option.Name}: the soak has no rounds of kills; leave it out with --soak");
            if (!soaking && r.GetResult(calibration) is { Implicit: false }) r.AddError("--calibration: applies to --soak only");
        });
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(soak) is { } soakFor)
            {
                var soakOptions = new SoakOptions(soakFor, parse.GetResult(rate) is { Implicit: false } ? parse.GetValue(rate) : null,
                    parse.GetValue(calibration), parse.GetValue(directory), parse.GetValue(verbose));
                var soakExit = await new SoakRunner(soakOptions, output, error).RunAsync(cancellation);
                return soakExit == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : soakExit;
            }
            var options = new ChaosOptions(parse.GetValue(rounds), parse.GetValue(seed) ?? Random.Shared.Next(), parse.GetValue(rate),
                parse.GetValue(stableAfter), parse.GetValue(bound), parse.GetValue(directory), parse.GetValue(verbose));
            var exitCode = await new ChaosRunner(options, output, error).RunAsync(cancellation);
            return exitCode == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : exitCode;
        });
        return command;
    }

    private static int Int(ArgumentResult r, string name, int min, int max)
    {
        var text = r.Tokens.Single().Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        r.AddError($"{name}: '{text}' is not a whole number {min}..{max}");
        return min;
    }

    private static TimeSpan Duration(ArgumentResult r, string name, TimeSpan min, TimeSpan max) => MainJobCommand.ParseDuration(r, name, min, max);
}
