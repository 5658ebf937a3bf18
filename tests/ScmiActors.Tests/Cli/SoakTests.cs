using System.Globalization;
using System.Text.RegularExpressions;
using ScmiActors.Cli;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// A short soak in the test command: <c>scmi-actors chaos --soak</c> with a one-second calibration per step and
/// fifteen seconds of soak (the hour is run by hand; docs/benchmarks.md). It checks what the harness concludes
/// and that its exact accounting adds up as printed. The harness ends its children itself; the test also kills
/// every pid it printed, so nothing is left running when the harness itself fails or hangs.
/// </summary>
public sealed partial class SoakTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    [Fact]
    public void A_short_soak_calibrates_runs_at_half_the_maximum_and_reconciles_every_notification()
    {
        using var soak = CliProcess.Start("chaos", "--soak", "15s", "--calibration", "1s");
        try
        {
            soak.WaitForExit(Bound);
            Assert.True(soak.Process.HasExited, "the soak did not end within its bound");
            Assert.Equal(ExitCodes.Ok, soak.ExitCode);
            var output = soak.Output;
            Assert.Matches(@"^  x62\.5: the platform tried \d+/s and lost \d+/s at its busy slot; the node received [1-9]\d*/s", output.Split('\n')[2]);
            var calibration = Calibration().Match(output);
            Assert.True(calibration.Success, output);
            Assert.Contains($"Started the soak platform (pid ", output);
            Assert.Contains($") at x{calibration.Groups[1].Value} and node", output);

            // sent − left = read = queued + refused at the gate; queued = delivered + unmatched + lost after the queue;
            // delivered = received; at least ten per-second checks.
            var accounting = Accounting().Match(output);
            Assert.True(accounting.Success, output);
            long N(string group) => long.Parse(accounting.Groups[group].Value, CultureInfo.InvariantCulture);
            Assert.Equal(N("sent") - N("left"), N("read"));
            Assert.Equal(N("read"), N("queued") + N("refused"));
            Assert.Equal(N("queued2"), N("queued"));
            Assert.Equal(N("queued"), N("delivered") + N("unmatched") + N("after"));
            Assert.Equal(N("delivered"), N("received"));
            Assert.True(N("received") > 0);
            Assert.True(N("checks") >= 10, $"only {N("checks")} per-second checks");
            Assert.Contains("Drift: drift not judged: the run is shorter than 2 min 0 s.", output);
        }
        finally
        {
            log.WriteLine($"{soak.Output}{soak.Error}");
            soak.Dispose();
            PrintedPids.KillAll(soak.Output);
        }
    }

    /// <summary>On a machine busy with the rest of the suite the node may drop a few reports at every step; then the lowest step is the maximum.</summary>
    [GeneratedRegex(@"^Calibration: (?:the maximum the node keeps up with is \d+ received/s \(at x[\d.]+\); the soak runs at half of it|the node did not keep up at any step; the soak runs at half the lowest), x([\d.]+)\.$", RegexOptions.Multiline)]
    private static partial Regex Calibration();

    [GeneratedRegex(@"^Accounting: the platform tried \d+ = (?<sent>\d+) sent \+ \d+ lost at its busy slot; \d+ sent − (?<left>\d+) left in the slot = (?<read>\d+) read by the node = (?<queued>\d+) queued \+ (?<refused>\d+) refused at its gate; (?<queued2>\d+) queued = (?<delivered>\d+) delivered \+ (?<unmatched>\d+) unmatched \+ (?<after>\d+) lost after the queue.*; (?<received>\d+) received by the subscriber; (?<checks>\d+) per-second checks passed\.$", RegexOptions.Multiline)]
    private static partial Regex Accounting();
}
