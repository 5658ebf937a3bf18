using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ScmiActors.Cli.MainJob;
using ScmiActors.Cli.Node;
using ScmiActors.Cli.Observability;
using ScmiActors.Cli.Platform;
using ScmiActors.Ingestion;

namespace ScmiActors.Cli.Chaos;

/// <summary>What <c>scmi-actors chaos --soak</c> was asked to do.</summary>
/// <param name="Rate">The platform's rate multiplier; null: half the maximum measured in a calibration run first.</param>
/// <param name="Calibration">How long the calibration run measures the maximum.</param>
public sealed record SoakOptions(TimeSpan Duration, double? Rate, TimeSpan Calibration, string? Directory, bool Verbose);

/// <summary>
/// <c>scmi-actors chaos --soak D</c>: one node process (offering and subscribing to soc0) and one emulated platform
/// process on loopback and a temporary link, run for D at half the maximum rate measured just before (a
/// calibration pair at the emulator's top rate, stopped before the soak starts). Every second: the node's
/// counters are read from its Prometheus endpoint and checked against the subscriber's count printed before
/// and the platform's sent count printed after (nothing received that was not queued, nothing queued or dropped
/// that was not sent, nothing repeated), and memory (both processes' resident sets) and gate-to-subscriber
/// latency are sampled. At the end the platform stops, the node drains, and the run is reconciled exactly; then
/// <see cref="SoakVerdict"/> says whether anything drifted. Every child is ended by its own id.
/// </summary>
public sealed partial class SoakRunner(SoakOptions options, TextWriter output, TextWriter error)
{
    private const string PlatformId = "soc0";
    private static readonly TimeSpan StepBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    /// <summary>A check that waits for the platform's next progress line: what the node held at <c>AfterUs</c> must have been sent by then.</summary>
    private sealed record PendingCheck(long AfterUs, long Ingested, TimeSpan At);

