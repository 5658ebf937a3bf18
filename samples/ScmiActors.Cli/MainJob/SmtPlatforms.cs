using System.Globalization;
using System.Text.Json;
using ScmiActors.Cli.Platform;
using ScmiActors.Emulator;
using ScmiActors.Transport;
using ScmiActors.Transport.Recording;
using ScmiActors.Transport.Smt;

namespace ScmiActors.Cli.MainJob;

/// <summary>A command-line mistake found only once the configuration is read (a --connect link that is not there): exit 2.</summary>
public sealed class MainJobUsageException(string message) : Exception(message);

/// <summary>
/// The main job's platforms across a process boundary: one platform process (a child it starts, or one
/// started elsewhere with --connect) serving every platform on its own SMT link, and one counting agent
/// transport per platform. At the end the links are closed (the child sees EOF and exits), the child is
/// waited for (and killed by its own id when it lingers), and its per-platform counts are read back.
/// </summary>
internal sealed class SmtPlatforms : IDisposable
{
    /// <summary>
    /// The agent's slot timeout. The default 30 ms suits firmware; a process on a loaded 2-core machine
    /// may answer later (and --fault slow-responses takes up to 300 ms), and a reclaimed slot would fail
    /// discovery. Below the handle's 2 s command timeout, so that a lost response frees the slot for the next.
    /// </summary>
    private static readonly TimeSpan SlotTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Commands that may wait for the one A2P slot. The default 16 suits a driver that waits for each; the
    /// handle enables (and at the stop disables) every source of every subscriber at once, 60 and more.
    /// </summary>
    private const int CommandQueue = 1024;

    /// <summary>How long the child may take to exit once its links are closed: it stops its emulators and writes its stats.</summary>
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(20);

    private readonly string _link;
    private readonly string? _directory;
    private readonly Dictionary<string, CountingAgentTransport> _transports = [];
    private PlatformChild? _child;
    private TimeSpan? _diedAt;

