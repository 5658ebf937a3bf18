using ScmiActors.Cli;
using ScmiActors.Cli.MainJob;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>The main job's input checks in-process: durations, config files, log sources.</summary>
public sealed class MainJobInputTests
{
    [Theory]
    [InlineData("5", 5_000)]
    [InlineData("0.5", 500)]
    [InlineData("100ms", 100)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("00:00:30", 30_000)]
    public void A_bare_number_is_seconds_and_units_are_ms_s_m_h(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), MainJobCommand.TryParseDuration(text, out var reason));
        Assert.Equal("", reason);
    }

    [Theory]
    [InlineData("abc", "not a duration")]
    [InlineData("10S", "not a duration")]
    [InlineData("", "not a duration")]
    [InlineData("NaN", "not a duration")]
    [InlineData("Infinity", "not a duration")]
    [InlineData("-1s", "below the minimum of 10 ms")]
    [InlineData("5ms", "below the minimum of 10 ms")]
    [InlineData("1e13s", "above the limit of 24 h")]
    [InlineData("25h", "above the limit of 24 h")]
    [InlineData("1.00:00:00", "not a duration")]
    public void Other_durations_are_refused_naming_the_limit(string text, string reason)
    {
        Assert.Null(MainJobCommand.TryParseDuration(text, out var why));
        Assert.Contains(reason, why);
    }

    [Theory]
    [InlineData(100, "100 ms")]
    [InlineData(1_500, "1.5 s")]
    [InlineData(150_000, "2 min 30 s")]
    [InlineData(86_400_000, "24 h")]
    public void What_will_run_is_printed_as_a_person_reads_it(long milliseconds, string text) =>
        Assert.Equal(text, MainJobRunner.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Main_job_help_lists_the_exit_codes()
    {
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["--help"], new StringReader(""), output, new StringWriter()));
        foreach (var code in new[] { "0 ", "1 ", "2 ", "3 ", "4 ", "130", "143" }) Assert.Contains($"  {code}", output.ToString());
    }

    [Fact]
    public void A_utf8_bom_at_the_start_is_accepted()
    {
        using var file = new TempFile("");
        File.WriteAllBytes(file.Path, [.. "\uFEFF"u8, .. File.ReadAllBytes(RepoPaths.PlatformsConf)]);
        var config = MainJobConfig.Load(file.Path);
        Assert.Equal(["soc0", "imx95"], config.Descriptions.Select(d => d.PlatformId));
    }

    [Theory]
    [InlineData("a = [1, 2\n}\n", ":1: '[' is never closed (line 2 has '}')")]
    [InlineData("a {\n  b = [1, 2]\n", ":1: '{' is never closed")]
    [InlineData("a = 1\n]\n", ":2: ']' closes nothing")]
    [InlineData("a = \"x\n", ":1: a quoted string is never closed")]
    // Balanced, yet Akka's parser spins on them and grows by GBs (docs/fuzzing.md).
    [InlineData("a = [=]\n", ":1: '=' inside the array opened on line 1 (quote it if it is text)")]
    [InlineData("a = [\n  1,\n  :\n]\n", ":3: ':' inside the array opened on line 1 (quote it if it is text)")]
    public void Unbalanced_brackets_are_refused_before_the_parser_sees_them(string hocon, string reason)
    {
        var e = Assert.Throws<ConfigFileException>(() => HoconFile.Parse(hocon, "f.conf"));
        Assert.Equal("f.conf" + reason, e.Message);
    }

    [Theory]
    [InlineData("a = 1\nb = ${c}\nc = ${b}\n", ":3: the substitution ${b} refers back to itself")]
    [InlineData("x { y = 1 }\nx { z = ${?x} }\n", ":2: a substitution names the whole configuration that holds it (Akka 1.5 reads ${?path} as ${}; optional substitutions are not supported)")]
    public void A_substitution_cycle_is_refused_with_its_line(string hocon, string reason)
    {
        var e = Assert.Throws<ConfigFileException>(() => HoconFile.Parse(hocon, "f.conf"));
        Assert.Equal("f.conf" + reason, e.Message);
    }

    [Theory]
    [InlineData("a = \"[{\" # ] }\n// {\nb = \"\"\"x ] \"\"\"\n")]
    [InlineData("scmi.platforms.x { protocols { sensor { sensors = 8, axes { \"5\" = 3 } } } }")]
    [InlineData("a = [{ b = 1, c : 2 }, \"x=y:z\"]\n")]
    public void Brackets_in_strings_and_comments_do_not_count(string hocon) => HoconFile.CheckBrackets(hocon, "f.conf");

    [Fact]
    public void A_file_above_the_size_limit_or_with_a_nul_is_refused()
    {
        using var big = new TempFile(new string('#', HoconFile.MaxBytes + 1));
        Assert.Contains("above the limit of", Assert.Throws<ConfigFileException>(() => HoconFile.ReadText(big.Path)).Message);
        using var nul = new TempFile("a = 1\nb = \0\n");
        Assert.EndsWith(":2: a NUL character (a binary file?)", Assert.Throws<ConfigFileException>(() => HoconFile.ReadText(nul.Path)).Message);
    }

    [Theory]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1:40405/system/sharding/scmi-handles/13/soc0/link", "soc0/link")]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1:40405/user/audit-soc0", "audit-soc0")]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1:40405/system/cluster/core/daemon", "system/cluster/core/daemon")]
    [InlineData("remoting-terminator", "remoting-terminator")]
    public void Log_lines_name_the_actor_without_the_node_address(string logSource, string shortSource) =>
        Assert.Equal(shortSource, ConsoleLogs.ShortSource(logSource));
}
