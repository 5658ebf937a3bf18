using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Configuration;
using ScmiActors.Cli;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>scmi-actors platform</c> as a real child process on a real SMT link (a temporary area file and
/// socket), with the agent's handle in this test's ActorSystem: discovery and subscriptions cross the
/// process boundary, the process ends when its agent goes, and its summary adds up. Every child is
/// killed by its own id when its test ends.
/// </summary>
public sealed class PlatformProcessTests : ScmiTestKit
{
    // Commands cross a process boundary on a machine other tests load: more than the kit's 500 ms.
    private static readonly Config Extra = ConfigurationFactory.ParseString("scmi.command-timeout = 5s");

    private static readonly TimeSpan Bound = PlatformProcess.Bound;

    private readonly ITestOutputHelper _log;

    public PlatformProcessTests(ITestOutputHelper output) : base(output, Extra) => _log = output;

    /// <summary>What the agent is configured with: perf alone. Everything else the handle must learn over the link.</summary>
    private static PlatformDescription Configured() => new("soc0", "smt",
        ImmutableSortedDictionary<byte, PlatformProtocol>.Empty.Add(ScmiProtocolId.Perf,
            PlatformProtocol.Create(ScmiProtocolId.Perf, new ProtocolVersion(1, 0), 1)));

    [Fact]
    public async Task A_handle_discovers_and_subscribes_over_the_link_and_the_platform_exits_0_with_a_summary_that_adds_up_when_the_agent_goes()
    {
        // A storm under SCP-firmware's rule (no wait for a busy slot; the plain emulator waits 200 us) makes the
        // P2A slot busy often, so the summary's lost-at-slot count is exercised.
        using var platform = await PlatformProcess.StartAsync("--fault", "storm", "--profile", "scp");
        try
        {
            var agent = platform.Agent();
            var handle = await Scmi.StartPlatformAsync("soc0", agent, Configured(), new PlatformOptions(Discover: true), Bound);

            // Discovery crossed the link: the handle registered what the embedded soc0 implements, not only perf.
            handle.Tell(new GetStats("soc0"), TestActor);
            var stats = ExpectMsg<PlatformStats>();
            Assert.Equal(PlatformState.Ready, stats.State);
            var registered = stats.Protocols.Where(p => p.Registered).Select(p => p.Protocol).ToList();
            Assert.Contains(ScmiProtocolId.Sensor, registered);
            Assert.Contains(ScmiProtocolId.Powercap, registered);

            var probe = CreateTestProbe();
            handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe.Ref), TestActor);
            // The answer goes to the sender: reports may reach the probe before it (sources are enabled one by one).
            ExpectMsg<SubscriptionActive>(Bound);
            var report = probe.ExpectMsg<PerfLevelChanged>(Bound);
            Assert.Equal("soc0", report.PlatformId);
            // Past the first storm (one per second), so that the slot was busy at least once.
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            var final = await Scmi.StopPlatformAsync("soc0", Bound);
            Assert.True(final.FinalStats.AddsUp);
            var agentStats = agent.Stats;
            agent.Dispose();

            platform.Cli.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, platform.Cli.ExitCode);
            Assert.Contains("stopped: the agent is gone (end of file)", platform.Cli.Output);
            var summary = PlatformProcess.Summary(platform.Cli.Output);
            Assert.Equal(summary.Tried, summary.Sent + summary.LostAtSlot + summary.TooLarge);
            Assert.True(summary.Sent > 0, "nothing was sent");
            Assert.True(summary.LostAtSlot > 0, "a storm never found the P2A slot busy");
            // Every notification the agent copied out was one the platform wrote (a late one may have met a closed link).
            Assert.InRange(agentStats.NotificationsReceived, 1, summary.Sent);
            Assert.Contains($"Commands: {agentStats.CommandsSent} received, {agentStats.CommandsSent} answered", platform.Cli.Output);
            // The platform owns both files and removes them.
            Assert.False(File.Exists(platform.AreaPath));
            Assert.False(File.Exists(platform.SocketPath));
        }
        finally
        {
            _log.WriteLine(platform.Cli.Output);
            _log.WriteLine(platform.Cli.Error);
        }
    }

    /// <summary>
    /// The platform process dies without a word (SIGKILL): the agent's end sees end of file, the handle
    /// reports the platform lost (its subscriber is told SubscriptionPending, nothing hangs), and when the
    /// platform is started again on the same link the handle reconnects, discovers it again and re-enables
    /// the source: the subscriber is told SubscriptionActive and gets reports without subscribing again.
    /// </summary>
    [Fact]
    public async Task A_platform_process_killed_with_SIGKILL_is_reported_lost_and_its_restart_brings_the_subscription_back()
    {
        using var platform = await PlatformProcess.StartAsync();
        try
        {
            using var agent = platform.Agent();
            var handle = await Scmi.StartPlatformAsync("soc0", agent, Configured(), new PlatformOptions(Discover: true), Bound);
            var probe = CreateTestProbe();
            handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe.Ref), TestActor);
            // The answer goes to the sender: reports may reach the probe before it (sources are enabled one by one).
            var id = ExpectMsg<SubscriptionActive>(Bound).Id;
            probe.ExpectMsg<PerfLevelChanged>(Bound);

            platform.Cli.Signal(SIGKILL);
            platform.Cli.WaitForExit(Bound);
            Assert.Equal(128 + SIGKILL, platform.Cli.ExitCode);

            var closed = await agent.Disconnected.WaitAsync(Bound);
            Assert.Equal(SmtCloseReason.PeerClosed, closed.Reason);
            // Reports already on their way may arrive first; then the subscriber is told its subscription waits.
            probe.FishForMessage(m => m is SubscriptionPending p && p.Id == id, Bound);
            handle.Tell(new GetStats("soc0"), TestActor);
            Assert.Equal(PlatformState.Reconnecting, ExpectMsg<PlatformStats>(Bound).State);

            await platform.RestartAsync();
            probe.FishForMessage(m => m is SubscriptionActive a && a.Id == id, Bound);
            probe.FishForMessage(m => m is PerfLevelChanged, Bound);
            await Scmi.StopPlatformAsync("soc0", Bound);
        }
        finally
        {
            _log.WriteLine(platform.Cli.Output);
            _log.WriteLine(platform.Cli.Error);
        }
    }

    private const int SIGKILL = 9;

    public static TheoryData<string[], int, string> BadInputs() => new()
    {
        { ["--config", "/nonexistent-dir/platforms.conf"], ExitCodes.ConfigError, "cannot read" },
        { ["--fault", "sometimes"], ExitCodes.Usage, "unknown fault mode 'sometimes'" },
        { ["--platform-id", "soc9"], ExitCodes.Usage, "no platform 'soc9'" },
        { ["--rate", "0"], ExitCodes.Usage, "--rate" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_one_line_and_a_non_zero_exit_code(string[] args, int exitCode, string reason)
    {
        using var directory = new Transports.SmtTempDirectory();
        var (code, output, error) = CliProcess.Run(Bound, ["platform", "--link", Path.Combine(directory.Path, "p0"), .. args]);
        Assert.Equal(exitCode, code);
        Assert.Equal(string.Empty, output);
        AssertOneLineError(error, reason);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path)); // refused before any file was made
    }

    [Fact]
    public void A_link_whose_directory_does_not_exist_is_one_line_and_exit_2()
    {
        var link = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N")[..8], "p0");
        var (code, output, error) = CliProcess.Run(Bound, "platform", "--link", link);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        AssertOneLineError(error, "--link", "does not exist");
    }

    [Fact]
    public async Task A_link_already_in_use_is_one_line_and_exit_2_and_the_first_platform_keeps_its_files()
    {
        using var first = await PlatformProcess.StartAsync();
        var (code, output, error) = CliProcess.Run(Bound, "platform", "--link", first.Link);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        AssertOneLineError(error, "--link", "already exists");
        Assert.True(File.Exists(first.AreaPath));
        Assert.True(File.Exists(first.SocketPath));
    }

    [Fact]
    public async Task SIGTERM_while_waiting_for_an_agent_exits_promptly_with_its_summary_and_removes_its_files()
    {
        using var platform = await PlatformProcess.StartAsync();
        var clock = Stopwatch.StartNew();
        platform.Cli.Signal(CliProcess.SIGTERM);
        platform.Cli.WaitForExit(Bound);
        _log.WriteLine($"exited {clock.ElapsedMilliseconds} ms after SIGTERM");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to exit");
        Assert.Equal(ExitCodes.Terminated, platform.Cli.ExitCode);
        Assert.Contains("stopped: interrupted by SIGTERM; no agent was linked.", platform.Cli.Output);
        Assert.Equal(new NotificationSummary(0, 0, 0, 0, 0), PlatformProcess.Summary(platform.Cli.Output));
        Assert.False(File.Exists(platform.AreaPath));
        Assert.False(File.Exists(platform.SocketPath));
    }

    [Fact]
    public async Task Duration_ends_a_platform_that_no_agent_joined_with_exit_0()
    {
        using var platform = await PlatformProcess.StartAsync("--duration", "500ms");
        platform.Cli.WaitForExit(Bound);
        Assert.Equal(ExitCodes.Ok, platform.Cli.ExitCode);
        Assert.Contains("stopped: --duration 500 ms reached; no agent was linked.", platform.Cli.Output);
        Assert.False(File.Exists(platform.AreaPath));
    }

    private static void AssertOneLineError(string error, params string[] expected)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on standard error, got:\n{error}");
        Assert.StartsWith("scmi-actors: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
        foreach (var text in expected) Assert.Contains(text, lines[0]);
    }
}
