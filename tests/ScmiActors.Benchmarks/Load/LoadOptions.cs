using System.Globalization;
using Akka.Configuration;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Load;

public sealed class LoadOptions
{
    public List<string> Cases { get; } = new();

    /// <summary>Restricts the variants run (experiments); empty = each case's own list.</summary>
    public List<string> Variants { get; } = new();
    public double Seconds { get; set; } = 2;
    public int Reps { get; set; } = 3;
    public double WarmupSeconds { get; set; } = 0.5;
    public bool Smoke { get; set; }
    public bool List { get; set; }

    /// <summary>Samples the allocated types of every measured run (<see cref="AllocationProfiler"/>).</summary>
    public bool AllocProfile { get; set; }

    /// <summary>Queue budget of every protocol in bytes (scmi.queue-bytes), or null for the Linux defaults (4096, base 16384).</summary>
    public int? QueueBytes { get; set; }
    public int DrainBatch { get; set; } = 256;
    public int Platforms { get; set; } = 1000;
    public double PlatformsRate { get; set; } = 50_000;
    public double SteadyRate { get; set; } = 10_000;
    public double FloodRate { get; set; } = 5_000_000;
    public int FloodLimit { get; set; } = 100_000;
    public double BurnUs { get; set; } = 400;
    public double[] SweepRates { get; set; } = [25_000, 50_000, 100_000, 200_000, 400_000];
    public string? CsvPath { get; set; }
    public Pacing Pacing { get; set; } = Pacing.Sleep;
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra HOCON for the ActorSystem of every case (experiments: dispatchers, throughput).</summary>
    public string ExtraAkkaConfig { get; set; } = "";

    public int QueueBytesFor(byte protocol) => QueueBytes ?? (protocol == ScmiProtocolId.Base ? 16384 : 4096);

    public Config AkkaConfig() => ConfigurationFactory.ParseString(ExtraAkkaConfig).WithFallback(ConfigurationFactory.ParseString($"""
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        scmi.queue-bytes = {(QueueBytes is { } q ? q.ToString(CultureInfo.InvariantCulture) : "off")}
        scmi.drain-batch = {DrainBatch}
        scmi.command-timeout = 30s
        """));

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Num() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--case": o.Cases.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--seconds": o.Seconds = Num(); break;
                case "--reps": o.Reps = (int)Num(); break;
                case "--warmup": o.WarmupSeconds = Num(); break;
                case "--smoke": o.Smoke = true; break;
                case "--list": o.List = true; break;
                case "--alloc-profile": o.AllocProfile = true; break;
                case "--queue-bytes":
                    var q = Next();
                    o.QueueBytes = q == "off" ? null : int.Parse(q, CultureInfo.InvariantCulture);
                    break;
                case "--drain-batch": o.DrainBatch = (int)Num(); break;
                case "--platforms": o.Platforms = (int)Num(); break;
                case "--platforms-rate": o.PlatformsRate = Num(); break;
                case "--steady-rate": o.SteadyRate = Num(); break;
                case "--flood-rate": o.FloodRate = Num(); break;
                case "--flood-limit": o.FloodLimit = (int)Num(); break;
                case "--burn-us":
                    o.BurnUs = Num();
                    if (!(o.BurnUs > 0)) throw new ArgumentException("--burn-us must be more than 0");
                    break;
                case "--rates":
                    o.SweepRates = Next().Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--csv": o.CsvPath = Next(); break;
                case "--pacing": o.Pacing = Enum.Parse<Pacing>(Next(), ignoreCase: true); break;
                case "--variants": o.Variants.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--akka": o.ExtraAkkaConfig += Next() + "\n"; break;
                case "--akka-file": o.ExtraAkkaConfig += File.ReadAllText(Next()) + "\n"; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Smoke)
        {
            o.Seconds = Math.Min(o.Seconds, 0.3);
            o.Reps = 1;
            o.WarmupSeconds = 0;
            o.DrainTimeout = TimeSpan.FromSeconds(10);
        }
        return o;
    }

    public const string Usage = """
        load [--case NAME[,NAME...]] [--seconds N] [--reps N] [--warmup S] [--list] [--smoke] [--alloc-profile]
             [--queue-bytes N|off] [--drain-batch N] [--platforms N] [--platforms-rate R]
             [--steady-rate R] [--flood-rate R] [--flood-limit R] [--burn-us N] [--rates R1,R2,...] [--csv PATH] [--akka HOCON] [--akka-file PATH] [--pacing sleep|spin]
             [--variants scmi,channels,akka2hop,delegates]
        """;
}
