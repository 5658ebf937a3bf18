using ScmiActors.Emulator.Replay;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport.Smt;

namespace ScmiActors.Tests.Replay;

/// <summary>
/// The peers' firmware transcripts (read-only test data): <c>../shared/peers</c> beside the repository
/// (found by walking up to ScmiActors.sln, wherever CI cloned it), else <c>/work/shared/peers</c>.
/// </summary>
internal static class Peers
{
    private static readonly Lazy<string> LazyDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "ScmiActors.sln"))) continue;
            var beside = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "peers"));
            if (Directory.Exists(beside)) return beside;
            break;
        }
        const string fallback = "/work/shared/peers";
        return Directory.Exists(fallback) ? fallback : throw new InvalidOperationException($"no shared/peers beside the repository and no {fallback}");
    });

    public static string ScpScenarioA => Path.Combine(LazyDirectory.Value, "scp-2.14", "scenario-a.jsonl");

    public static string ImxScenarioA => Path.Combine(LazyDirectory.Value, "imx-sm", "scenario-a.jsonl");

    public static string ImxPlatformConf => Path.Combine(LazyDirectory.Value, "imx-sm", "platform.conf");
}

/// <summary>
/// A replay platform and an agent transport on a real SMT link in a fresh temporary directory; the
/// platform already waits for the agent (the handle connects it). Everything is removed on dispose.
/// </summary>
internal sealed class ReplayLink : IAsyncDisposable
{
    private readonly CancellationTokenSource _accepting = new(SmtTestLink.Bound);

    public ReplayLink(ReplayScript script, ReplayOptions? options = null)
    {
        Directory = new SmtTempDirectory();
        try
        {
            Host = SmtReplayHost.Create(Directory.AreaPath, Directory.SocketPath, script, options);
            // A short refusal wait: the player starts when the platform links the agent, and a stall timeout of
            // 100 ms must not play into a connect still watching for a refusal, before the test attaches.
            Agent = new SmtAgentTransport(new SmtAgentOptions(Directory.AreaPath, Directory.SocketPath)
            {
                SlotTimeout = SmtTestLink.Bound,
                RefusalWait = TimeSpan.FromMilliseconds(10),
            });
            Accepted = Host.AcceptAsync(_accepting.Token);
        }
        catch
        {
            Directory.Dispose();
            throw;
        }
    }

    public SmtTempDirectory Directory { get; }
    public SmtReplayHost Host { get; }
    public SmtAgentTransport Agent { get; }
    public Task Accepted { get; }

    public async ValueTask DisposeAsync()
    {
        Agent.Dispose();
        await Host.DisposeAsync();
        try
        {
            await Accepted;
        }
        catch (Exception)
        {
            // A test that failed before the agent came: the accept was cancelled or the link disposed.
        }
        _accepting.Dispose();
        Directory.Dispose();
    }
}
