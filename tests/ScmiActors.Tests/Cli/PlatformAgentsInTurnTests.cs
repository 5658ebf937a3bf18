using ScmiActors.Cli;
using ScmiActors.Cli.Platform;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>platform --agents-in-turn</c> as a child process: agents on the same link one after the other, a
/// second concurrent agent refused, and the process ending only on a signal. The child is killed by its
/// own id when the test ends.
/// </summary>
public sealed class PlatformAgentsInTurnTests
{
    private static readonly TimeSpan Bound = PlatformProcess.Bound;

    /// <summary>BASE PROTOCOL_VERSION through the agent; returns its status once answered.</summary>
    private static async Task<int> AskVersionAsync(SmtAgentTransport agent, RecordingReceiver receiver, ushort token)
    {
        var header = ScmiHeader.Command(ScmiProtocolId.Base, 0, token);
        agent.SendCommand(header, []);
        await Eventually.TrueAsync(() => receiver.Messages.Any(m => m.Header == header), "the answer to PROTOCOL_VERSION", Bound);
        return BitConverter.ToInt32(receiver.Messages.First(m => m.Header == header).Payload, 0);
    }

    private static async Task<RecordingReceiver> ConnectAsync(SmtAgentTransport agent)
    {
        await agent.ConnectAsync(CancellationToken.None).WaitAsync(Bound);
        var receiver = new RecordingReceiver();
        agent.Attach(receiver);
        return receiver;
    }

    [Fact]
    public async Task Agents_take_turns_on_one_platform_process_a_concurrent_one_is_refused_and_only_a_signal_ends_it()
    {
        using var platform = await PlatformProcess.StartAsync("--agents-in-turn");

        using (var first = platform.Agent())
        {
            var received = await ConnectAsync(first);
            Assert.Equal(0, await AskVersionAsync(first, received, 1));
            using var concurrent = platform.Agent();
            var error = await Assert.ThrowsAsync<SmtAgentRefusedException>(() => concurrent.ConnectAsync(CancellationToken.None).WaitAsync(Bound));
            Assert.Contains("already serves an agent", error.Message);
            Assert.Equal(0, await AskVersionAsync(first, received, 2)); // the first agent still served
        }
        Assert.True(await platform.Cli.WaitForOutputAsync(PlatformRunner.NextAgentLine, Bound), platform.Cli.Output);
        Assert.False(platform.Cli.Process.HasExited);

        using (var second = platform.Agent())
        {
            var received = await ConnectAsync(second);
            Assert.Equal(0, await AskVersionAsync(second, received, 1));
        }
        Assert.True(await platform.Cli.WaitForOutputAsync("(agent 2)", Bound), platform.Cli.Output);

        platform.Cli.Signal(CliProcess.SIGTERM);
        platform.Cli.WaitForExit(Bound);
        Assert.Equal(ExitCodes.Terminated, platform.Cli.ExitCode);
        Assert.Contains("Agents: 2 linked in turn, 1 refused while one was linked.", platform.Cli.Output);
        Assert.Contains("stopped: interrupted by SIGTERM", platform.Cli.Output);
        var summary = PlatformProcess.Summary(platform.Cli.Output);
        Assert.Equal(summary.Tried, summary.Sent + summary.LostAtSlot + summary.TooLarge);
        Assert.False(File.Exists(platform.AreaPath));
        Assert.False(File.Exists(platform.SocketPath));
    }
}
