using ScmiActors.Emulator;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.MainJob;

/// <summary>The README's "use it in your node" example, as written there, so the front door stays true.</summary>
public sealed class ReadmeExampleSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    [Fact]
    public async Task The_readme_example_delivers_an_emulated_perf_level_change_to_a_probe()
    {
        var description = TestPlatforms.Soc0();
        var scmi = ScmiNotifications.Get(Sys);
        var transport = InMemoryTransport.Create();
        await using var emulator = new EmulatedPlatform(transport.Platform, description);
        var handles = await scmi.StartPlatformAsync("soc0", transport.Agent, description,
            new PlatformOptions(Discover: true));

        var probe = CreateTestProbe();
        handles.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, probe.Ref), probe.Ref);
        probe.ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(10));
        emulator.EmitOnce(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0);
        var report = probe.ExpectMsg<PerfLevelChanged>();

        Assert.Equal(0u, report.DomainId);
        Assert.Equal("soc0", report.PlatformId);
    }
}
