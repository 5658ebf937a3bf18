using System.Collections.Immutable;
using Akka.Configuration;
using ScmiActors.Cli;
using ScmiActors.Messages;
using ScmiActors.Tests.Cli;
using ScmiActors.Tests.Support;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Replay;

/// <summary>
/// <c>scmi-actors platform --replay</c> as a child process: a handle in this process discovers the SCP
/// transcript's platform across the process boundary and receives a recorded notification; the process
/// ends with its agent and its summary says every command had a recorded answer. The child is killed by
/// its own id when the test ends.
/// </summary>
public sealed class ReplayProcessTests : ScmiTestKit
{
    private static readonly TimeSpan Bound = PlatformProcess.Bound;

    private readonly ITestOutputHelper _log;

    public ReplayProcessTests(ITestOutputHelper output) : base(output, ConfigurationFactory.ParseString("scmi.command-timeout = 5s")) => _log = output;

    [Fact]
    public async Task A_handle_discovers_the_replayed_SCP_platform_across_processes_and_gets_its_level_change()
    {
        using var platform = await PlatformProcess.StartAsync("--replay", Peers.ScpScenarioA);
        try
        {
            using var agent = platform.Agent();
            var configured = new PlatformDescription("scp", "shmem", ImmutableSortedDictionary<byte, PlatformProtocol>.Empty);
            var handle = await Scmi.StartPlatformAsync("scp", agent, configured, new PlatformOptions(Discover: true), Bound);
            var probe = CreateTestProbe();
            handle.Tell(new Subscribe("scp", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(0), probe.Ref), TestActor);
            ExpectMsg<SubscriptionActive>(Bound);
            // Line 73 waits for the NOTIFY_LIMITS enable (line 69), which this agent never sends: the replay
            // gives it up after 2 s without commands, by which time the route is long installed.
            var level = probe.ExpectMsg<PerfLevelChanged>(Bound);
            Assert.Equal((1u, 0u, 998000u), (level.AgentId, level.DomainId, level.PerformanceLevel));

            await Scmi.StopPlatformAsync("scp", Bound);
            agent.Dispose();
            platform.Cli.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, platform.Cli.ExitCode);
            Assert.Contains("stopped after", platform.Cli.Output);
            // Discovery (33), the enable and the stop's disable: all answered from the recording.
            Assert.Contains("Commands: 35 received = 35 answered from the recording + 0 unmatched (NOT_SUPPORTED).", platform.Cli.Output);
            Assert.False(File.Exists(platform.AreaPath));
        }
        finally
        {
            _log.WriteLine(platform.Cli.Output);
            _log.WriteLine(platform.Cli.Error);
        }
    }
}
