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

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)""", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>[^"]*)"(,|$)""")]
    private static partial Regex Label();
}
