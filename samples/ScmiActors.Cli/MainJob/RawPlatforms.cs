using System.Globalization;
using ScmiActors.Transport;
using ScmiActors.Transport.Raw;
using ScmiActors.Transport.Recording;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The main job's platforms on a real board: one SCMI instance of Linux raw mode each
/// (<c>/sys/kernel/debug/scmi/&lt;N&gt;</c>), reached through a <see cref="RawModeTransport"/> behind a
/// <see cref="CountingAgentTransport"/>. The main job only listens there: it discovers, subscribes and
/// counts, and sends no command that changes the board's state. The kernel's raw queues overwrite their
/// oldest entry when full and count nothing, so the platform side of the accounting is unknown by design.
/// </summary>
internal sealed class RawPlatforms : IDisposable
{
    /// <summary>What the summary says instead of the platform's counts.</summary>
    public const string UnknownSide =
        "Linux raw mode: the kernel overwrites its oldest unread notification when its queue is full and counts nothing, so losses before the agent read are undetectable";

    private readonly List<(string Id, string Path, CountingAgentTransport? Transport, RawModeTransport? Raw, string? Failure)> _platforms = [];

    private RawPlatforms()
    {
    }

    /// <summary>
    /// Opens every instance. A path that does not exist or does not end in an instance number is a usage
    /// error (<see cref="MainJobUsageException"/>) before anything starts; an instance that is there but
    /// cannot be used (a missing raw file, no permission) becomes that platform's start failure.
    /// </summary>
    public static RawPlatforms Open(IEnumerable<(string Id, string Path)> instances, RawModeOptions? options, string option,
        Action<RawModeTransport>? created = null, Func<string, string?>? recordFor = null)
    {
        var platforms = new RawPlatforms();
        try
        {
            foreach (var (id, path) in instances)
            {
                var (root, number) = Split(path, option);
                try
                {
                    var raw = new RawModeTransport(RawModeInstance.Open(number, root), options);
                    IScmiTransport link = recordFor?.Invoke(id) is { } record ? RecordingTransport.Wrap(raw, record) : raw;
                    platforms._platforms.Add((id, path, new CountingAgentTransport(link), raw, null));
                    created?.Invoke(raw);
                }
                catch (Exception e) when (e is RawModeException or IOException or UnauthorizedAccessException)
                {
                    platforms._platforms.Add((id, path, null, null, e.Message.ReplaceLineEndings(" ")));
                }
            }
            return platforms;
        }
        catch
        {
            platforms.Dispose();
            throw;
        }
    }

    /// <summary>The platform id <c>--raw PATH</c> gets: <c>raw</c> and the instance number (raw0).</summary>
    public static string IdOf(string path) => "raw" + Split(path, "--raw").Number.ToString(CultureInfo.InvariantCulture);

    private static (string Root, int Number) Split(string path, string option)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(full))
            throw new MainJobUsageException($"{option}: {path} does not exist (an SCMI raw-mode instance such as /sys/kernel/debug/scmi/0 " +
                                            "needs debugfs mounted, a kernel with CONFIG_ARM_SCMI_RAW_MODE_SUPPORT, and root)");
        if (!int.TryParse(Path.GetFileName(full), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            throw new MainJobUsageException($"{option}: {path} is not an SCMI instance directory (its name must be the instance number, as in /sys/kernel/debug/scmi/0)");
        return (Path.GetDirectoryName(full)!, number);
    }

    public CountingAgentTransport? TransportFor(string id) => _platforms.Single(p => p.Id == id).Transport;

    public string? FailureOf(string id) => _platforms.Single(p => p.Id == id).Failure;

    /// <summary>One line per instance: where it is and the transport's own counters (late replies, truncations, read errors).</summary>
    public IEnumerable<string> Describe() => _platforms.Select(p => p.Raw is { } raw
        ? $"Raw mode {p.Id} at {p.Path} (max message {raw.Instance.Limits.MaxMsgSize} B, queue of {raw.Instance.Limits.RxMaxMsg}): {raw.Stats}"
        : $"Raw mode {p.Id} at {p.Path}: not opened: {p.Failure}");

    public void Dispose()
    {
        foreach (var p in _platforms) p.Transport?.Dispose();
    }
}
