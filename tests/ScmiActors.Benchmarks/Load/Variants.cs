using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Akka.Actor;
using ScmiActors.Hosting;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Benchmarks.Load;

/// <summary>
/// What a producer posts into. <see cref="TryPost"/> is called by the producer that owns the
/// stream's (platform, protocol): true when accepted, false when the queue is full (the producer
/// retries: the runs measure delivered throughput).
/// </summary>
public abstract class Poster
{
    public abstract string Name { get; }
    public abstract bool TryPost(int stream);
}

/// <summary>One way of moving raw notifications to the subscribers, set up from a load case's topology.</summary>
public abstract class Variant : Poster
{
    public abstract Task SetupAsync(Topology topology, ActorSystem system, LoadOptions options);
    public virtual Task TeardownAsync() => Task.CompletedTask;

    /// <summary>Setup measurements (start-up time, memory) for the human table.</summary>
    public Dictionary<string, string> SetupInfo { get; } = new();
}

/// <summary>ScmiActors itself: handles on in-memory transports, a firmware that accepts every NOTIFY, producers on PlatformEnd.Send.</summary>
public sealed class ScmiVariant : Variant
{
    private InMemoryTransport.PlatformEnd[] _streamEnd = [];
    private uint[] _header = [];
    private byte[][] _payload = [];

    public override string Name => "scmi";

