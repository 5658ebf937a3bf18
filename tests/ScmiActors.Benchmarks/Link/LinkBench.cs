using System.Diagnostics;
using HdrHistogram;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Benchmarks.Link;

/// <summary>
/// <c>link [--commands N] [--seconds S]</c>: the shared-memory link's own figures, beside the in-memory
/// channel's in the same run: a command's round trip (send, the platform answers on its doorbell
/// thread, the response posted to the receiver) sequentially, as p50/p99/max; and how many
/// notifications per second one P2A slot carries when the platform sends the next one as soon as the
/// slot is free again (one message per doorbell round trip), without and with the completion doorbell.
/// Both ends run in this process over a real area file and socket, as two processes would.
/// </summary>
public static class LinkBench
{
    private const byte Perf = ScmiProtocolId.Perf;

    public static async Task<int> RunAsync(string[] args)
    {
        var commands = 20_000;
        var seconds = 3.0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--commands" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
                    commands = n;
                    i++;
                    break;
                case "--seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"link: unknown or malformed option '{args[i]}'; usage: link [--commands N] [--seconds S]");
                    return 2;
            }
        }

        Console.WriteLine($"# link benchmark: {commands} sequential commands, {seconds:0.#} s of notifications per case ({Environment.ProcessorCount} cores)");
        Console.WriteLine("| channel | command round trip p50 | p99 | max | notifications/s one slot carries | lost |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        PrintRow("in-memory (baseline)", InMemoryRoundTrips(commands), InMemoryRate(seconds));
        PrintRow("SMT, flags 0 (SCP style)", await SmtRoundTripsAsync(commands), await SmtRateAsync(seconds, flags: 0));
        PrintRow("SMT, flags 1 (i.MX style: completion doorbell)", null, await SmtRateAsync(seconds, flags: 1));
        return 0;
    }

    private static void PrintRow(string name, LongHistogram? roundTrips, (double PerSecond, long Lost) rate)
    {
        static string Us(long ticks) => $"{ticks * 1_000_000.0 / Stopwatch.Frequency:0.0} µs";
        var latency = roundTrips is null ? "| — | — | —"
            : $"| {Us(roundTrips.GetValueAtPercentile(50))} | {Us(roundTrips.GetValueAtPercentile(99))} | {Us(roundTrips.GetMaxValue())}";
        Console.WriteLine($"| {name} {latency} | {rate.PerSecond:N0} | {rate.Lost} |");
    }

    // ---- command round trips ---------------------------------------------------------------------

    private static LongHistogram InMemoryRoundTrips(int commands)
    {
        var transport = InMemoryTransport.Create();
        transport.Platform.OnCommand((header, _) => transport.Platform.Respond(header, ScmiStatus.Success));
        var receiver = new ResponseReceiver();
        transport.Agent.Attach(receiver);
        return Measure(commands, (header, payload) => transport.Agent.SendCommand(header, payload), receiver);
    }

    private static async Task<LongHistogram> SmtRoundTripsAsync(int commands)
    {
        using var link = await SmtBenchLink.StartAsync(new SmtPlatformOptions());
        link.Platform.OnCommand((header, _) => link.Platform.Respond(header, ScmiStatus.Success));
        var receiver = new ResponseReceiver();
        link.Agent.Attach(receiver);
        return Measure(commands, (header, payload) => link.Agent.SendCommand(header, payload), receiver);
    }

    private static LongHistogram Measure(int commands, Action<uint, byte[]> send, ResponseReceiver receiver)
    {
        var histogram = new LongHistogram(Stopwatch.Frequency, 3);
        var payload = new byte[4];
        var warmup = Math.Min(2_000, commands / 5);
        for (var i = 0; i < warmup + commands; i++)
        {
            var header = ScmiHeader.Command(Perf, ScmiCommands.Perf.LevelGet, (ushort)(i & ScmiHeader.MaxToken));
            receiver.Expect();
            var start = Stopwatch.GetTimestamp();
            send(header, payload);
            if (!receiver.Wait(TimeSpan.FromSeconds(5))) throw new TimeoutException($"no response to command {i}");
            if (i >= warmup) histogram.RecordValue(Stopwatch.GetTimestamp() - start);
        }
        return histogram;
    }

    /// <summary>Signals each response; the benchmark has one command in flight at a time.</summary>
    private sealed class ResponseReceiver : IScmiReceiver
    {
        private readonly ManualResetEventSlim _answered = new(false, spinCount: 2_000);

        public void Expect() => _answered.Reset();

        public bool Wait(TimeSpan timeout) => _answered.Wait(timeout);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
        {
            _answered.Set();
            return IngestResult.NotANotification;
        }
    }

    // ---- notification rate -----------------------------------------------------------------------

    private static (double, long) InMemoryRate(double seconds)
    {
        var transport = InMemoryTransport.Create();
        var receiver = new CountingReceiver();
        transport.Agent.Attach(receiver);
        var header = ScmiHeader.Notification(Perf, ScmiEvents.Perf.LevelChanged);
        var payload = new byte[12];
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed.TotalSeconds < seconds) transport.Platform.Send(header, payload);
        return (receiver.Count / stopwatch.Elapsed.TotalSeconds, 0);
    }

    /// <summary>
    /// The platform sends the next notification as soon as the P2A slot is free again (flags 0) or the
    /// agent rang the completion doorbell (flags 1), so the rate is what one slot carries, and the tries
    /// it refused (busy) are counted, not lost: a real firmware that does not wait would lose them.
    /// </summary>
    private static async Task<(double, long)> SmtRateAsync(double seconds, uint flags)
    {
        using var link = await SmtBenchLink.StartAsync(new SmtPlatformOptions { NotificationFlags = flags });
        var receiver = new CountingReceiver();
        link.Agent.Attach(receiver);
        var header = ScmiHeader.Notification(Perf, ScmiEvents.Perf.LevelChanged);
        var payload = new byte[12];
        var stopwatch = Stopwatch.StartNew();
        long sent = 0;
        while (stopwatch.Elapsed.TotalSeconds < seconds)
        {
            if (link.Platform.TrySendNotification(header, payload)) sent++;
            else Thread.SpinWait(20);
        }
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        // Every sent notification arrives; wait for the last one before reading the count.
        var deadline = Stopwatch.StartNew();
        while (receiver.Count < sent && deadline.Elapsed < TimeSpan.FromSeconds(5)) Thread.Yield();
        return (receiver.Count / elapsed, sent - receiver.Count);
    }

    private sealed class CountingReceiver : IScmiReceiver
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

        public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
        {
            Interlocked.Increment(ref _count);
            return IngestResult.Queued;
        }
    }

    /// <summary>Both ends of one link in a temporary directory, removed on dispose.</summary>
    private sealed class SmtBenchLink : IDisposable
    {
        private readonly string _directory;

        private SmtBenchLink(string directory, SmtPlatformEnd platform, SmtAgentTransport agent)
        {
            _directory = directory;
            Platform = platform;
            Agent = agent;
        }

        public SmtPlatformEnd Platform { get; }
        public SmtAgentTransport Agent { get; }

        public static async Task<SmtBenchLink> StartAsync(SmtPlatformOptions options)
        {
            // Short: a Unix socket path must fit in 108 bytes.
            var directory = Path.Combine(Path.GetTempPath(), "smtb-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(directory);
            var area = Path.Combine(directory, "link.smt");
            var socket = Path.Combine(directory, "link.sock");
            var platform = SmtPlatformEnd.Create(area, socket, options);
            var agent = new SmtAgentTransport(new SmtAgentOptions(area, socket) { SlotTimeout = TimeSpan.FromSeconds(5) });
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var accepted = platform.AcceptAsync(cts.Token);
            await agent.ConnectAsync(cts.Token);
            await accepted;
            return new SmtBenchLink(directory, platform, agent);
        }

        public void Dispose()
        {
            Agent.Dispose();
            Platform.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // the platform removed its files already; an empty directory left behind is harmless
            }
        }
    }
}
