using ScmiActors.Cli;
using ScmiActors.Cli.MainJob;
using ScmiActors.Tests.Cli;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.MainJob;

/// <summary>The main job's --record: one file per platform, in the line format decode reads back.</summary>
public sealed class RecordMainJobSpec(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scmi-rec-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static (int ExitCode, string Output, string Error) Run(string input, params string[] args)
    {
        var stdout = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(args, new StringReader(input), stdout, error);
        return (exitCode, stdout.ToString(), error.ToString());
    }

    [Fact]
    public async Task Record_writes_every_platforms_link_and_decode_reads_it_back()
    {
        var file = Path.Combine(_dir.FullName, "run.rec");
        var text = new StringWriter();
        var result = await new MainJobRunner(new MainJobOptions(Platforms: 2, Duration: TimeSpan.FromSeconds(1), Record: file), text)
            .RunAsync(CancellationToken.None);
        output.WriteLine(text.ToString());
        Assert.Equal(0, result.ExitCode);

        var soc0 = Path.Combine(_dir.FullName, "run-soc0.rec");
        Assert.True(File.Exists(soc0) && File.Exists(Path.Combine(_dir.FullName, "run-imx95.rec")), "one recording per platform");
        Assert.Contains($"Recorded every link's messages to {soc0}", text.ToString());
        var lines = File.ReadAllLines(soc0);
        Assert.StartsWith("#", lines[0]);
        Assert.Contains(lines, l => l.Contains(" a2p 0x", StringComparison.Ordinal)); // discovery and NOTIFY commands
        Assert.Contains(lines, l => l.Contains(" p2a 0x", StringComparison.Ordinal)); // responses and notifications

        var (exitCode, decoded, error) = Run(File.ReadAllText(soc0), "decode", "--platform-config", RepoPaths.PlatformsConf);
        Assert.True(exitCode == 0, error);
        Assert.Contains("\"kind\":\"command\"", decoded);
        Assert.Contains("\"event\":\"PERFORMANCE_LEVEL_CHANGED\"", decoded);
    }

    [Fact]
    public void Record_into_a_directory_that_does_not_exist_is_refused_before_anything_starts()
    {
        var file = Path.Combine(_dir.FullName, "missing", "run.rec");
        var (exitCode, _, error) = Run("", "--record", file, "--link", "in-memory", "--duration", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--record: the directory of", error);
    }

    [Theory]
    [InlineData("--link", "in-memory")]
    [InlineData("--connect", "/tmp/x")]
    public void A_profile_without_a_platform_process_of_ours_is_refused(string option, string value)
    {
        var (exitCode, _, error) = Run("", "--profile", "scp", option, value, "--duration", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--profile: shapes the platform process this job starts on SMT links", error);
    }

    [Fact]
    public void An_unknown_profile_is_one_line_naming_the_known_ones()
    {
        var (exitCode, _, error) = Run("", "platform", "--link", Path.Combine(_dir.FullName, "p"), "--profile", "scpx");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("scpx", error);
        Assert.Contains("imx-sm", error);
    }
}