    private readonly List<string> _failures = [];
    private readonly List<ChaosChild> _children = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private string _directory = "";

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        _directory = options.Directory ?? System.IO.Directory.CreateTempSubdirectory("scmi-soak-").FullName;
        System.IO.Directory.CreateDirectory(_directory);
        Say($"Soak: {Format(options.Duration)} of one node and an emulated platform on 127.0.0.1, the accounting checked every second; logs in {_directory}");
        try
        {
            var rate = options.Rate is { } given ? given : await CalibrateAsync(cancellation);
            if (options.Rate is not null) Say($"Rate: x{Num(rate)} as given (no calibration).");
            await SoakAsync(rate, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            _failures.Add("interrupted");
        }
        catch (SoakStepFailed e)
        {
            _failures.Add(e.Message);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // A scrape that failed at the end, a stats file missing or not ours, a calibration without traffic: one line, not a trace.
            _failures.Add(e.Message.ReplaceLineEndings(" "));
        }
        finally
        {
            foreach (var child in _children) child.Dispose();
            _http.Dispose();
        }
        if (cancellation.IsCancellationRequested) return ExitCodes.Interrupted;
        if (_failures.Count > 0)
        {
            foreach (var f in _failures) error.WriteLine($"scmi-actors: chaos --soak: FAILED: {f}");
            error.WriteLine($"scmi-actors: chaos --soak: the processes' output and the samples are in {_directory}");
            return ExitCodes.AccountingMismatch;
        }
        if (options.Directory is null) System.IO.Directory.Delete(_directory, recursive: true);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// A ramp against one node: the platform is restarted on the same link at each multiplier of
    /// <see cref="SoakCalibration.Steps"/> (the node's handle reconnects and restores its subscriptions), and what the
    /// subscriber receives per second over <see cref="SoakOptions.Calibration"/> is measured; the ramp stops past the
    /// knee. On 2 cores the top multiplier is not the top rate: the emulator, the link and the node share the cores, and
    /// past the knee they take turns badly, so the maximum is the best step, not the last.
    /// </summary>
    private async Task<double> CalibrateAsync(CancellationToken cancellation)
    {
        var steps = new List<SoakStep>();
        ChaosChild? platform = null;
        ChaosChild? node = null;
        var link = Path.Combine(_directory, "calibration");
        var url = "";
        foreach (var multiplier in SoakCalibration.Steps)
        {
            if (platform is null)
            {
                (platform, node, var metricsPort) = await StartPairAsync("calibration", multiplier, cancellation);
                url = $"http://127.0.0.1:{metricsPort}/metrics";
            }
            else
            {
                await StopAsync(platform, "the calibration platform", cancellation);
                var since = ChaosChild.Now;
                platform = await StartPlatformAsync($"calibration platform x{Num(multiplier)}", link, multiplier, $"calibration-x{Num(multiplier)}", cancellation);
                Say($"Restarted the calibration platform (pid {platform.Pid}) at x{Num(multiplier)}.");
                if (await node!.WaitForAsync(l => IsActiveLine(l), StepBound, cancellation, since) is null)
                    throw new SoakStepFailed($"the calibration node's subscriptions were not active again after the platform restarted at x{Num(multiplier)}");
            }
            // Past the (re)start: the first enables, the pools filling.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
            var now = NowUs();
            var lost0 = await LostInNodeAsync(url, cancellation);
            var s0 = await NextAsync(node!, StatsLine(), now, cancellation);
            var p0 = await NextAsync(platform, ProgressLine(), now, cancellation);
            var s1 = await NextAsync(node!, StatsLine(), Stamp(s0) + Us(options.Calibration), cancellation);
            var p1 = await NextAsync(platform, ProgressLine(), Stamp(p0) + Us(options.Calibration), cancellation);
            var lost1 = await LostInNodeAsync(url, cancellation);
            var step = new SoakStep(multiplier, PerSecond(s0, s1, 2), PerSecond(p0, p1, 2), PerSecond(p0, p1, 4), lost1 - lost0);
            steps.Add(step);
            Say($"  x{Num(multiplier)}: the platform tried {Num(step.Tried, "0")}/s and lost {Num(step.LostAtSlot, "0")}/s at its busy slot; " +
                $"the node received {Num(step.Received, "0")}/s and dropped {step.DroppedInNode} at its gate in {Format(options.Calibration)}" +
                (step.KeptUp ? "." : ": it no longer keeps up."));
            if (SoakCalibration.PastTheKnee(steps)) break;
        }
        await StopAsync(node!, "the calibration node", cancellation);
        await StopAsync(platform!, "the calibration platform", cancellation);
        var (best, rate) = SoakCalibration.Choose(steps);
        Say(!best.KeptUp
            ? $"Calibration: the node did not keep up at any step; the soak runs at half the lowest, x{Num(rate)}."
            : $"Calibration: the maximum the node keeps up with is {Num(best.Received, "0")} received/s (at x{Num(best.Multiplier)}); the soak runs at half of it, x{Num(rate)}.");
        return rate;
    }

    private async Task<long> LostInNodeAsync(string url, CancellationToken cancellation)
    {
        try
        {
            return Counter(PrometheusScrape.Parse(await _http.GetStringAsync(url, cancellation)), "scmi_notifications_lost_total");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            throw new SoakStepFailed($"the calibration node's metrics endpoint did not answer ({e.Message})");
        }
    }

    private static bool IsActiveLine(string l) =>
        l.StartsWith($"Subscriptions to {PlatformId}: ", StringComparison.Ordinal) && l.Contains(" active", StringComparison.Ordinal);

    private async Task SoakAsync(double rate, CancellationToken cancellation)
    {
        var (platform, node, metricsPort) = await StartPairAsync("soak", rate, cancellation);
        var url = $"http://127.0.0.1:{metricsPort}/metrics";
        var samples = new List<SoakSample>();
        var pending = new Queue<PendingCheck>();
        var printEvery = options.Duration < TimeSpan.FromMinutes(5) ? TimeSpan.FromSeconds(10) : TimeSpan.FromMinutes(1);
        var nextPrint = printEvery;
        long nodeLost = 0;
        var nodeLosses = "";
        var unanswered = 0;
        var checks = 0;
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Every);
        while (clock.Elapsed < options.Duration && await timer.WaitForNextTickAsync(cancellation))
        {
            foreach (var child in new[] { platform, node })
                if (child.HasExited) throw new SoakStepFailed($"{child.Name} exited with {child.ExitCode} after {Format(clock.Elapsed)}");
            var t0 = NowUs();
            IReadOnlyList<PrometheusSeries> scrape;
            try
            {
                scrape = PrometheusScrape.Parse(await _http.GetStringAsync(url, cancellation));
                unanswered = 0;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
            {
                if (++unanswered >= 5) throw new SoakStepFailed($"the node's metrics endpoint did not answer for 5 s ({e.Message})");
                continue;
            }
            var t1 = NowUs();
            var at = clock.Elapsed;
            var queued = Counter(scrape, "scmi_notifications_queued_total");
            var lost = Counter(scrape, "scmi_notifications_lost_total");
            var depth = Counter(scrape, "scmi_queue_depth");

            // The subscriber's count printed before the scrape began cannot exceed what the gate had queued by then.
            if (Latest(node, StatsLine(), t0) is { } stats)
            {
                var received = Field(stats, 2);
                if (received > queued) throw new SoakStepFailed($"at {Format(at)}: the subscriber had {received} reports, the node had queued only {queued}");
                if (Field(stats, 3) > 0) throw new SoakStepFailed($"at {Format(at)}: the subscriber saw reports twice or out of order: {stats}");
            }
            // What the node had taken in (queued or dropped with a named reason) must be sent by the platform's next line.
            pending.Enqueue(new PendingCheck(t1, queued + LostBeforeQueue(scrape), at));
            while (pending.TryPeek(out var check))
            {
                if (NextNow(platform, ProgressLine(), check.AfterUs) is { } progress)
                {
                    pending.Dequeue();
                    checks++;
                    if (check.Ingested > Field(progress, 3))
                        throw new SoakStepFailed($"at {Format(check.At)}: the node had taken in {check.Ingested} notifications, the platform had sent only {Field(progress, 3)}");
                }
                else if (clock.Elapsed - check.At > TimeSpan.FromSeconds(10))
                {
                    throw new SoakStepFailed($"the platform printed no progress for 10 s after {Format(check.At)}");
                }
                else break;
            }
            if (lost > nodeLost)
            {
                // Named once per printed line, not every second they move: an hour of a few drops would bury the rest.
                nodeLosses = Losses(scrape);
                nodeLost = lost;
            }
            if (Latest(node, StatsLine(), t0) is { } s && Latest(platform, ProgressLine(), t0) is { } p)
                samples.Add(new SoakSample(at, Field(p, 3), Field(p, 4), Field(s, 2), depth, Double(s, 6), RssMb(node.Pid), RssMb(platform.Pid)));
            if (at >= nextPrint && samples.Count > 1)
            {
                nextPrint += printEvery;
                var last = samples[^1];
                Say($"  {Format(at)}: {last.Sent} sent ({Num(Rate(samples, printEvery), "0")}/s), {last.LostAtSlot} lost at the slot, {last.Received} received, " +
                    $"{nodeLost} lost in the node{(nodeLost > 0 ? $" ({nodeLosses})" : "")}; ring depth {last.Depth}; p99 {Num(last.P99Us, "0")} µs; RSS node {Num(last.NodeRssMb, "0")} MB, platform {Num(last.PlatformRssMb, "0")} MB; {checks} checks passed");
            }
        }

        await File.WriteAllLinesAsync(Path.Combine(_directory, "soak-samples.csv"), SoakVerdict.Csv(samples), cancellation);
        await ReconcileAsync(platform, node, url, checks, cancellation);
        var drift = SoakVerdict.Judge(samples);
        Say($"Drift: {drift.Summary}.");
        if (drift.Drifted) _failures.Add($"the soak drifted: {drift.Summary}");
    }

    /// <summary>Stops the platform, lets the node drain, and reconciles the whole run exactly.</summary>
    private async Task ReconcileAsync(ChaosChild platform, ChaosChild node, string url, int checks, CancellationToken cancellation)
    {
        await StopAsync(platform, "the platform", cancellation);
        // Drained when two stats lines in a row show the same count.
        var since = NowUs();
        var previous = await NextAsync(node, StatsLine(), since, cancellation);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var next = await NextAsync(node, StatsLine(), Stamp(previous) + 1, cancellation);
            if (Field(next, 2) == Field(previous, 2)) break;
            if (clock.Elapsed > StepBound) throw new SoakStepFailed($"the subscriber's count still moved {Format(StepBound)} after the platform stopped");
            previous = next;
        }
        var scrape = PrometheusScrape.Parse(await _http.GetStringAsync(url, cancellation));
        var received = Field(Latest(node, StatsLine(), NowUs())!, 2);
        var queued = Counter(scrape, "scmi_notifications_queued_total");
        var delivered = Counter(scrape, "scmi_notifications_delivered_total");
        var lost = Counter(scrape, "scmi_notifications_lost_total");
        var beforeQueue = LostBeforeQueue(scrape);
        var unmatched = Counter(scrape, "scmi_notifications_unmatched_total");
        await StopAsync(node, "the node", cancellation);

        var stats = PlatformSideStats.ReadFile(Path.Combine(_directory, "soak-platform-stats.json")).Single();
        var read = stats.Sent - stats.LeftInSlot;
        // Every notification the agent read is queued or refused at the gate; every queued one is delivered, unmatched,
        // malformed or discarded (with its queue, when the platform's stop ended the link before the node drained).
        var afterQueue = lost - beforeQueue;
        Say($"Accounting: the platform tried {stats.Tried} = {stats.Sent} sent + {stats.LostAtSlot} lost at its busy slot; " +
            $"{stats.Sent} sent − {stats.LeftInSlot} left in the slot = {read} read by the node = {queued} queued + {beforeQueue} refused at its gate; " +
            $"{queued} queued = {delivered} delivered + {unmatched} unmatched + {afterQueue} lost after the queue" +
            (lost > 0 ? $" (in the node: {Losses(scrape)})" : "") + $"; {received} received by the subscriber; {checks} per-second checks passed.");
        if (read != queued + beforeQueue) _failures.Add($"the node took in {queued + beforeQueue} notifications, the platform's agent read {read}");
        if (queued != delivered + unmatched + afterQueue) _failures.Add($"the node queued {queued} reports but accounts for {delivered + unmatched + afterQueue}");
        if (received != delivered) _failures.Add($"the subscriber received {received} reports, the node delivered {delivered}");
    }

