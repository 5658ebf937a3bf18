using BenchmarkDotNet.Running;
using ScmiActors.Benchmarks.Link;
using ScmiActors.Benchmarks.Load;

namespace ScmiActors.Benchmarks;

/// <summary>
/// <c>bench [BenchmarkDotNet args]</c>: the micro-benchmarks (decode, gate);
/// <c>load [options]</c>: the end-to-end load generator against its baselines (see docs/benchmarks.md);
/// <c>link [options]</c>: the shared-memory link beside the in-memory channel.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "bench":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
                return 0;
            case "load":
                return await LoadRunner.RunAsync(args[1..]);
            case "link":
                return await LinkBench.RunAsync(args[1..]);
            default:
                Console.Error.WriteLine("usage: bench [BenchmarkDotNet args]   (e.g. bench --filter '*' --job short)");
                Console.Error.WriteLine("       " + LoadOptions.Usage.Replace("\n", "\n       "));
                Console.Error.WriteLine("       link [--commands N] [--seconds S]   (the SMT link beside the in-memory channel)");
                return 2;
        }
    }
}