    private SmtPlatforms(string link, string? directory)
    {
        _link = link;
        _directory = directory;
        // A second signal or the stop deadline ends the process with Environment.Exit, past every dispose:
        // the child is still ended by its id and the directory removed.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private string? StatsFile => _directory is null ? null : Path.Combine(_directory, "platforms.jsonl");

    public int? ChildId => _child?.Id;

    /// <summary>Links in a fresh temporary directory, for a child started by <see cref="StartChild"/>.</summary>
    public static SmtPlatforms ForChild()
    {
        // Short: a Unix socket path holds 107 bytes, and 200 platforms' ids make the longest names here.
        var directory = Directory.CreateTempSubdirectory("scmi-").FullName;
        return new SmtPlatforms(Path.Combine(directory, "p"), directory);
    }

    /// <summary>The links of a platform process started elsewhere (<c>platform --link PATH --platforms N</c>); every one must be there.</summary>
    public static SmtPlatforms Connect(string link, IEnumerable<string> ids)
    {
        string full;
        try
        {
            full = Path.GetFullPath(link);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new MainJobUsageException($"--connect: '{link}' is not a usable path");
        }
        foreach (var id in ids)
        {
            var prefix = PlatformRunner.LinkOf(full, id);
            if (!File.Exists(PlatformRunner.SocketPath(prefix)) || !File.Exists(PlatformRunner.AreaPath(prefix)))
                throw new MainJobUsageException(
                    $"--connect: no link for platform {id} at {prefix}{PlatformRunner.SocketSuffix} and {PlatformRunner.AreaSuffix} (start `scmi-actors platform --link {link} --platforms N` first)");
        }
        return new SmtPlatforms(full, null);
    }

    /// <summary>Starts this executable as <c>platform --platforms N</c> on this object's links, with the main job's scenario.</summary>
    public void StartChild(MainJobOptions options, int platforms, TimeSpan shutdownAfter, TimeSpan bound)
    {
        static string Ms(TimeSpan t) => ((long)Math.Max(10, Math.Ceiling(t.TotalMilliseconds))).ToString(CultureInfo.InvariantCulture) + "ms";
        List<string> args = ["--link", _link, "--platforms", platforms.ToString(CultureInfo.InvariantCulture),
            "--rate", options.Rate.ToString("R", CultureInfo.InvariantCulture), "--shutdown-after", Ms(shutdownAfter),
            "--stats-file", StatsFile!, "--ignore-sigint"];
        if (options.ConfigFile is { } config) args.AddRange(["--config", Path.GetFullPath(config)]);
        foreach (var fault in MainJobCommand.FaultNamesOf(options.Faults)) args.AddRange(["--fault", fault]);
        if (options.Profile != "none") args.AddRange(["--profile", options.Profile]);
        // A bound of its own: a main job killed before its agents connected must not leave it waiting for good.
        if (bound <= MainJobCommand.MaxDuration) args.AddRange(["--duration", Ms(bound)]);
        _child = PlatformChild.Start(args);
    }

    /// <summary>Null once every platform listens (at once for --connect); otherwise why none will come up.</summary>
    public Task<string?> WaitReadyAsync(TimeSpan bound, CancellationToken cancellation) =>
        _child?.WaitReadyAsync(bound, cancellation) ?? Task.FromResult<string?>(null);

    /// <param name="record">Where this link's recording goes, under the counter (the file shows the link as it was); null: none.</param>
    public CountingAgentTransport TransportFor(string platformId, string? record = null)
    {
        var prefix = PlatformRunner.LinkOf(_link, platformId);
        IScmiTransport link = new SmtAgentTransport(
            new SmtAgentOptions(PlatformRunner.AreaPath(prefix), PlatformRunner.SocketPath(prefix)) { SlotTimeout = SlotTimeout, CommandQueueCapacity = CommandQueue });
        if (record is not null) link = RecordingTransport.Wrap(link, record);
        var transport = new CountingAgentTransport(link);
        _transports.Add(platformId, transport);
        return transport;
    }

    /// <summary>One line when the child has just been seen dead during the run (its platforms are lost; the handles reconnect); else null.</summary>
    public string? CheckDied(TimeSpan elapsed)
    {
        if (_child is not { HasExited: true } || _diedAt is not null) return null;
        _diedAt = elapsed;
        return $"The platform process {_child.Id} ended during the run ({_child.ExitDescription()}): its platforms are lost; the handles reconnect.";
    }

    /// <summary>
    /// Closes every link (the platform sees EOF), waits for the child (bounded; killed by its id if it
    /// lingers) and reads its per-platform counts. Returns them by platform id, and a line for the summary.
    /// </summary>
    public async Task<(Dictionary<string, LinkOutcome> Links, string Note)> FinishAsync()
    {
        var diedBefore = _child is { HasExited: true };
        foreach (var transport in _transports.Values) transport.Dispose();
        if (_child is null)
        {
            var unknown = "started elsewhere (--connect): its counts are in its own summary";
            return (_transports.Keys.ToDictionary(id => id, _ => new LinkOutcome(null, unknown)),
                $"Platform process at {_link}-ID (--connect): its side is not counted here; losses at its busy P2A slot are in its own summary.");
        }
        var exited = await _child.WaitForExitAsync(ExitBound);
        string? why = null;
        IReadOnlyList<PlatformSideStats> stats = [];
        if (!exited) why = $"it did not exit within {MainJobRunner.Format(ExitBound)} after its links closed and was killed";
        else
        {
            try
            {
                stats = PlatformSideStats.ReadFile(StatsFile!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                why = diedBefore ? $"it ended during the run ({_child.ExitDescription()}) and left no counts" : $"its counts could not be read: {e.Message.ReplaceLineEndings(" ")}";
            }
        }
        var byId = stats.ToDictionary(s => s.Platform);
        var links = _transports.Keys.ToDictionary(id => id, id => byId.TryGetValue(id, out var s)
            ? new LinkOutcome(s, null)
            : new LinkOutcome(null, why ?? "the platform process did not report it"));
        var note = diedBefore
            ? $"Platform process {_child.Id}: ENDED DURING THE RUN ({_child.ExitDescription()}{(_diedAt is { } at ? $", seen at {at.TotalSeconds:F1} s" : "")}): " +
              "every platform was lost and its handle was reconnecting; its side is unknown, the accounting covers the agent's side."
            : why is null
                ? $"Platform process {_child.Id}: {_transports.Count} platform(s) in one process over SMT links; {_child.ExitDescription()} once its agents left."
                : $"Platform process {_child.Id}: {why}; its side is unknown, the accounting covers the agent's side.";
        return (links, note);
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var transport in _transports.Values) transport.Dispose();
        _child?.Dispose(); // killed by its own id if it is still there (an exception, a second signal's exit excepted)
        if (_directory is null) return;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A killed child's files; the temporary directory is the system's to clean then.
        }
    }
}
