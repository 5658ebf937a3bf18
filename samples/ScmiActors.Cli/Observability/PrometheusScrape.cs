using System.Globalization;
using System.Text.RegularExpressions;

namespace ScmiActors.Cli.Observability;

/// <summary>One sample of a Prometheus text scrape: the series name, its labels, its value.</summary>
public sealed record PrometheusSeries(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the samples with labels out of a Prometheus text-format scrape, as our own endpoint writes them
/// (<c>name{k="v",...} value</c>): enough for the soak and the tests to read the library's counters back.
/// </summary>
public static partial class PrometheusScrape
{
    public static IReadOnlyList<PrometheusSeries> Parse(string text) =>
    [
        .. Sample().Matches(text).Select(m => new PrometheusSeries(m.Groups["name"].Value,
            Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))),
    ];

    /// <summary>The sum of the series named <paramref name="name"/> whose labels include every pair of <paramref name="labels"/>.</summary>
    public static double Sum(this IEnumerable<PrometheusSeries> series, string name, params (string Key, string Value)[] labels) =>
        series.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

    /// <summary>
    /// The series named <paramref name="name"/> of one platform, summed per value of <paramref name="byLabel"/> and
    /// kept where the sum is not 0 (e.g. the library's lost counter per <c>scmi_outcome</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, long> SumBy(this IEnumerable<PrometheusSeries> series, string name, string byLabel, string platform) =>
        series.Where(s => s.Name == name && s.Labels.GetValueOrDefault("scmi_platform") == platform)
            .GroupBy(s => s.Labels.GetValueOrDefault(byLabel) ?? "?")
            .Select(g => (g.Key, Sum: (long)g.Sum(s => s.Value))).Where(g => g.Sum != 0)
            .ToDictionary(g => g.Key, g => g.Sum);

    /// <summary>"N outcome, M outcome" for <see cref="SumBy"/>'s result, for a summary line.</summary>
    public static string Describe(IReadOnlyDictionary<string, long> sums) => string.Join(", ", sums.Select(s => $"{s.Value} {s.Key}"));

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)""", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>[^"]*)"(,|$)""")]
    private static partial Regex Label();
}
