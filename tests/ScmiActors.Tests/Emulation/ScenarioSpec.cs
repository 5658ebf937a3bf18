using ScmiActors.Emulator;
using ScmiActors.Hosting;
using ScmiActors.Platform;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>Scenarios from HOCON, and emulators built from the shipped platform descriptions.</summary>
public sealed class ScenarioSpec
{
    [Fact]
    public void A_scenario_loads_from_hocon_and_keeps_defaults_for_what_it_omits()
    {
        var scenario = EmulatorScenario.Parse("""
            scmi.emulator {
              seed = 7
              tick = 5ms
              agents = 3
              rates { perf-level = 100, sensor-update = 0.5 }
              sensor { min = -40000, trip-points = [0, 50000] }
              powercap { measurement-thresholds = [2000, 4000] }
              shutdown-after = 2s
              shutdown-timeout = 500ms
              faults = [malformed, keep-sending-after-stop, SlowResponses]
              fault-probability = 0.05
              storm { every = 250ms, burst = 10000 }
              slow-responses { min = 10ms, max = 20ms }
            }
            """);
        Assert.Equal(7, scenario.Seed);
        Assert.Equal(TimeSpan.FromMilliseconds(5), scenario.TickInterval);
        Assert.Equal(3, scenario.Agents);
        Assert.Equal(100, scenario.PerfLevelPerSecond);
        Assert.Equal(0.5, scenario.SensorUpdatePerSecond);
        Assert.Equal(EmulatorScenario.Default.PowerStatePerSecond, scenario.PowerStatePerSecond);
        Assert.Equal(-40_000, scenario.TemperatureMin);
        Assert.Equal(new long[] { 0, 50_000 }, scenario.TripPoints);
        Assert.Equal((2_000u, 4_000u), scenario.MeasurementThresholds);
        Assert.Equal(TimeSpan.FromSeconds(2), scenario.ShutdownAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(500), scenario.ShutdownTimeout);
        Assert.Equal(EmulatorFault.Malformed | EmulatorFault.KeepSendingAfterStop | EmulatorFault.SlowResponses, scenario.Faults);
        Assert.Equal(0.05, scenario.FaultProbability);
        Assert.Equal((TimeSpan.FromMilliseconds(250), 10_000), (scenario.StormEvery, scenario.StormBurst));
        Assert.Equal((TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)), (scenario.SlowResponseMin, scenario.SlowResponseMax));
    }

    [Fact]
    public void Shutdown_can_be_switched_off_and_a_missing_section_is_the_default()
    {
        Assert.Null(EmulatorScenario.Parse("scmi.emulator { shutdown-after = off }").ShutdownAfter);
        Assert.Same(EmulatorScenario.Default, EmulatorScenario.Parse("something.else = 1"));
        Assert.Equal(3, EmulatorScenario.Parse("x.y { seed = 3 }", "x.y").Seed);
    }

    [Theory]
    [InlineData("scmi.emulator { faults = [sometimes] }")]
    [InlineData("scmi.emulator { tick = 0s }")]
    [InlineData("scmi.emulator { fault-probability = 2 }")]
    [InlineData("scmi.emulator { perf { min-level = 500, max-level = 100 } }")]
    [InlineData("scmi.emulator { slow-responses { min = 300ms, max = 50ms } }")]
    [InlineData("scmi.emulator { agent-id = 5, agents = 2 }")]
    [InlineData("scmi.emulator = 5")]
    [InlineData("scmi.emulator { sede = 4 }")]
    [InlineData("scmi.emulator { rates { perf-levle = 4 } }")]
    [InlineData("scmi.emulator { seed = abc }")]
    [InlineData("scmi.emulator { storm { burst = [1] } }")]
    public void Inconsistent_scenarios_are_rejected_with_a_reason(string hocon)
    {
        var error = Assert.Throws<ArgumentException>(() => EmulatorScenario.Parse(hocon));
        Assert.StartsWith("emulator scenario:", error.Message);
    }

    [Fact]
    public void The_constructor_validates_the_scenario()
    {
        Assert.Throws<ArgumentException>(() => new RawPlatform(EmulatorScenario.Default with { ItemsPerResponse = 0 }));
    }

    [Theory]
    [InlineData("soc0")]
    [InlineData("imx95")]
    public void Every_shipped_platform_description_can_be_emulated(string platformId)
    {
        using var stream = typeof(ScmiNotifications).Assembly.GetManifestResourceStream("ScmiActors.platforms.conf")!;
        var description = PlatformDescriptionLoader.Parse(new StreamReader(stream).ReadToEnd(), platformId);
        var p = new RawPlatform(EmulatorScenario.Default, description);
        var listed = description.Protocols.Keys.Where(k => k != ScmiProtocolId.Base).ToArray();
        Assert.Equal((uint)listed.Length | 2u << 8, p.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolAttributes).Word(0));

        var discovered = new List<byte>();
        while (true)
        {
            var page = p.Command(ScmiProtocolId.Base, ScmiCommands.Base.DiscoverListProtocols, (uint)discovered.Count);
            var count = (int)page.Word(0);
            if (count == 0) break;
            discovered.AddRange(page.Values.Skip(4).Take(count));
        }
        Assert.Equal(listed, discovered);

        foreach (var (id, protocol) in description.Protocols)
            Assert.Equal(RawPlatform.Words(protocol.Version.Raw), p.Command(id, 0x0).Values);
        p.EnableEverything();
        Assert.True(p.Emulator.Step(3_100) > 0);
        Assert.Equal(description.Find(ScmiProtocolId.System) is not null, p.Emulator.ShutdownRequested);
    }

    [Fact]
    public async Task The_platform_end_constructor_takes_over_the_command_path_until_disposed()
    {
        var transport = InMemoryTransport.Create();
        var emulator = new EmulatedPlatform(transport.Platform, EmulatorPlatforms.Emu());
        transport.Agent.SendCommand(ScmiHeader.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion, 1), []);
        var stats = emulator.GetStats();
        Assert.Equal(1, stats.CommandsReceived);
        Assert.Equal(1, stats.ResponsesUndelivered); // no handle attached: the answer has nowhere to go

        await emulator.DisposeAsync();
        Assert.Throws<InvalidOperationException>(() => transport.Agent.SendCommand(ScmiHeader.Command(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion, 2), []));
        Assert.Throws<ObjectDisposedException>(emulator.Start);
    }
}
