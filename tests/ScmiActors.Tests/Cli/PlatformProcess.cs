using System.Text.RegularExpressions;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport.Smt;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>scmi-actors platform --link DIR/p0</c> as a child process, in a fresh temporary directory: it
/// is waiting for an agent once <see cref="StartAsync"/> returns. Dispose kills the child by its own id
/// (pass or fail) and removes the directory, with whatever a killed platform left in it.
/// </summary>
internal sealed partial class PlatformProcess : IDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public const string WaitingLine = "waiting for an agent on";

    private readonly SmtTempDirectory _directory;

    private PlatformProcess(SmtTempDirectory directory, CliProcess cli)
    {
        _directory = directory;
        Cli = cli;
    }

    public CliProcess Cli { get; private set; }

    public string Link => Path.Combine(_directory.Path, "p0");

    public string AreaPath => Link + ".smt";

    public string SocketPath => Link + ".sock";

    /// <summary>Starts the platform with <paramref name="extraArgs"/> after <c>platform --link</c>, and waits until it listens.</summary>
    public static async Task<PlatformProcess> StartAsync(params string[] extraArgs)
    {
        var directory = new SmtTempDirectory();
        CliProcess? cli = null;
        try
        {
            cli = CliProcess.Start(["platform", "--link", Path.Combine(directory.Path, "p0"), .. extraArgs]);
            if (!await cli.WaitForOutputAsync(WaitingLine, Bound))
                throw new InvalidOperationException($"the platform process never listened; output:\n{cli.Output}\n{cli.Error}");
            return new PlatformProcess(directory, cli);
        }
        catch
        {
            cli?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the platform again on the same link after the last one died (a firmware reset): removes what a
    /// killed process left behind, as an operator would, and waits until the new one listens.
    /// </summary>
    public async Task RestartAsync(params string[] extraArgs)
    {
        if (!Cli.Process.HasExited) throw new InvalidOperationException("the platform process is still running");
        Cli.Dispose();
        File.Delete(AreaPath);
        File.Delete(SocketPath);
        Cli = CliProcess.Start(["platform", "--link", Link, .. extraArgs]);
        if (!await Cli.WaitForOutputAsync(WaitingLine, Bound))
            throw new InvalidOperationException($"the restarted platform process never listened; output:\n{Cli.Output}\n{Cli.Error}");
    }

    /// <summary>
    /// An agent transport for this link (not connected: the handle connects it). The slot timeout is long:
    /// on a loaded machine the other process may answer late, and a reclaimed slot would fail discovery.
    /// </summary>
    public SmtAgentTransport Agent() =>
        new(new SmtAgentOptions(AreaPath, SocketPath) { SlotTimeout = TimeSpan.FromSeconds(5) });

    /// <summary>The numbers of the summary's "Notifications:" line.</summary>
    public static NotificationSummary Summary(string output)
    {
        var m = SummaryLine().Match(output);
        if (!m.Success) throw new InvalidOperationException($"no summary line in:\n{output}");
        long At(int group) => long.Parse(m.Groups[group].Value);
        return new NotificationSummary(At(1), At(2), At(3), At(4), At(5));
    }

    [GeneratedRegex(@"Notifications: (\d+) tried = (\d+) sent \+ (\d+) lost at the busy P2A slot \+ (\d+) too large for a slot; (\d+) posted with no agent linked")]
    private static partial Regex SummaryLine();

    public void Dispose()
    {
        Cli.Dispose();
        _directory.Dispose();
    }
}

internal readonly record struct NotificationSummary(long Tried, long Sent, long LostAtSlot, long TooLarge, long WithoutAgent);