    private async Task<(ChaosChild Platform, ChaosChild Node, int MetricsPort)> StartPairAsync(string name, double rate, CancellationToken cancellation)
    {
        var link = Path.Combine(_directory, name);
        var platform = await StartPlatformAsync($"{name} platform", link, rate, name, cancellation);
        var ports = LoopbackPorts.Free(2);
        var address = $"akka.tcp://{NodeCluster.SystemName}@127.0.0.1:{ports[0]}";
        var node = Start($"{name} node",
        [
            "node", "--port", ports[0].ToString(CultureInfo.InvariantCulture), "--seed-nodes", address,
            "--roles", $"{NodeCluster.PlatformRole},{NodeCluster.SubscriberRole}", "--offer", $"{PlatformId}={link}", "--subscribe", PlatformId,
            "--stats-every", "1s", "--metrics-port", ports[1].ToString(CultureInfo.InvariantCulture),
        ], $"{name}-node.log");
        await Expect(node, IsActiveLine, $"the {name} node's subscriptions never became active", cancellation);
        Say($"Started the {name} platform (pid {platform.Pid}) at x{Num(rate)} and node (pid {node.Pid}) on {address}; subscriptions active.");
        return (platform, node, ports[1]);
    }

    /// <summary>A platform process on <paramref name="link"/>; its stats go to <c>FILES-platform-stats.json</c>, its output to <c>FILES-platform.log</c>.</summary>
    private async Task<ChaosChild> StartPlatformAsync(string name, string link, double rate, string files, CancellationToken cancellation)
    {
        var platform = Start(name,
        [
            "platform", "--link", link, "--platform-id", PlatformId, "--rate", Num(rate), "--progress-every", "1s",
            "--stats-file", Path.Combine(_directory, $"{files}-platform-stats.json"),
        ], $"{files}-platform.log");
        await Expect(platform, l => l.Contains("waiting for an agent", StringComparison.Ordinal), $"the {name} never listened", cancellation);
        return platform;
    }