    public override async Task SetupAsync(Topology topology, ActorSystem system, LoadOptions options)
    {
        var scmi = ScmiNotifications.Get(system);
        var platforms = topology.PlatformIds.Length;
        var transports = new InMemoryTransport[platforms];
        var handles = new IActorRef[platforms];

        var before = Memory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, platforms).Select(async p =>
            {
                await gate.WaitAsync();
                try
                {
                    var transport = InMemoryTransport.Create();
                    var end = transport.Platform;
                    end.OnCommand((header, _) => end.Respond(header, ScmiStatus.Success));
                    transports[p] = transport;
                    handles[p] = await scmi.StartPlatformAsync(topology.PlatformIds[p], transport.Agent, topology.Descriptions[p],
                        timeout: TimeSpan.FromSeconds(60));
                    // Ready = the handle answers GetStats in state Ready (gate open, protocols registered).
                    while ((await handles[p].Ask<PlatformStats>(new GetStats(topology.PlatformIds[p]), TimeSpan.FromSeconds(60))).State
                           != PlatformState.Ready)
                        await Task.Delay(1);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        var startSeconds = clock.Elapsed.TotalSeconds;
        var afterPlatforms = Memory();
        var rssPlatforms = ResidentMb();

        var subscribers = topology.SubscriberTags.Select((tag, i) => system.ActorOf(LoadSubscriber.Props(tag), $"scmi-sub-{i}")).ToArray();
        var afterSubscribers = Memory();

        clock.Restart();
        using (var gate = new SemaphoreSlim(256))
        {
            await Task.WhenAll(topology.Subscriptions.Select(async s =>
            {
                await gate.WaitAsync();
                try
                {
                    var selector = s.Source is { } id ? SourceSelector.Id(id) : SourceSelector.All;
                    var answer = await handles[s.Platform].Ask<object>(
                        new Subscribe(topology.PlatformIds[s.Platform], s.Protocol, s.Event, selector, subscribers[s.Subscriber]),
                        TimeSpan.FromSeconds(60));
                    if (answer is not SubscriptionActive)
                        throw new InvalidOperationException($"subscription {s} answered {answer}");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        var subscribeSeconds = clock.Elapsed.TotalSeconds;
        var afterSubscriptions = Memory();
        var rssSubscriptions = ResidentMb();

        SetupInfo["platforms"] = platforms.ToString();
        SetupInfo["subscriptions"] = topology.Subscriptions.Count.ToString();
        SetupInfo["start_platforms_s"] = startSeconds.ToString("F3");
        SetupInfo["subscribe_s"] = subscribeSeconds.ToString("F3");
        if (platforms >= 100) SetupInfo["bytes_per_platform"] = ((afterPlatforms - before) / platforms).ToString(); // GC noise below that
        if (topology.Subscriptions.Count >= 100)
            SetupInfo["bytes_per_subscription"] = ((afterSubscriptions - afterSubscribers) / topology.Subscriptions.Count).ToString();
        // The whole process after a full collection (runtime, Akka, the baselines' setup if they ran first).
        SetupInfo["rss_platforms_mb"] = rssPlatforms.ToString("F0");
        SetupInfo["rss_subscribed_mb"] = rssSubscriptions.ToString("F0");

        // Which dispatcher the first protocol actor runs on (experiments move it with akka.actor.deployment).
        try
        {
            var protocolActor = await system.ActorSelection($"/user/scmi/platform-{topology.PlatformIds[0]}-i1/protocol-*")
                .ResolveOne(TimeSpan.FromSeconds(5));
            if (protocolActor is ActorRefWithCell { Underlying: ActorCell cell }) SetupInfo["protocol_dispatcher"] = cell.Dispatcher.Id;
        }
        catch (ActorNotFoundException)
        {
            SetupInfo["protocol_dispatcher"] = "?";
        }

        _streamEnd = topology.Streams.Select(s => transports[s.Platform].Platform).ToArray();
        _header = topology.Streams.Select(s => s.Raw.Header).ToArray();
        _payload = topology.Streams.Select(s => s.Raw.Payload).ToArray();
    }

    /// <summary>This process's resident set (VmRSS) in MiB; NaN where /proc is not there.</summary>
    public static double ResidentMb() => ProcStatusKb("VmRSS:") / 1024.0;

    /// <summary>This process's peak resident set (VmHWM) in MiB.</summary>
    public static double PeakResidentMb() => ProcStatusKb("VmHWM:") / 1024.0;

    private static double ProcStatusKb(string field)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    public static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    public override bool TryPost(int stream) => _streamEnd[stream].Send(_header[stream], _payload[stream]) switch
    {
        IngestResult.Queued => true,
        IngestResult.DroppedQueueFull => false,
        IngestResult.DroppedRateLimited => false, // the storm guard (flood-limited): a drop like a full queue
        var other => throw new InvalidOperationException($"gate answered {other}"),
    };
}

/// <summary>One raw message in a baseline queue: header, ingest stamp and the payload copied inline (as the ring copies it).</summary>
public struct RawMessage
{
    public uint Header;
    public int Length;
    public long TimestampNs;
    public Inline64 Payload;

    public RawMessage(uint header, ReadOnlySpan<byte> payload, long timestampNs)
    {
        Header = header;
        Length = payload.Length;
        TimestampNs = timestampNs;
        payload.CopyTo(Payload);
    }

    [InlineArray(64)]
    public struct Inline64
    {
        private byte _first;
    }
}

/// <summary>
/// The hand-written baseline: per (platform, protocol) a bounded Channel (same capacity in
/// entries as the ring's byte budget gives; TryWrite false = drop newest, like the gate) and one
/// reader task that decodes with PlatformDecoder and delivers from a routing table — to the same
/// subscriber actor type (Tell), or, for reference, to plain delegates.
/// </summary>
public sealed class ChannelsVariant(bool delegates) : Variant
{
    private ChannelWriter<RawMessage>[] _streamWriter = [];
    private uint[] _header = [];
    private byte[][] _payload = [];
    private readonly List<Task> _readers = new();
    private readonly List<ChannelWriter<RawMessage>> _writers = new();

    public override string Name => delegates ? "delegates" : "channels";

    public override Task SetupAsync(Topology topology, ActorSystem system, LoadOptions options)
    {
        var decoders = topology.Descriptions.Select(d => new PlatformDecoder(d, ProtocolCatalogs.Default)).ToArray();
        IActorRef[] actors = delegates ? [] : topology.SubscriberTags.Select((tag, i) => system.ActorOf(LoadSubscriber.Props(tag), $"{Name}-sub-{i}")).ToArray();
        var targets = delegates ? topology.SubscriberTags.Select(tag => new DelegateSubscriber(tag)).ToArray() : [];

        var writers = new ChannelWriter<RawMessage>[topology.Queues.Length];
        for (var q = 0; q < topology.Queues.Length; q++)
        {
            var (platform, protocol) = topology.Queues[q];
            var channel = Channel.CreateBounded<RawMessage>(new BoundedChannelOptions(topology.QueueEntries(q, options.QueueBytesFor(protocol)))
            {
                FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, nothing waits
                SingleReader = true,
                SingleWriter = true,
                AllowSynchronousContinuations = false,
            });
            writers[q] = channel.Writer;
            _writers.Add(channel.Writer);
            var decoder = decoders[platform];
            _readers.Add(delegates
                ? Task.Run(() => ReadLoop(channel.Reader, decoder, new BaselineRoute<Action<ScmiReport>>(topology, platform, protocol, i => targets[i].On)))
                : Task.Run(() => ReadLoop(channel.Reader, decoder, new BaselineRoute<IActorRef>(topology, platform, protocol, i => actors[i]))));
        }
        _streamWriter = topology.StreamQueue.Select(q => writers[q]).ToArray();
        _header = topology.Streams.Select(s => s.Raw.Header).ToArray();
        _payload = topology.Streams.Select(s => s.Raw.Payload).ToArray();
        return Task.CompletedTask;
    }

    public override bool TryPost(int stream) =>
        _streamWriter[stream].TryWrite(new RawMessage(_header[stream], _payload[stream], ScmiClock.NowNs()));

    private static async Task ReadLoop(ChannelReader<RawMessage> reader, PlatformDecoder decoder, BaselineRoute<IActorRef> route)
    {
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
            while (reader.TryRead(out var message))
                Deliver(ref message, decoder, route);
    }

    private static void Deliver(ref RawMessage message, PlatformDecoder decoder, BaselineRoute<IActorRef> route)
    {
        var result = decoder.Decode(message.Header, MemoryMarshal.CreateReadOnlySpan(ref message.Payload[0], message.Length), message.TimestampNs);
        if (!result.IsSuccess) return;
        var report = result.Report!;
        foreach (var s in route.All(report.Event)) s.Tell(report, ActorRefs.NoSender);
        if (route.BySource(report.Event).TryGetValue(report.Source, out var subscribers))
            foreach (var s in subscribers) s.Tell(report, ActorRefs.NoSender);
    }

    private static async Task ReadLoop(ChannelReader<RawMessage> reader, PlatformDecoder decoder, BaselineRoute<Action<ScmiReport>> route)
    {
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
            while (reader.TryRead(out var message))
                Deliver(ref message, decoder, route);
    }

    private static void Deliver(ref RawMessage message, PlatformDecoder decoder, BaselineRoute<Action<ScmiReport>> route)
    {
        var result = decoder.Decode(message.Header, MemoryMarshal.CreateReadOnlySpan(ref message.Payload[0], message.Length), message.TimestampNs);
        if (!result.IsSuccess) return;
        var report = result.Report!;
        foreach (var s in route.All(report.Event)) s(report);
        if (route.BySource(report.Event).TryGetValue(report.Source, out var subscribers))
            foreach (var s in subscribers) s(report);
    }

    public override async Task TeardownAsync()
    {
        foreach (var w in _writers) w.TryComplete();
        await Task.WhenAll(_readers).WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>A raw notification as an Akka message (the floor allocates one per event; the payload array is shared, read-only).</summary>
public sealed class RawNotification(uint header, byte[] payload, long timestampNs)
{
    public uint Header { get; } = header;
    public byte[] Payload { get; } = payload;
    public long TimestampNs { get; } = timestampNs;
}

/// <summary>
/// The bare Akka floor, two hops: the producer tells a decode actor per (platform, protocol) the raw
/// message; it decodes and tells the subscriber actors from the same routing table. No ring, no
/// wake-up protocol: a window of in-flight messages (the ring's capacity) stands in for the queue bound.
/// </summary>
public sealed class AkkaFloorVariant : Variant
{
    private IActorRef[] _streamActor = [];
    private Gauge[] _streamGauge = [];
    private int[] _window = [];
    private uint[] _header = [];
    private byte[][] _payload = [];

    public override string Name => "akka2hop";

    public override Task SetupAsync(Topology topology, ActorSystem system, LoadOptions options)
    {
        var decoders = topology.Descriptions.Select(d => new PlatformDecoder(d, ProtocolCatalogs.Default)).ToArray();
        var subscribers = topology.SubscriberTags.Select((tag, i) => system.ActorOf(LoadSubscriber.Props(tag), $"akka2hop-sub-{i}")).ToArray();
        var actors = new IActorRef[topology.Queues.Length];
        var gauges = new Gauge[topology.Queues.Length];
        var windows = new int[topology.Queues.Length];
        for (var q = 0; q < topology.Queues.Length; q++)
        {
            var (platform, protocol) = topology.Queues[q];
            var route = new BaselineRoute<IActorRef>(topology, platform, protocol, i => subscribers[i]);
            var gauge = gauges[q] = new Gauge();
            var decoder = decoders[platform];
            actors[q] = system.ActorOf(Props.Create(() => new DecodeActor(decoder, route, gauge)), $"akka2hop-decode-{q}");
            windows[q] = topology.QueueEntries(q, options.QueueBytesFor(protocol));
        }
        _streamActor = topology.StreamQueue.Select(q => actors[q]).ToArray();
        _streamGauge = topology.StreamQueue.Select(q => gauges[q]).ToArray();
        _window = topology.StreamQueue.Select(q => windows[q]).ToArray();
        _header = topology.Streams.Select(s => s.Raw.Header).ToArray();
        _payload = topology.Streams.Select(s => s.Raw.Payload).ToArray();
        return Task.CompletedTask;
    }

    public override bool TryPost(int stream)
    {
        var gauge = _streamGauge[stream];
        if (gauge.Sent - Volatile.Read(ref gauge.Processed) >= _window[stream]) return false;
        gauge.Sent++;
        _streamActor[stream].Tell(new RawNotification(_header[stream], _payload[stream], ScmiClock.NowNs()), ActorRefs.NoSender);
        return true;
    }

    [StructLayout(LayoutKind.Explicit, Size = 192)]
    public sealed class Gauge
    {
        [FieldOffset(64)] public long Sent;       // the producer's
        [FieldOffset(128)] public long Processed; // the decode actor's
    }

    private sealed class DecodeActor(PlatformDecoder decoder, BaselineRoute<IActorRef> route, Gauge gauge) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is not RawNotification raw) return;
            var result = decoder.Decode(raw.Header, raw.Payload, raw.TimestampNs);
            Volatile.Write(ref gauge.Processed, gauge.Processed + 1);
            if (!result.IsSuccess) return;
            var report = result.Report!;
            foreach (var s in route.All(report.Event)) s.Tell(report, ActorRefs.NoSender);
            if (route.BySource(report.Event).TryGetValue(report.Source, out var subscribers))
                foreach (var s in subscribers) s.Tell(report, ActorRefs.NoSender);
        }
    }
}
