using System.Globalization;
using ScmiActors.Benchmarks.Load;

namespace ScmiActors.Benchmarks.Remote;

public sealed class RemoteOptions
{
    public const string Local = "local";
    public const string Remote = "remote";
    public const string AkkaRemote = "akka-remote";
    public static readonly string[] AllVariants = [Local, Remote, AkkaRemote];

    public double Seconds { get; private set; } = 2;
    public int Reps { get; private set; } = 3;
    public double WarmupSeconds { get; private set; } = 0.5;
    public double[] Rates { get; private set; } = [10_000];
    public List<string> Variants { get; } = [.. AllVariants];
    public Pacing Pacing { get; private set; } = Pacing.Sleep;
    public bool Smoke { get; private set; }
    public string ExtraAkkaConfig { get; private set; } = "";
    public TimeSpan DrainTimeout { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Node B's start (a .NET process, then the cluster join) and A's own.</summary>
    public TimeSpan StartTimeout { get; private set; } = TimeSpan.FromSeconds(60);

    /// <summary>Parses the options; throws <see cref="ArgumentException"/> with a one-line message.</summary>
    public static RemoteOptions Parse(string[] args)
    {
        var o = new RemoteOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value");
            double Num(double min)
            {
                var text = Next();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v >= min) || double.IsInfinity(v))
                    throw new ArgumentException($"{option}: '{text}' is not a number >= {min.ToString(CultureInfo.InvariantCulture)}");
                return v;
            }
            switch (option)
            {
                case "--seconds": o.Seconds = Num(0.01); break;
                case "--reps": o.Reps = (int)Num(1); break;
                case "--warmup": o.WarmupSeconds = Num(0); break;
                case "--rates":
                    var text = Next();
                    var rates = new List<double>();
                    foreach (var r in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
                        rates.Add(double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 1 && !double.IsInfinity(v)
                            ? v : throw new ArgumentException($"--rates: '{r}' is not a rate >= 1 (events/s)"));
                    o.Rates = [.. rates];
                    break;
                case "--variants":
                    var names = Next().Split(',', StringSplitOptions.RemoveEmptyEntries);
                    if (names.FirstOrDefault(n => !AllVariants.Contains(n)) is { } unknown)
                        throw new ArgumentException($"--variants: unknown variant '{unknown}' ({string.Join(", ", AllVariants)})");
                    if (names.Length == 0) throw new ArgumentException("--variants needs at least one variant");
                    o.Variants.Clear();
                    o.Variants.AddRange(AllVariants.Where(names.Contains));
                    break;
                case "--pacing":
                    var pacing = Next();
                    o.Pacing = Enum.TryParse<Pacing>(pacing, ignoreCase: true, out var p) && Enum.IsDefined(p)
                        ? p : throw new ArgumentException($"--pacing: '{pacing}' is not sleep or spin");
                    break;
                case "--akka": o.ExtraAkkaConfig += Next() + "\n"; break;
                case "--smoke": o.Smoke = true; break;
                default: throw new ArgumentException($"unknown option '{option}'");
            }
        }
        if (o.Smoke)
        {
            o.Seconds = Math.Min(o.Seconds, 0.3);
            o.Reps = 1;
            o.WarmupSeconds = 0;
            o.Rates = [o.Rates[0]];
            o.DrainTimeout = TimeSpan.FromSeconds(10);
            o.StartTimeout = TimeSpan.FromSeconds(30);
        }
        return o;
    }

    public const string Usage =
        "remote [--seconds S] [--reps N] [--rates R1,R2,...] [--warmup S] [--variants local,remote,akka-remote] [--pacing sleep|spin] [--akka HOCON] [--smoke]";
}