    private ChaosChild Start(string name, string[] args, string log)
    {
        var child = ChaosChild.Start(name, args, Path.Combine(_directory, log), options.Verbose ? Say : null);
        _children.Add(child);
        return child;
    }

    private static async Task StopAsync(ChaosChild child, string what, CancellationToken cancellation)
    {
        child.Terminate();
        if (!await Task.Run(() => child.WaitForExit(StepBound), cancellation)) throw new SoakStepFailed($"{what} did not stop after SIGTERM");
    }

    private static async Task Expect(ChaosChild child, Func<string, bool> match, string failure, CancellationToken cancellation)
    {
        if (await child.WaitForAsync(match, StepBound, cancellation) is null)
            throw new SoakStepFailed(child.HasExited ? $"{failure} ({child.Name} exited with {child.ExitCode})" : $"{failure} within {Format(StepBound)}");
    }

    /// <summary>The first line of <paramref name="child"/> matching <paramref name="line"/> stamped at or after <paramref name="afterUs"/>, waited for.</summary>
    private static async Task<Match> NextAsync(ChaosChild child, Regex line, long afterUs, CancellationToken cancellation)
    {
        var found = await child.WaitForAsync(l => line.Match(l) is { Success: true } m && Stamp(m) >= afterUs, StepBound, cancellation);
        return found is { } f ? line.Match(f.Line)
            : throw new SoakStepFailed($"{child.Name} printed no {(line == StatsLine() ? "stats" : "progress")} line within {Format(StepBound)}" +
                                       (child.HasExited ? $" (exited with {child.ExitCode})" : ""));
    }

