using System.Text.RegularExpressions;
using ScmiActors.Cli;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The bounded chaos run of the test command: <c>scmi-actors chaos</c> with three rounds (three node processes
/// and a platform process on loopback, SIGKILL and restart, the checks after each round and the accounting at
/// the end; docs/cluster.md). The harness ends its children itself; the test also kills every pid it printed,
/// so nothing is left running when the harness itself fails or hangs. More rounds: run the command by hand.
/// </summary>
public sealed partial class ChaosTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    [Fact]
    public void Three_rounds_of_SIGKILL_and_restart_keep_subscriptions_active_with_nothing_repeated_and_the_accounting_adding_up()
    {
        // Seed 3 kills a node that does not host the platform before the host; the last round takes the host in any case.
        using var chaos = CliProcess.Start("chaos", "--rounds", "3", "--seed", "3");
        try
        {
            chaos.WaitForExit(Bound);
            Assert.True(chaos.Process.HasExited, "the chaos run did not end within its bound");
            Assert.Equal(ExitCodes.Ok, chaos.ExitCode);
            var output = chaos.Output;
            Assert.Equal(3, Regex.Matches(output, @"^Round \d: SIGKILL to node \d", RegexOptions.Multiline).Count);
            Assert.Matches(@"\(it hosted soc0\); subscriptions active again on the survivors after [\d.]+ s", output);
            Assert.Matches(@"Agent \d+: \d+ sent − \d+ left in the slot = \d+; the platform stopped; node \d#\d received \d+", output);
            Assert.Matches(@"Accounting: [1-9]\d* shares reconciled, none above what was sent", output);
            Assert.Contains("Chaos: 3 rounds passed", output);
        }
        finally
        {
            log.WriteLine($"{chaos.Output}{chaos.Error}");
            chaos.Dispose();
            PrintedPids.KillAll(chaos.Output);
        }
    }

    [Theory]
    [InlineData("--rounds 0", "--rounds: '0' is not a whole number 1..1000")]
    [InlineData("--rounds many", "--rounds: 'many' is not a whole number 1..1000")]
    [InlineData("--seed -1", "--seed: '-1' is not a whole number 0..2147483647")]
    [InlineData("--rate 0", "--rate: 0 is outside the range (0, 1000]; the limit is 1000")]
    [InlineData("--stable-after 10ms", "--stable-after: '10ms' is not a duration from 1 s to 300 s")]
    [InlineData("--take-over-bound forever", "--take-over-bound: 'forever' is not a duration from 1 s to 600 s")]
    [InlineData("--directory /no/such/dir", "--directory: '/no/such/dir' does not exist")]
    [InlineData("--round", "Unrecognized command or argument '--round'.")]
    [InlineData("--soak 5s", "--soak: '5s' is not a duration from 10 s to 86400 s")]
    [InlineData("--soak 1h --rounds 3", "--rounds: the soak has no rounds of kills; leave it out with --soak")]
    [InlineData("--soak 1h --take-over-bound 5s", "--take-over-bound: the soak has no rounds of kills; leave it out with --soak")]
    [InlineData("--calibration 5s", "--calibration: applies to --soak only")]
    [InlineData("--soak 1h --calibration 0s", "--calibration: '0s' is not a duration from 1 s to 600 s")]
    public void A_bad_chaos_or_soak_option_is_one_line_and_exit_2(string bad, string message)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(["chaos", .. bad.Split(' ')], TextReader.Null, output, error);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {message} (see --help)\n", error.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("", output.ToString());
    }
}
