using ScmiActors.Cli;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The built binary interrupted at several moments: every time the ordered stop runs and the
/// summary is printed within a bounded time, with the signal's exit code; a second signal exits at once.
/// </summary>
public sealed class SignalTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>The moments, by the line the job prints when it reaches them.</summary>
    public static TheoryData<string, string> Moments() => new()
    {
        { "right at start (the cluster node is starting)", "Starting a cluster node" },
        { "during start-up of the platforms", "INF soc0-2: Platform soc0-2 ready" },
        { "during the run", "Running 8 platform(s)" },
    };

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task SIGINT_at_any_moment_stops_in_order_and_prints_the_summary(string moment, string marker)
    {
        using var cli = CliProcess.Start("--platforms", "8", "--duration", "30s");
        try
        {
            Assert.True(await cli.WaitForOutputAsync(marker, Bound), $"never reached {moment}");
            cli.Signal(CliProcess.SIGINT);
            cli.WaitForExit(Bound);

            Assert.Equal(ExitCodes.Interrupted, cli.ExitCode);
            Assert.Contains("SIGINT: stopping in order", cli.Error);
            Assert.Contains("Interrupted", cli.Output);
            Assert.Contains("Accounting: adds up", cli.Output);
        }
        finally
        {
            log.WriteLine(cli.Output);
            log.WriteLine(cli.Error);
        }
    }

    [Fact]
    public async Task SIGTERM_during_the_run_stops_in_order_with_exit_143()
    {
        using var cli = CliProcess.Start("--duration", "30s");
        Assert.True(await cli.WaitForOutputAsync("Running 1 platform(s)", Bound));
        cli.Signal(CliProcess.SIGTERM);
        cli.WaitForExit(Bound);

        Assert.Equal(ExitCodes.Terminated, cli.ExitCode);
        Assert.Contains("Accounting: adds up", cli.Output);
    }

    [Fact]
    public async Task A_second_SIGINT_exits_at_once_without_the_summary()
    {
        using var cli = CliProcess.Start("--platforms", "8", "--duration", "30s");
        Assert.True(await cli.WaitForOutputAsync("Running 8 platform(s)", Bound));
        cli.Signal(CliProcess.SIGINT);
        Assert.True(await WaitForErrorAsync(cli, "SIGINT: stopping in order"));
        cli.Signal(CliProcess.SIGINT);
        cli.WaitForExit(TimeSpan.FromSeconds(10));

        Assert.Equal(ExitCodes.Interrupted, cli.ExitCode);
        Assert.Contains("SIGINT again: exiting at once", cli.Error);
        Assert.DoesNotContain("Accounting:", cli.Output);
    }

    private static async Task<bool> WaitForErrorAsync(CliProcess cli, string text)
    {
        for (var deadline = DateTime.UtcNow + Bound; DateTime.UtcNow < deadline; await Task.Delay(10))
            if (cli.Error.Contains(text, StringComparison.Ordinal)) return true;
        return false;
    }
}
