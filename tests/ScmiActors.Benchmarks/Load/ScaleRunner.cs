using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ScmiActors.Benchmarks.Load;

/// <summary>
/// <c>scale</c>: the cost of a platform on one node, at several platform counts. Each count runs
/// <c>load --case platforms1000 --platforms N --variants scmi</c> in a process of its own, so that
/// the resident set belongs to that count alone (a process never gives its heap back), and the
/// child is ended by its pid if it outlives its bound. One row per count: start-up and subscribe
/// time, managed bytes per platform and per subscription, resident set after each step and at its
/// peak, and the delivered rate with its latency.
/// </summary>
public static partial class ScaleRunner
{
    public const string Usage = "scale [--platforms N1,N2,...] [--reps N] [--seconds S] [--rate R] [--timeout-minutes M]";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        int[] counts = [1, 100, 1000, 10000];
        var reps = 3;
        double seconds = 2, rate = 50_000, timeoutMinutes = 15;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--platforms": counts = Next().Split(',').Select(v => int.Parse(v, Inv)).ToArray(); break;
                    case "--reps": reps = int.Parse(Next(), Inv); break;
                    case "--seconds": seconds = double.Parse(Next(), Inv); break;
                    case "--rate": rate = double.Parse(Next(), Inv); break;
                    case "--timeout-minutes": timeoutMinutes = double.Parse(Next(), Inv); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                Console.Error.WriteLine($"scale: {e.Message}");
                Console.Error.WriteLine("usage: " + Usage);
                return 2;
            }
        }
        if (counts.Length == 0 || counts.Any(c => c < 1) || reps < 1 || seconds <= 0 || rate <= 0)
        {
            Console.Error.WriteLine("scale: counts, reps, seconds and rate must be positive");
            return 2;
        }

        Console.WriteLine($"scale: platforms {string.Join(", ", counts)}; perf only, 32 domains each, every one subscribed; " +
                          $"{rate.ToString(Inv)} events/s offered across all streams, {reps} x {seconds.ToString(Inv)} s; one process per count");
        Console.WriteLine("   platforms  subscriptions  start_s  subscribe_s  B/platform  B/subscription  rss_platforms_MiB  rss_subscribed_MiB  peak_rss_MiB   events/s     p50_us     p99_us");
        var failures = 0;
        foreach (var n in counts)
        {
            var child = await RunChildAsync(n, reps, seconds, rate, TimeSpan.FromMinutes(timeoutMinutes));
            if (child.Error is not null)
            {
                failures++;
                Console.WriteLine($"   {n,9}  FAILED: {child.Error}");
                continue;
            }
            string Get(string key) => child.Values.TryGetValue(key, out var v) ? v : "-";
            Console.WriteLine($"   {n,9}  {Get("subscriptions"),13}  {Get("start_platforms_s"),7}  {Get("subscribe_s"),11}  {Get("bytes_per_platform"),10}  " +
                              $"{Get("bytes_per_subscription"),14}  {Get("rss_platforms_mb"),17}  {Get("rss_subscribed_mb"),18}  {Get("peak"),12}  " +
                              $"{Get("events_per_s"),9}  {Get("p50_us"),9}  {Get("p99_us"),9}");
        }
        return failures > 0 ? 1 : 0;
    }

    private sealed record ChildResult(Dictionary<string, string> Values, string? Error);

    private static async Task<ChildResult> RunChildAsync(int platforms, int reps, double seconds, double rate, TimeSpan bound)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this process's executable");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ScaleRunner).Assembly.Location);
        foreach (var a in new[]
                 {
                     "load", "--case", "platforms1000", "--variants", "scmi", "--platforms", platforms.ToString(Inv),
                     "--platforms-rate", rate.ToString(Inv), "--reps", reps.ToString(Inv), "--seconds", seconds.ToString(Inv),
                 })
            start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {self}");
        var stderr = process.StandardError.ReadToEndAsync();
        var values = new Dictionary<string, string>();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.TrimStart().StartsWith("scmi setup:", StringComparison.Ordinal) || line.StartsWith("case=", StringComparison.Ordinal))
                    foreach (Match m in Pair().Matches(line))
                        values[m.Groups[1].Value] = m.Groups[2].Value;
                else if (PeakLine().Match(line) is { Success: true } peak)
                    values["peak"] = peak.Groups[1].Value;
            }
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return new ChildResult(values, $"no result within {bound.TotalMinutes} min (child {process.Id} ended)");
        }
        finally
        {
            if (!process.HasExited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended between the check and the kill.
                }
            }
        }
        if (process.ExitCode != 0)
        {
            var reason = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            return new ChildResult(values, $"load exited {process.ExitCode}: {reason}");
        }
        if (values.Count is 0) values["events_per_s"] = "?";
        if (values.TryGetValue("events_per_s", out var eps) && double.TryParse(eps, Inv, out var rateValue))
            values["events_per_s"] = rateValue.ToString("F0", Inv);
        return new ChildResult(values, null);
    }

    [GeneratedRegex(@"(\w+)=([^\s,]+)")]
    private static partial Regex Pair();

    [GeneratedRegex(@"^peak resident set: (\S+) MiB")]
    private static partial Regex PeakLine();
}
