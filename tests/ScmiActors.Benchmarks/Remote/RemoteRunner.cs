using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Akka.Actor;
using ScmiActors.Benchmarks.Load;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>
/// <c>remote [options]</c>: remote delivery throughput and latency with two node processes. This
/// process is node A (role <c>platform</c>): a real Akka.Cluster node on loopback hosting ScmiActors
/// as a node does (Akka.Hosting, sharded handles), with one platform on an in-memory transport and
/// a fake firmware that accepts every NOTIFY; producers post through <c>PlatformEnd.Send</c> with
/// the load generator's driver. Node B (role <c>subscriber</c>) is a child process of this
/// executable (<see cref="SubscriberNode"/>), controlled over its stdin and stdout. Variants, run
/// side by side with interleaved repetitions whose order alternates (as <c>load</c> does):
/// <list type="bullet">
/// <item><c>local</c>: the subscriber in node A, subscribed through the shard region; the baseline.</item>
/// <item><c>remote</c>: the subscriber in node B, subscribed through B's shard-region proxy; every
/// report crosses Akka.Remote in ScmiActors' Protocol Buffers serializer, the delivery window's
/// markers and their answers too.</item>
/// <item><c>akka-remote</c>: the floor: the producer decodes and tells the same report straight to an
/// actor in node B, with the same window, and no ring, protocol actor or routing.</item>
/// </list>
/// Each variant has its own source (perf domain 0, 1, 2) of the one platform, so local and remote
/// go through the same handle, ring and protocol actor. Latency runs from the gate's ingest stamp
/// in node A to the subscriber, in whichever process (ScmiClock is CLOCK_MONOTONIC, one clock for the
/// machine); a run's length runs from the producers' start to the last delivery.
/// </summary>
public static class RemoteRunner
{
    private const string PlatformId = "bench0";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        RemoteOptions o;
        try
        {
            o = RemoteOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"remote: {e.Message}; usage: {RemoteOptions.Usage}");
            return 2;
        }

        PrintMachine(o);
        BenchNode? a = null;
        NodeBProcess? b = null;
        var failed = true;
        try
        {
            var started = Stopwatch.StartNew();
            var port = BenchNode.FreePort();
            a = await BenchNode.StartAsync(port, BenchNode.SeedAt(port), hostsPlatforms: true, o.ExtraAkkaConfig, o.StartTimeout);
            b = await NodeBProcess.StartAsync(a.Address, o.ExtraAkkaConfig, o.StartTimeout);
            Console.WriteLine($"node A {a.Address} (pid {Environment.ProcessId}, role platform), node B {b.Address} (pid {b.Pid}, role subscriber): " +
                              $"both Up after {started.Elapsed.TotalSeconds.ToString("F1", Inv)} s");

            var transport = InMemoryTransport.Create();
            var end = transport.Platform;
            end.OnCommand((header, _) => end.Respond(header, ScmiStatus.Success));
            var description = Events.PerfOnly(PlatformId, (uint)RemoteOptions.AllVariants.Length);
            await a.Scmi.StartPlatformAsync(PlatformId, transport.Agent, description, timeout: AskTimeout);

            var variants = new List<BenchVariant>();
            foreach (var name in o.Variants) variants.Add(await SetupAsync(name, a, b, end, description));
            Console.WriteLine($"subscriptions active after {started.Elapsed.TotalSeconds.ToString("F1", Inv)} s");

            var phases = new List<(string Label, double Rate)> { ("full", 0) };
            phases.AddRange(o.Rates.Select(r => (RateLabel(r), r)));
            Console.WriteLine();
            Console.WriteLine($"== remote: 1 platform on node A (perf PERFORMANCE_LEVEL_CHANGED, a source per variant), 1 subscriber per variant; " +
                              $"{o.Seconds.ToString(Inv)} s x {o.Reps} rep(s); phases {string.Join(", ", phases.Select(p => p.Label))}");

            // The runs block (the producers, the drain): on a thread of their own, not one of the pool's, which run the actors.
            var results = await Task.Factory.StartNew(() => Measure(variants, phases, o), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var medians = results.ToDictionary(p => p.Key, p => p.Value.ToDictionary(v => v.Key, v => Median(v.Value)));
            PrintTable(phases, results, medians);
            Summarize(phases, medians, o);
            Console.WriteLine($"load average at end: {LoadAverage()}");
            if (o.Smoke) Console.WriteLine("(smoke run: 0.3 s runs without warm-up; the figures are not measurements)");
            failed = false;
            return 0;
        }
        catch (NodeBException e)
        {
            Console.Error.WriteLine($"remote: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"remote: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
        finally
        {
            // B first: it leaves the cluster while A, the seed and the shards' host, is still there. Then A. Each is bounded.
            if (b is not null) await b.DisposeAsync();
            if (a is not null) await a.StopAsync(TimeSpan.FromSeconds(failed ? 3 : 15));
        }
    }

    /// <summary>A variant: what its producer posts into, and how its subscriber is reset and drained.</summary>
    private sealed record BenchVariant(string Name, Poster Poster, Action Reset, Func<long, TimeSpan, SubscriberStats> Drain);

    private static async Task<BenchVariant> SetupAsync(string name, BenchNode a, NodeBProcess b, InMemoryTransport.PlatformEnd end,
        PlatformDescription description)
    {
        var source = (uint)Array.IndexOf(RemoteOptions.AllVariants, name);
        var raw = Events.PerfLevel(source);
        switch (name)
        {
            case RemoteOptions.Local:
            {
                var tally = new Tally();
                var actor = a.System.ActorOf(BenchSubscriber.Props(tally), "sub-local");
                await BenchSubscriber.SubscribeAsync(a.Scmi.Handles, actor, PlatformId, raw.Protocol, raw.Event, raw.Source, AskTimeout);
                return new BenchVariant(name, new GatePoster(name, end, raw),
                    () => actor.Ask<BenchSubscriber.Reset>(BenchSubscriber.Reset.Instance, AskTimeout).GetAwaiter().GetResult(),
                    (expected, timeout) => DrainLocal(actor, tally, expected, timeout));
            }
            case RemoteOptions.Remote:
                await b.CommandAsync($"subscribe {name} {PlatformId} {raw.Protocol} {raw.Event} {raw.Source}", AskTimeout + AskTimeout);
                return new BenchVariant(name, new GatePoster(name, end, raw), () => Command(b, $"reset {name}", AskTimeout),
                    (expected, timeout) => DrainRemote(b, name, expected, timeout));
            case RemoteOptions.AkkaRemote:
            {
                var reply = await b.CommandAsync($"actor {name}", AskTimeout);
                if (!reply.StartsWith("path ", StringComparison.Ordinal)) throw new NodeBException($"node B answered '{reply}' to actor");
                var target = await a.System.ActorSelection(reply["path ".Length..]).ResolveOne(AskTimeout);
                var poster = new AkkaRemotePoster(a.System, target, new PlatformDecoder(description, ProtocolCatalogs.Default), raw);
                return new BenchVariant(name, poster, () => Command(b, $"reset {name}", AskTimeout),
                    (expected, timeout) => DrainRemote(b, name, expected, timeout));
            }
            default:
                throw new ArgumentException(name);
        }
    }

    private static string Command(NodeBProcess b, string command, TimeSpan timeout) => b.CommandAsync(command, timeout).GetAwaiter().GetResult();

    private static SubscriberStats DrainLocal(IActorRef actor, Tally tally, long expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (tally.Count < expected)
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"local: {tally.Count} of {expected} deliveries after {timeout.TotalSeconds:0} s");
            Thread.Sleep(1);
        }
        // Anything beyond the expected count would be a duplicate delivery: wait a moment to see it.
        Thread.Sleep(5);
        return actor.Ask<SubscriberStats>(BenchSubscriber.Snapshot.Instance, AskTimeout).GetAwaiter().GetResult();
    }

    private static SubscriberStats DrainRemote(NodeBProcess b, string name, long expected, TimeSpan timeout)
    {
        var reply = Command(b, $"wait {name} {expected} {(long)timeout.TotalMilliseconds}", timeout + AskTimeout);
        if (reply.StartsWith("timeout", StringComparison.Ordinal))
            throw new TimeoutException($"{name}: {reply["timeout ".Length..]} of {expected} deliveries after {timeout.TotalSeconds:0} s");
        return SubscriberNode.ParseStats(Command(b, $"stats {name}", AskTimeout));
    }

    private sealed record Result(string Variant, long Events, double Seconds, LatencyStats Latency, long FullRetries)
    {
        public double EventsPerSecond => Events / Seconds;
    }

    private static Dictionary<string, Dictionary<string, List<Result>>> Measure(List<BenchVariant> variants, List<(string Label, double Rate)> phases,
        RemoteOptions o)
    {
        if (o.WarmupSeconds > 0)
            foreach (var v in variants)
                RunOnce(v, 0, o.WarmupSeconds, o);

        var results = phases.ToDictionary(p => p.Label, _ => variants.ToDictionary(v => v.Name, _ => new List<Result>()));
        for (var rep = 0; rep < o.Reps; rep++)
        {
            var order = rep % 2 == 0 ? variants : Enumerable.Reverse(variants).ToList();
            foreach (var (label, rate) in phases)
            foreach (var v in order)
                results[label][v.Name].Add(RunOnce(v, rate, o.Seconds, o));
        }
        return results;
    }

    private static Result RunOnce(BenchVariant v, double rate, double seconds, RemoteOptions o)
    {
        v.Reset();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var produced = Driver.Produce(v.Poster, [1], [new ProducerPlan([0], rate)], seconds, o.Pacing);
        if (produced.Events == 0) throw new InvalidOperationException($"{v.Name}: the producer posted nothing");
        var stats = v.Drain(produced.Expected, o.DrainTimeout);
        if (stats.Count != produced.Expected) throw new InvalidOperationException($"{v.Name}: {stats.Count} deliveries, expected {produced.Expected}");
        return new Result(v.Name, produced.Events, (stats.LastNs - produced.StartNs) / 1e9, stats.Latency, produced.FullRetries);
    }

    private static Result Median(List<Result> runs)
    {
        double M(Func<Result, double> f)
        {
            var xs = runs.Select(f).Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
            if (xs.Length == 0) return double.NaN;
            return xs.Length % 2 == 1 ? xs[xs.Length / 2] : (xs[xs.Length / 2 - 1] + xs[xs.Length / 2]) / 2;
        }
        var rate = M(r => r.EventsPerSecond);
        var events = (long)M(r => r.Events);
        var latency = new LatencyStats((long)M(r => r.Latency.Count), M(r => r.Latency.P50Us), M(r => r.Latency.P99Us), M(r => r.Latency.P999Us),
            M(r => r.Latency.MaxUs));
        // Seconds chosen so that Events / Seconds is the median rate.
        return new Result(runs[0].Variant, events, events / rate, latency, (long)M(r => r.FullRetries));
    }

    private static void PrintTable(List<(string Label, double Rate)> phases, Dictionary<string, Dictionary<string, List<Result>>> results,
        Dictionary<string, Dictionary<string, Result>> medians)
    {
        Console.WriteLine("   latency: ingest (gate timestamp, node A) to the subscriber (node A or B), µs; medians of the repetitions");
        Console.WriteLine($"   {"phase",-10} {"variant",-12} {"events/s",10} {"p50",9} {"p99",9} {"p99.9",9} {"max",9} {"full",12}  events/s per rep");
        foreach (var (label, _) in phases)
        foreach (var (name, m) in medians[label])
        {
            var l = m.Latency;
            var reps = string.Join(" ", results[label][name].Select(r => Si(r.EventsPerSecond)));
            Console.WriteLine($"   {label,-10} {name,-12} {Si(m.EventsPerSecond),10} {F(l.P50Us),9} {F(l.P99Us),9} {F(l.P999Us),9} {F(l.MaxUs),9} {m.FullRetries,12}  {reps}");
        }
        foreach (var (label, _) in phases)
        {
            var p = medians[label];
            var pairs = new[] { (RemoteOptions.Remote, RemoteOptions.Local), (RemoteOptions.Remote, RemoteOptions.AkkaRemote), (RemoteOptions.AkkaRemote, RemoteOptions.Local) }
                .Where(x => p.ContainsKey(x.Item1) && p.ContainsKey(x.Item2))
                .Select(x => $"{x.Item1} vs {x.Item2}: throughput {Ratio(p[x.Item1].EventsPerSecond, p[x.Item2].EventsPerSecond)}, " +
                             $"p50 {Ratio(p[x.Item1].Latency.P50Us, p[x.Item2].Latency.P50Us)}, p99 {Ratio(p[x.Item1].Latency.P99Us, p[x.Item2].Latency.P99Us)}")
                .ToList();
            if (pairs.Count > 0) Console.WriteLine($"   {label}: {string.Join("; ", pairs)}");
        }
    }

    /// <summary>The one-line summary: remote's full-speed throughput with its ratios to the others, and its latency at a fixed rate beside local's.</summary>
    private static void Summarize(List<(string Label, double Rate)> phases, Dictionary<string, Dictionary<string, Result>> medians, RemoteOptions o)
    {
        var full = medians["full"];
        if (!full.TryGetValue(RemoteOptions.Remote, out var r)) return;
        double RatioTo(string v) => full.TryGetValue(v, out var x) ? r.EventsPerSecond / x.EventsPerSecond : double.NaN;
        var line = $"case=remote events_per_s={r.EventsPerSecond.ToString("F0", Inv)} ratio_vs_local={RatioTo(RemoteOptions.Local).ToString("F2", Inv)} " +
                   $"ratio_vs_akka_remote={RatioTo(RemoteOptions.AkkaRemote).ToString("F2", Inv)}";
        // Latency at 10 000/s if that rate ran, else at the first fixed rate.
        var rate = phases.Skip(1).OrderBy(p => p.Rate != 10_000).FirstOrDefault();
        if (rate.Label is not null && medians[rate.Label].TryGetValue(RemoteOptions.Remote, out var rated))
        {
            var l = rated.Latency;
            line += $" rate={rate.Rate.ToString("F0", Inv)} p50_us={F(l.P50Us)} p99_us={F(l.P99Us)} p999_us={F(l.P999Us)} max_us={F(l.MaxUs)}";
            if (medians[rate.Label].TryGetValue(RemoteOptions.Local, out var local))
                line += $" local_p50_us={F(local.Latency.P50Us)} local_p99_us={F(local.Latency.P99Us)}";
        }
        Console.WriteLine(line);
    }

    private static void PrintMachine(RemoteOptions o)
    {
        string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
        var model = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        Console.WriteLine($"machine: {Environment.ProcessorCount} cpus, {model}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
                          $"GC {(GCSettings.IsServerGC ? "server" : "workstation")}{(GCSettings.LatencyMode == GCLatencyMode.Batch ? " non-concurrent" : " concurrent")}");
        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine($"options: seconds={o.Seconds.ToString(Inv)} reps={o.Reps} warmup={o.WarmupSeconds.ToString(Inv)} " +
                          $"rates={string.Join(",", o.Rates.Select(r => r.ToString("F0", Inv)))} variants={string.Join(",", o.Variants)} pacing={o.Pacing}" +
                          $"{(o.ExtraAkkaConfig.Length > 0 ? $" akka=\"{o.ExtraAkkaConfig.Trim().ReplaceLineEndings("; ")}\"" : "")}{(o.Smoke ? " smoke" : "")}");
    }

    private static string RateLabel(double rate) => rate >= 1000 ? $"rate{(rate / 1000).ToString("0.#", Inv)}k" : $"rate{rate.ToString("F0", Inv)}";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string F(double us) => double.IsNaN(us) ? "n/a" : us.ToString(us < 100 ? "F2" : "F1", Inv);

    private static string Ratio(double a, double b) => (a / b).ToString("F2", Inv);

    private static string Si(double v) => v >= 1e6 ? (v / 1e6).ToString("F2", Inv) + "M" : v >= 1e3 ? (v / 1e3).ToString("F1", Inv) + "k" : v.ToString("F0", Inv);
}
