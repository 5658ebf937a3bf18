using System.Globalization;
using Akka.Actor;
using ScmiActors.Benchmarks.Load;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>
/// Node B of the remote benchmark: <c>remote-subscriber --seed ADDRESS [--akka HOCON]</c>, a hidden
/// mode of this executable that node A starts as its child. A cluster node with the <c>subscriber</c>
/// role (the handles through a shard-region proxy, as on a <c>scmi-actors node --roles subscriber</c>),
/// controlled by lines on stdin, one reply line on stdout each, marked with <see cref="ReplyMark"/>:
/// <list type="bullet">
/// <item><c>subscribe NAME PLATFORM PROTOCOL EVENT SOURCE</c>: a <see cref="BenchSubscriber"/> named NAME subscribes through the proxy; <c>ok</c> when active.</item>
/// <item><c>actor NAME</c>: a <see cref="BenchSubscriber"/> named NAME that subscribes to nothing (the bare Akka floor tells it reports); <c>path ADDRESS-PATH</c>.</item>
/// <item><c>reset NAME</c>: a full GC here, as node A does before a run, then the subscriber's figures start again; <c>ok</c>.</item>
/// <item><c>wait NAME COUNT TIMEOUT-MS</c>: until NAME has COUNT deliveries, then 5 ms more for duplicates; <c>done COUNT LAST-NS</c> or <c>timeout COUNT</c>.</item>
/// <item><c>stats NAME</c>: <c>stats COUNT LAST-NS P50 P99 P99.9 MAX</c> (µs).</item>
/// <item><c>quit</c>: leaves the cluster in order (bounded) and exits 0. The end of stdin (node A closed it, or
/// died) does the same at once, even during a <c>wait</c>, and exits after at most 5 s whatever the leave is doing.</item>
/// </list>
/// An error answers <c>error MESSAGE</c>. If the cluster stops the node (downed), it exits 1 at once.
/// </summary>
public static class SubscriberNode
{
    public const string Command = "remote-subscriber";
    public const string ReplyMark = "@@ ";
    public const string Quit = "quit";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the leave may take once stdin has closed, before the process exits regardless.</summary>
    private static readonly TimeSpan StdinClosedExit = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        Address? seed = null;
        var extraHocon = "";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seed" when i + 1 < args.Length:
                    seed = Address.Parse(args[++i]);
                    break;
                case "--akka" when i + 1 < args.Length:
                    extraHocon += args[++i] + "\n";
                    break;
                default:
                    Console.Error.WriteLine($"{Command}: unknown or malformed option '{args[i]}'; usage: {Command} --seed ADDRESS [--akka HOCON]");
                    return 2;
            }
        }
        if (seed is null)
        {
            Console.Error.WriteLine($"{Command}: --seed ADDRESS is required");
            return 2;
        }

        BenchNode node;
        try
        {
            node = await BenchNode.StartAsync(0, seed, hostsPlatforms: false, extraHocon, TimeSpan.FromSeconds(60));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{Command}: {e.Message}");
            return 1;
        }
        var quitting = false;
        _ = node.System.WhenTerminated.ContinueWith(_ =>
        {
            if (Volatile.Read(ref quitting)) return;
            Console.Error.WriteLine($"{Command}: the actor system stopped (downed by the cluster?)");
            Environment.Exit(1);
        }, TaskScheduler.Default);

        var subscribers = new Dictionary<string, (IActorRef Actor, Tally Tally)>();
        // Its own thread reads stdin, so that its end is seen at once, even while a command (a wait) runs.
        var lines = new System.Collections.Concurrent.BlockingCollection<string>();
        var stdinClosed = new CancellationTokenSource();
        var reader = new Thread(() =>
        {
            try
            {
                while (Console.In.ReadLine() is { } line) lines.Add(line);
            }
            catch (IOException)
            {
                // As the end of stdin.
            }
            lines.CompleteAdding();
            stdinClosed.Cancel();
        }) { IsBackground = true, Name = "stdin" };
        reader.Start();
        // Node A closed stdin, or died: a bounded leave, then out, whatever the leave is doing.
        stdinClosed.Token.Register(() => new Thread(() =>
        {
            Thread.Sleep(StdinClosedExit);
            Console.Error.WriteLine($"{Command}: stdin closed {StdinClosedExit.TotalSeconds:0} s ago; exiting");
            Environment.Exit(0);
        }) { IsBackground = true }.Start());

        Reply($"ready {node.Address}");
        try
        {
            // On a thread of its own: blocking waits must not hold one of the pool's threads, which run the actors.
            await Task.Factory.StartNew(() =>
            {
                foreach (var line in lines.GetConsumingEnumerable())
                {
                    var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (words is [Quit]) break;
                    try
                    {
                        Reply(ExecuteAsync(node, subscribers, words, stdinClosed.Token).GetAwaiter().GetResult());
                    }
                    catch (Exception e)
                    {
                        Reply($"error {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            Volatile.Write(ref quitting, true);
            await node.StopAsync(TimeSpan.FromSeconds(10));
        }
        return 0;
    }

    private static async Task<string> ExecuteAsync(BenchNode node, Dictionary<string, (IActorRef Actor, Tally Tally)> subscribers, string[] words,
        CancellationToken stdinClosed)
    {
        (IActorRef Actor, Tally Tally) Named(string name) =>
            subscribers.TryGetValue(name, out var s) ? s : throw new ArgumentException($"no subscriber {name}");

        (IActorRef, Tally) Create(string name)
        {
            if (subscribers.ContainsKey(name)) throw new ArgumentException($"subscriber {name} exists already");
            var tally = new Tally();
            var actor = node.System.ActorOf(BenchSubscriber.Props(tally), name);
            subscribers[name] = (actor, tally);
            return (actor, tally);
        }

        switch (words)
        {
            case ["subscribe", var name, var platform, var protocol, var evt, var source]:
            {
                var (actor, _) = Create(name);
                await BenchSubscriber.SubscribeAsync(node.Scmi.Handles, actor, platform, byte.Parse(protocol, Inv), byte.Parse(evt, Inv),
                    uint.Parse(source, Inv), AskTimeout);
                return "ok";
            }
            case ["actor", var name]:
            {
                var (actor, _) = Create(name);
                return $"path {actor.Path.ToStringWithAddress(node.Address)}";
            }
            case ["reset", var name]:
            {
                var (actor, _) = Named(name);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                await actor.Ask<BenchSubscriber.Reset>(BenchSubscriber.Reset.Instance, AskTimeout);
                return "ok";
            }
            case ["wait", var name, var count, var timeoutMs]:
            {
                var (_, tally) = Named(name);
                var expected = long.Parse(count, Inv);
                var deadline = Environment.TickCount64 + long.Parse(timeoutMs, Inv);
                while (tally.Count < expected)
                {
                    if (Environment.TickCount64 > deadline) return $"timeout {tally.Count}";
                    stdinClosed.ThrowIfCancellationRequested();
                    Thread.Sleep(1);
                }
                // Anything beyond the expected count would be a duplicate delivery: wait a moment to see it.
                Thread.Sleep(5);
                return $"done {tally.Count} {tally.LastNs}";
            }
            case ["stats", var name]:
            {
                var (actor, _) = Named(name);
                var s = await actor.Ask<SubscriberStats>(BenchSubscriber.Snapshot.Instance, AskTimeout);
                return FormattableString.Invariant(
                    $"stats {s.Count} {s.LastNs} {s.Latency.P50Us:R} {s.Latency.P99Us:R} {s.Latency.P999Us:R} {s.Latency.MaxUs:R}");
            }
            default:
                throw new ArgumentException($"unknown command '{string.Join(' ', words)}'");
        }
    }

    private static void Reply(string line)
    {
        Console.Out.WriteLine(ReplyMark + line);
        Console.Out.Flush();
    }

    /// <summary>Parses a <c>stats</c> reply.</summary>
    public static SubscriberStats ParseStats(string reply)
    {
        var w = reply.Split(' ');
        if (w.Length != 7 || w[0] != "stats") throw new NodeBException($"node B answered '{reply}' to stats");
        double D(int i) => double.Parse(w[i], Inv);
        var count = long.Parse(w[1], Inv);
        return new SubscriberStats(count, long.Parse(w[2], Inv), new LatencyStats(count, D(3), D(4), D(5), D(6)));
    }
}
