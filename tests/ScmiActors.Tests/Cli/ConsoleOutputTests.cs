using System.Text.Json;
using System.Text.RegularExpressions;
using ScmiActors.Cli;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>What a short run of the built binary prints: terminal-friendly by default, everything with --verbose, JSON for machines.</summary>
public sealed partial class ConsoleOutputTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} [A-Z]{3} ")]
    private static partial Regex LogLine();

    [Fact]
    public void A_default_run_keeps_Akka_internals_quiet_and_its_own_lines_within_120_columns()
    {
        var (exitCode, output, _) = CliProcess.Run(Bound, "--duration", "200ms");

        Assert.Equal(ExitCodes.Ok, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains(lines, l => LogLine().IsMatch(l) && l.Contains("INF soc0: Platform soc0 ready"));
        // Cluster, remoting, sharding and coordinated-shutdown logs are Information: not shown.
        Assert.DoesNotContain(lines, l => l.Contains("akka.tcp://") || l.Contains("Cluster Node") || l.Contains("Remoting"));
        // The job's own lines (progress, tables, verdict) fit a terminal.
        Assert.All(lines.Where(l => !LogLine().IsMatch(l)), l => Assert.True(l.Length <= 120, $"{l.Length} columns: {l}"));
        Assert.Contains(lines, l => l.StartsWith("Accounting: adds up", StringComparison.Ordinal));
    }

    [Fact]
    public void Verbose_brings_Akka_internals_back()
    {
        var (exitCode, output, _) = CliProcess.Run(Bound, "--duration", "200ms", "--verbose");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("Cluster Node", output);
        Assert.Contains("akka.tcp://", output);
    }

    [Fact]
    public void Json_logs_are_one_object_per_line_with_their_properties()
    {
        var (exitCode, output, _) = CliProcess.Run(Bound, "--duration", "200ms", "--log-format", "json");

        Assert.Equal(ExitCodes.Ok, exitCode);
        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(events);
        foreach (var line in events)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("MessageTemplate", out _), line);
            Assert.True(json.RootElement.TryGetProperty("Level", out _), line);
        }
        Assert.Contains(events, l => l.Contains("\"Platform\":\"soc0\"", StringComparison.Ordinal));
    }
}
