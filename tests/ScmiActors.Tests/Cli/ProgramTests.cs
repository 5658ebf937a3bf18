using ScmiActors.Cli;
using ScmiActors.Cli.Decode;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>The command line as a user types it, run in-process.</summary>
public class ProgramTests
{
    private static (int ExitCode, string Output, string Error) Run(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(args, new StringReader(input), output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Decode_reads_stdin_and_writes_json_lines()
    {
        var (exitCode, output, error) = Run("0x4F01 01000000 00000000 B0040000\n",
            "decode", "--platform-config", RepoPaths.PlatformsConf);
        Assert.Equal(0, exitCode);
        Assert.Equal(
            """{"protocol":19,"event":"PERFORMANCE_LEVEL_CHANGED","source":0,"fields":{"agent_id":1,"domain_id":0,"performance_level":1200}}""" + "\n",
            output);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Platform_option_selects_the_platform()
    {
        const string line = "0x4F01 01000000 04000000 B0040000\n";
        Assert.Contains("source_out_of_range", Run(line, "decode", "--platform-config", RepoPaths.PlatformsConf).Output);
        var (exitCode, output, _) = Run(line, "decode", "--platform-config", RepoPaths.PlatformsConf, "--platform", "imx95");
        Assert.Equal(0, exitCode);
        Assert.Contains("\"performance_level\":1200", output);
    }

    [Fact]
    public void Missing_platform_config_is_exit_2()
    {
        var (exitCode, output, error) = Run("", "decode");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--platform-config", error);
    }

    [Theory]
    [InlineData("decode", "--platform-config")]
    [InlineData("decode", "--platform-config", "x.conf", "--bogus")]
    [InlineData("decode", "--platform-config", "x.conf", "--platform")]
    [InlineData("encode")]
    public void Bad_command_lines_are_exit_2(params string[] args)
    {
        var (exitCode, output, error) = Run("", args);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.NotEqual(string.Empty, error);
    }

    [Fact]
    public void Missing_file_unknown_platform_and_invalid_description_are_exit_2()
    {
        Assert.Equal(2, Run("", "decode", "--platform-config", Path.Combine(Path.GetTempPath(), $"none-{Guid.NewGuid():N}")).ExitCode);
        Assert.Equal(2, Run("", "decode", "--platform-config", RepoPaths.PlatformsConf, "--platform", "nope").ExitCode);
        using var file = new TempFile("scmi.platforms.x { protocols { sensor { sensors = 2, axes { \"2\" = 3 } } } }");
        var (exitCode, _, error) = Run("", "decode", "--platform-config", file.Path);
        Assert.Equal(2, exitCode);
        Assert.Contains("sensor id out of range", error);
    }

    [Fact]
    public void Root_help_lists_decode_and_the_main_job_options()
    {
        var (exitCode, output, error) = Run("", "--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("decode", output);
        Assert.Contains("Usage:", output);
        foreach (var option in new[] { "--platforms", "--rate", "--duration", "--fault", "--config", "--rate-limit" }) Assert.Contains(option, output);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("--fault", "bogus")]
    [InlineData("--platforms", "0")]
    [InlineData("--rate", "-1")]
    [InlineData("--rate-limit", "0")]
    public void Main_job_rejects_a_bad_option_with_exit_2_before_starting(string option, string value)
    {
        var (exitCode, _, error) = Run("", option, value);
        Assert.Equal(2, exitCode);
        Assert.NotEqual(string.Empty, error);
    }

    [Fact]
    public void The_readme_decode_sample_is_what_the_tool_prints()
    {
        // The README's block: a printf of the input lines, the command, then the lines it prints.
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var block = readme[readme.IndexOf("$ printf '", StringComparison.Ordinal)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var printf = lines[0][(lines[0].IndexOf('\'') + 1)..lines[0].LastIndexOf('\'')];
        var expected = string.Join("", lines.Skip(2).Select(l => l + "\n"));
        Assert.Contains("decode --platform-config hocon/platforms.conf", lines[1]);

        var (exitCode, output, error) = Run(printf.Replace("\\n", "\n"), "decode", "--platform-config", RepoPaths.PlatformsConf);
        Assert.Equal(0, exitCode);
        Assert.Equal(expected, output);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Decode_help_describes_formats_timestamp_and_exit_codes()
    {
        var (exitCode, output, _) = Run("", "decode", "--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("--platform-config", output);
        Assert.Contains("--platform", output);
        Assert.Contains("bad_input_line", output);
        Assert.Contains("timestamp 0", output);
        Assert.Contains("Exit codes", output);
    }
}
