using System.Diagnostics;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;

namespace ScmiActors.Tests.Transports;

/// <summary>
/// Both ends of a real SMT link in one process: an area file and a doorbell socket in a fresh
/// temporary directory, removed on dispose whether the test passed or not.
/// </summary>
internal sealed class SmtTestLink : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private SmtTestLink(SmtTempDirectory directory, SmtPlatformEnd platform, SmtAgentTransport agent, RecordingReceiver receiver)
    {
        Directory = directory;
        Platform = platform;
        Agent = agent;
        Receiver = receiver;
    }

    public SmtTempDirectory Directory { get; }
    /// <summary>The current platform end: <see cref="CreatePlatformAgain"/> replaces it, as a restarted platform process would.</summary>
    public SmtPlatformEnd Platform { get; private set; }
    public SmtAgentTransport Agent { get; }
    public RecordingReceiver Receiver { get; }

    /// <summary>
    /// Creates the platform, connects the agent and attaches a <see cref="RecordingReceiver"/>. The slot
    /// timeout is long by default so that a loaded machine never reclaims a slot a test is about to answer.
    /// </summary>
    public static async Task<SmtTestLink> StartAsync(SmtPlatformOptions? platformOptions = null, TimeSpan? slotTimeout = null,
        int queueCapacity = 16, IScmiReceiver? receiver = null)
    {
        var directory = new SmtTempDirectory();
        SmtPlatformEnd? platform = null;
        SmtAgentTransport? agent = null;
        try
        {
            platform = SmtPlatformEnd.Create(directory.AreaPath, directory.SocketPath, platformOptions);
            agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath)
            {
                SlotTimeout = slotTimeout ?? Bound,
                CommandQueueCapacity = queueCapacity,
            });
            using var cts = new CancellationTokenSource(Bound);
            var accepted = platform.AcceptAsync(cts.Token);
            await agent.ConnectAsync(cts.Token).WaitAsync(Bound);
            await accepted.WaitAsync(Bound);
            var recording = new RecordingReceiver();
            agent.Attach(receiver ?? recording);
            return new SmtTestLink(directory, platform, agent, recording);
        }
        catch
        {
            agent?.Dispose();
            platform?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The platform process restarted: a new platform end on the same area and socket paths (the old one
    /// must be disposed first: it removes its files). The agent is not connected to it yet.
    /// </summary>
    public SmtPlatformEnd CreatePlatformAgain(SmtPlatformOptions? options = null)
    {
        Platform = SmtPlatformEnd.Create(Directory.AreaPath, Directory.SocketPath, options);
        return Platform;
    }

    /// <summary>Connects the same agent to the current platform end and waits until the platform accepted it.</summary>
    public async Task ConnectAgainAsync()
    {
        using var cts = new CancellationTokenSource(Bound);
        var accepted = Platform.AcceptAsync(cts.Token);
        try
        {
            await Agent.ConnectAsync(cts.Token).WaitAsync(Bound);
            await accepted.WaitAsync(Bound);
        }
        finally
        {
            cts.Cancel(); // a failed connect leaves no accept polling behind
        }
    }

    public void Dispose()
    {
        Agent.Dispose();
        Platform.Dispose();
        Directory.Dispose();
    }
}

/// <summary>A fresh directory under the temp path for one test's area file and socket.</summary>
internal sealed class SmtTempDirectory : IDisposable
{
    // Short: a Unix socket path must fit in 108 bytes.
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "smt-" + Guid.NewGuid().ToString("N")[..12]);

    public SmtTempDirectory() => System.IO.Directory.CreateDirectory(Path);

    public string AreaPath => System.IO.Path.Combine(Path, "link.smt");
    public string SocketPath => System.IO.Path.Combine(Path, "link.sock");

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Path)) System.IO.Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Keeps a copy of every posted message, in order, and every loss reported; thread-safe.</summary>
internal sealed class RecordingReceiver : IScmiReceiver
{
    private readonly Lock _lock = new();
    private readonly List<(uint Header, byte[] Payload)> _messages = [];
    private readonly List<(string Reason, int PostsBefore)> _losses = [];

    /// <summary>Runs inside Post on the transport's receive thread, before the message is recorded (a slow ISR, for tests).</summary>
    public Action? BeforeRecord { get; set; }

    public int Count
    {
        get { lock (_lock) return _messages.Count; }
    }

    public IReadOnlyList<(uint Header, byte[] Payload)> Messages
    {
        get { lock (_lock) return _messages.ToList(); }
    }

    /// <summary>Each TransportLost: its reason and how many messages had been posted before it.</summary>
    public IReadOnlyList<(string Reason, int PostsBefore)> Losses
    {
        get { lock (_lock) return _losses.ToList(); }
    }

    public int LossCount
    {
        get { lock (_lock) return _losses.Count; }
    }

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs) => Post(header, payload);

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
    {
        BeforeRecord?.Invoke();
        var copy = payload.ToArray();
        lock (_lock) _messages.Add((header, copy));
        return IngestResult.Queued;
    }

    public void TransportLost(string reason)
    {
        lock (_lock) _losses.Add((reason, _messages.Count));
    }
}

/// <summary>Deadline-bounded waiting for a condition another thread makes true.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)((within ?? SmtTestLink.Bound).TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"not within {within ?? SmtTestLink.Bound}: {what}");
            await Task.Delay(1);
        }
    }
}
