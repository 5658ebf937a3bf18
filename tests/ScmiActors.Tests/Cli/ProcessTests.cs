using ScmiActors.Cli;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The built binary, one process per class of bad input: each ends with one line on standard error
/// saying what is wrong (never a stack trace) and its documented exit code, in well under a second.
/// </summary>
public sealed class ProcessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static void AssertOneLineError(string error, params string[] expected)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on standard error, got:\n{error}");
        Assert.StartsWith("scmi-actors: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
        foreach (var text in expected) Assert.Contains(text, lines[0]);
    }

    [Theory]
    [InlineData("--duration", "abc", "not a duration")]
    [InlineData("--duration", "10S", "not a duration")]
    [InlineData("--duration", "", "not a duration")]
    [InlineData("--duration", "NaN", "not a duration")]
    [InlineData("--duration", "1e13s", "above the limit of 24 h")]
    [InlineData("--duration", "0", "below the minimum")]
    [InlineData("--rate", "NaN", "not a finite number")]
    [InlineData("--rate", "Infinity", "not a finite number")]
    [InlineData("--rate", "1e12", "the limit is 1000")]
    [InlineData("--platforms", "100000", "the limit is 200")]
    [InlineData("--platforms", "201", "the limit is 200")]
    [InlineData("--fault", "4096", "unknown fault mode '4096'")]
    [InlineData("--fault", "-1", "unknown fault mode '-1'")]
    [InlineData("--log-format", "xml", "not text or json")]
    [InlineData("--link", "foo", "'foo' is not smt or in-memory")]
    public void A_bad_option_value_is_one_line_and_exit_2(string option, string value, string reason)
    {
        var (exitCode, output, error) = CliProcess.Run(Bound, option, value);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        AssertOneLineError(error, option, reason);
    }

    public static TheoryData<string, string> BadConfigs() => new()
    {
        // Akka's parser spins and grows without bound on this one; the check stops it before.
        { "scmi.platforms.x { protocols { perf { domains = [1, } } }\n", ":1: '[' is never closed" },
        { "scmi.platforms.x {\n  protocols {\n    power { domains = 100000 }\n  }\n}\n", ":3: scmi.platforms.x.protocols.power.domains: 100000, above the emulator's limit of 65536" },
        { "scmi.platforms.x { protocols { perf { domains = 4 } } }\nscmi.emulator {\n  seed = 3\n  sede = 4\n}\n", ":4: emulator scenario: unknown key 'sede'" },
        { "scmi.platforms.x { protocols { perf { domains = 4 } } }\nscmi.emulator.seed = abc\n", "emulator scenario: a value has the wrong type" },
        { "scmi.other = 1\n", "describes no platform under scmi.platforms" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_config_file_names_file_line_and_reason_with_exit_3(string hocon, string reason)
    {
        using var file = new TempFile(hocon);
        var (exitCode, output, error) = CliProcess.Run(Bound, "--config", file.Path, "--duration", "1s");
        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal(string.Empty, output);
        AssertOneLineError(error, "configuration: " + file.Path, reason);
    }

    [Fact]
    public void A_missing_file_a_directory_and_a_binary_file_are_exit_3()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"scmi-actors-none-{Guid.NewGuid():N}.conf");
        var (exitCode, _, error) = CliProcess.Run(Bound, "--config", missing);
        Assert.Equal(ExitCodes.ConfigError, exitCode);
        AssertOneLineError(error, missing, "cannot read");

        (exitCode, _, error) = CliProcess.Run(Bound, "--config", Path.GetTempPath());
        Assert.Equal(ExitCodes.ConfigError, exitCode);
        AssertOneLineError(error, "is a directory");

        using var binary = new TempFile("");
        File.WriteAllBytes(binary.Path, [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0xFF, 0xFE, 0x00]);
        (exitCode, _, error) = CliProcess.Run(Bound, "--config", binary.Path);
        Assert.Equal(ExitCodes.ConfigError, exitCode);
        AssertOneLineError(error, binary.Path, "not UTF-8 text");
    }

    [Fact]
    public async Task Decode_exits_1_when_its_output_pipe_is_closed()
    {
        using var cli = CliProcess.Start(redirectInput: true, readOutput: false, "decode", "--platform-config", RepoPaths.PlatformsConf);
        // The reader goes away before the first line is written: the write fails with EPIPE.
        cli.Process.StandardOutput.Close();
        await cli.Process.StandardInput.WriteLineAsync("0x4F01 01000000 00000000 B0040000");
        await cli.Process.StandardInput.FlushAsync();
        cli.Process.StandardInput.Close();
        cli.WaitForExit(Bound);
        Assert.Equal(ExitCodes.IoFailed, cli.ExitCode);
        Assert.Contains("input/output failed", cli.Error);
    }
}
