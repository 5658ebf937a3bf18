using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ScmiActors.Cli;
using ScmiActors.Tests.Transports;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The main job across a real process boundary (its default, --link smt): its platforms in one child
/// platform process on SMT links, and the summary's accounting spanning both processes. Every child ends
/// by its own id when a test ends, pass or fail; every wait is bounded; temporary paths only.
/// </summary>
public sealed partial class CrossProcessTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"SMT links to platform process (\d+)\)")]
    private static partial Regex ChildLine();

    // The queue's figures appear only when a firmware queue (--profile imx-sm) dropped or held something.
    [GeneratedRegex(@"Across the link: (\d+) platform\(s\) wrote (\d+) notifications = (\d+) read by the agent's end \+ " +
                    @"(\d+) lost at the busy P2A slot \+ (\d+) too large for a slot \+ (\d+) left in the slot at the end" +
                    @"(?: \+ (\d+) lost in the platform queue \+ (\d+) left in it)?\.")]
    private static partial Regex AcrossLine();

    [Fact]
    public void The_default_run_starts_one_platform_process_and_its_summary_adds_up_across_both_processes()
    {
        using var cli = CliProcess.Start("--platforms", "2", "--duration", "2s");
        try
        {
            cli.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, cli.ExitCode);
            var output = Spaces().Replace(cli.Output, " "); // the summary's lines as words, however a table wraps them
            var m = AcrossLine().Match(output);
            Assert.True(m.Success, "no 'Across the link' line");
            long At(int g) => long.Parse(m.Groups[g].Value);
            Assert.Equal(2, At(1));
            Assert.Equal(At(2), At(3) + At(4) + At(5) + At(6)); // written = read + lost at the slot + too large + left in the slot
            Assert.True(At(3) > 0, "nothing crossed the link");
            Assert.Contains("Across the link: adds up", output);
            Assert.Contains("Accounting: adds up", output);
            Assert.Contains("2 platform(s) in one process over SMT links; exit code 0 once its agents left", output);
            Assert.False(IsPlatformProcess(ChildPid(cli)), "the platform process outlived the main job");
        }
        finally
        {
            Cleanup(cli);
        }
    }

    [Fact]
    public void With_the_imx_profile_what_the_firmware_queue_drops_is_in_the_accounting_across_both_processes()
    {
        using var cli = CliProcess.Start("--profile", "imx-sm", "--duration", "2s");
        try
        {
            cli.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, cli.ExitCode);
            var output = Spaces().Replace(cli.Output, " ");
            var m = AcrossLine().Match(output);
            Assert.True(m.Success, "no 'Across the link' line");
            long At(int g) => m.Groups[g].Success ? long.Parse(m.Groups[g].Value) : 0;
            // written = read + lost at the slot + too large + left in the slot + lost in the queue + left in the queue
            Assert.Equal(At(2), At(3) + At(4) + At(5) + At(6) + At(7) + At(8));
            Assert.Equal(0, At(4)); // the i.MX firmware queues instead of writing into a busy slot
            Assert.True(At(3) > 0, "nothing crossed the link");
            Assert.Contains("Across the link: adds up", output);
            Assert.Contains("Accounting: adds up", output);
        }
        finally
        {
            Cleanup(cli);
        }
    }

    [Fact]
    public void Link_in_memory_still_runs_the_emulators_in_process()
    {
        using var cli = CliProcess.Start("--link", "in-memory", "--duration", "1s");
        try
        {
            cli.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, cli.ExitCode);
            Assert.Contains("(in-memory)", cli.Output);
            Assert.Contains("emulator posted", cli.Output);
            Assert.DoesNotContain("Across the link", cli.Output);
            Assert.Contains("Accounting: adds up", cli.Output);
        }
        finally
        {
            Cleanup(cli);
        }
    }

    [Fact]
    public async Task A_platform_process_killed_mid_run_is_a_platform_loss_reported_in_the_summary_never_a_hang()
    {
        using var cli = CliProcess.Start("--duration", "5s");
        try
        {
            Assert.True(await cli.WaitForOutputAsync("Running 1 platform(s)", Bound), "never ran");
            var child = ChildPid(cli);
            Assert.Equal(0, Kill(child, 9));
            cli.WaitForExit(Bound);

            // The dispatcher's own accounting still adds up; the platform's side is unknown and said so.
            Assert.Equal(ExitCodes.Ok, cli.ExitCode);
            var output = Spaces().Replace(cli.Output, " ");
            Assert.Contains($"The platform process {child} ended during the run (killed by signal 9)", output);
            Assert.Contains("ENDED DURING THE RUN (killed by signal 9", output);
            Assert.Contains("Reconnecting", output);
            Assert.Contains("platform side unknown", output);
            Assert.Contains("Accounting: adds up", output);
        }
        finally
        {
            Cleanup(cli);
        }
    }

    [Fact]
    public async Task SIGTERM_to_the_main_job_stops_its_platform_process_too()
    {
        using var cli = CliProcess.Start("--duration", "30s");
        try
        {
            Assert.True(await cli.WaitForOutputAsync("Running 1 platform(s)", Bound), "never ran");
            cli.Signal(CliProcess.SIGTERM);
            cli.WaitForExit(Bound);

            Assert.Equal(ExitCodes.Terminated, cli.ExitCode);
            Assert.Contains("Across the link: adds up", cli.Output);
            Assert.False(IsPlatformProcess(ChildPid(cli)), "the platform process outlived the main job");
        }
        finally
        {
            Cleanup(cli);
        }
    }

    [Fact]
    public async Task Connect_attaches_to_a_platform_process_started_elsewhere()
    {
        using var directory = new SmtTempDirectory();
        var link = Path.Combine(directory.Path, "p");
        using var platform = CliProcess.Start("platform", "--link", link, "--platforms", "2");
        try
        {
            Assert.True(await platform.WaitForOutputAsync("All 2 platform(s) waiting for their agents.", Bound), $"never listened:\n{platform.Error}");
            var (exitCode, output, error) = CliProcess.Run(Bound, "--connect", link, "--platforms", "2", "--duration", "1s");
            log.WriteLine(output);
            log.WriteLine(error);

            Assert.Equal(ExitCodes.Ok, exitCode);
            Assert.Contains($"SMT links to the platform process at {link}", output);
            Assert.Contains("(--connect): its side is not counted here", output);
            Assert.Contains("Across the link: the platform side is unknown", Spaces().Replace(output, " "));
            // Both agents gone: the platform process ends by itself, with its own summary of the slot's losses.
            platform.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, platform.ExitCode);
            Assert.Contains("All 2 platforms:", platform.Output);
            Assert.Contains("lost at the busy P2A slot", platform.Output);
        }
        finally
        {
            log.WriteLine(platform.Output);
            log.WriteLine(platform.Error);
        }
    }

    [Fact]
    public void Connect_to_a_link_that_is_not_there_is_one_line_and_exit_2()
    {
        using var directory = new SmtTempDirectory();
        var (exitCode, output, error) = CliProcess.Run(Bound, "--connect", Path.Combine(directory.Path, "none"), "--duration", "1s");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("scmi-actors: --connect: no link for platform soc0", line);
    }

    private static int ChildPid(CliProcess cli)
    {
        var m = ChildLine().Match(cli.Output);
        Assert.True(m.Success, $"no platform process id in:\n{cli.Output}");
        return int.Parse(m.Groups[1].Value);
    }

    /// <summary>Whether <paramref name="pid"/> is (still) a platform process: checked by its command line, so a reused id is never taken for it.</summary>
    private static bool IsPlatformProcess(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return cmdline.Contains("scmi-actors", StringComparison.Ordinal) && cmdline.Contains(" platform ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Logs the outputs and ends the main job's platform process by its own id if it is still there, pass or fail.</summary>
    private void Cleanup(CliProcess cli)
    {
        log.WriteLine(cli.Output);
        log.WriteLine(cli.Error);
        if (ChildLine().Match(cli.Output) is { Success: true } m && int.Parse(m.Groups[1].Value) is var pid && IsPlatformProcess(pid)) Kill(pid, 9);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