    private static Match? NextNow(ChaosChild child, Regex line, long afterUs) =>
        child.Find(l => line.Match(l) is { Success: true } m && Stamp(m) >= afterUs) is { } f ? line.Match(f.Line) : null;

    private static Match? Latest(ChaosChild child, Regex line, long atOrBeforeUs)
    {
        var lines = child.Lines;
        for (var i = lines.Count - 1; i >= 0; i--)
            if (line.Match(lines[i].Line) is { Success: true } m && Stamp(m) <= atOrBeforeUs) return m;
        return null;
    }

    private static long Counter(IReadOnlyList<PrometheusSeries> scrape, string name) => (long)scrape.Sum(name, ("scmi_platform", PlatformId));

    /// <summary>Losses after a report was queued (the ring): decoded as malformed, or discarded with the queue when the link went.</summary>
    private static readonly string[] AfterQueue = ["malformed", "discarded"];

    /// <summary>The node's losses before its rings (the gate's refusals: queue full, not running, unknown ids, ...): not in "queued".</summary>
    private static long LostBeforeQueue(IReadOnlyList<PrometheusSeries> scrape) =>
        LostByOutcome(scrape).Where(l => !AfterQueue.Contains(l.Key)).Sum(l => l.Value);

    private static IReadOnlyDictionary<string, long> LostByOutcome(IReadOnlyList<PrometheusSeries> scrape) =>
        scrape.SumBy("scmi_notifications_lost_total", "scmi_outcome", PlatformId);

    private static string Losses(IReadOnlyList<PrometheusSeries> scrape) => PrometheusScrape.Describe(LostByOutcome(scrape));

    private static double PerSecond(Match from, Match to, int group) =>
        (Field(to, group) - Field(from, group)) / Math.Max((Stamp(to) - Stamp(from)) / 1e6, 1e-3);

    private static double Rate(List<SoakSample> samples, TimeSpan over)
    {
        var last = samples[^1];
        var first = samples.LastOrDefault(s => last.At - s.At >= over) ?? samples[0];
        return (last.Sent - first.Sent) / Math.Max((last.At - first.At).TotalSeconds, 1e-3);
    }

    /// <summary>Resident set of a process in MB from /proc (Linux); NaN elsewhere or once it is gone.</summary>
    private static double RssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or the process ended: not sampled.
        }
        return double.NaN;
    }

    private static long NowUs() => ScmiClock.NowNs() / 1000;

    private static long Us(TimeSpan t) => (long)(t.TotalMilliseconds * 1000);

    private static long Stamp(Match m) => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);

    private static long Field(Match m, int group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static double Double(Match m, int group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static string Num(double x, string format = "0.######") => x.ToString(format, CultureInfo.InvariantCulture);

    private static string Format(TimeSpan t) => MainJobRunner.Format(t);

    private void Say(string line)
    {
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Groups: 1 stamp, 2 tried, 3 sent, 4 lost at the slot (<see cref="PlatformRunner.ProgressLine"/>).</summary>
    [GeneratedRegex(@"^Progress of soc0 at (\d+) us: tried (\d+), sent (\d+), lost at the busy slot (\d+)\.$")]
    private static partial Regex ProgressLine();

    /// <summary>Groups: 1 stamp, 2 reports, 3 repeated, 4 count, 5 p50, 6 p99, 7 max (<see cref="NodeSubscriberActor.StatsLine"/>).</summary>
    [GeneratedRegex(@"^Stats of soc0 at (\d+) us: (\d+) reports, (\d+) repeated or out of order; latency over the last (\d+): p50 ([\d.]+) us, p99 ([\d.]+) us, max ([\d.]+) us\.$")]
    private static partial Regex StatsLine();

    private sealed class SoakStepFailed(string message) : Exception(message);
}
