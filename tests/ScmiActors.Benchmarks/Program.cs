using BenchmarkDotNet.Running;
using ScmiActors.Benchmarks.Link;
using ScmiActors.Benchmarks.Load;
using ScmiActors.Benchmarks.Remote;

namespace ScmiActors.Benchmarks;

/// <summary>
/// <c>bench [BenchmarkDotNet args]</c>: the micro-benchmarks (decode, gate);
/// <c>load [options]</c>: the end-to-end load generator against its baselines (see docs/benchmarks.md);
/// <c>link [options]</c>: the shared-memory link beside the in-memory channel;
/// <c>scale [options]</c>: memory and start-up per platform at several platform counts;
/// <c>remote [options]</c>: remote delivery between two node processes (this one and a child in the
/// hidden <c>remote-subscriber</c> mode) beside local delivery and a bare Akka remoting floor.
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
            case "scale":
                return await ScaleRunner.RunAsync(args[1..]);
            case "remote":
                return await RemoteRunner.RunAsync(args[1..]);
            case SubscriberNode.Command: // node B of `remote`, started by it
                return await SubscriberNode.RunAsync(args[1..]);
            default:
                Console.Error.WriteLine("usage: bench [BenchmarkDotNet args]   (e.g. bench --filter '*' --job short)");
                Console.Error.WriteLine("       " + LoadOptions.Usage.Replace("\n", "\n       "));
                Console.Error.WriteLine("       link [--commands N] [--seconds S] [--reps R]   (the SMT link beside the in-memory channel and a bare ping-pong)");
                Console.Error.WriteLine("       " + ScaleRunner.Usage + "   (memory and start-up per platform, a process per count)");
                Console.Error.WriteLine("       " + RemoteOptions.Usage + "   (two node processes)");
                return 2;
        }
    }
}
