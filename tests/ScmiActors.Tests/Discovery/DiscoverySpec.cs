using System.Collections.Immutable;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Discovery;

/// <summary>The handle learns the platform from the emulator over SCMI commands.</summary>
public sealed class DiscoverySpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    private static PlatformDescription Firmware() => TestPlatforms.Soc0() with
    {
        Protocols = TestPlatforms.Soc0().Protocols
            .SetItem(ScmiProtocolId.Sensor, TestPlatforms.Soc0().Protocols[ScmiProtocolId.Sensor] with
            {
                SensorAxes = ImmutableDictionary<uint, int>.Empty.Add(5, 3),
            })
            .SetItem(ScmiProtocolId.Perf, TestPlatforms.Soc0().Protocols[ScmiProtocolId.Perf] with
            {
                CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(1, [2]),
            })
            .Add(ImxBbm.ProtocolId, PlatformProtocol.Create(ImxBbm.ProtocolId, new ProtocolVersion(1, 0), 2))
            .Add(ImxMisc.ProtocolId, PlatformProtocol.Create(ImxMisc.ProtocolId, new ProtocolVersion(1, 1), 2) with
            {
                Counts = ImmutableDictionary<string, uint>.Empty.Add(ImxMisc.BoardControlsKey, 4),
            }),
    };

    /// <summary>What the agent is configured with: no protocol at all, only a queue budget for perf.</summary>
    private static PlatformDescription Configured() => new("soc0", "emulated",
        ImmutableSortedDictionary<byte, PlatformProtocol>.Empty.Add(ScmiProtocolId.Perf,
            PlatformProtocol.Create(ScmiProtocolId.Perf, new ProtocolVersion(1, 0), 1) with { QueueBytes = 8192 }));

    [Fact]
    public async Task Discovery_learns_protocols_versions_counts_axes_and_capabilities()
    {
        var transport = InMemoryTransport.Create();
        await using var emulator = new EmulatedPlatform(transport.Platform, Firmware(), EmulatorScenario.Default with { ShutdownAfter = null });
        var handle = await Scmi.StartPlatformAsync("soc0", transport.Agent, Configured(), new PlatformOptions(Discover: true));

        var platform = new TestPlatform("soc0", handle, transport, null!, Configured());
        // GetStats is answered while the handle initialises; discovery takes a few dozen commands.
        AwaitAssert(() => Assert.Equal(PlatformState.Ready, Stats(platform).State), TimeSpan.FromSeconds(10));
        var stats = Stats(platform);
        // Every protocol the firmware implements is registered, though the configuration named only perf.
        Assert.Equal(Firmware().Protocols.Keys.OrderBy(k => k), stats.Protocols.Where(p => p.Registered).Select(p => p.Protocol));

        // Counts and capabilities: perf has 4 domains, domain 2 cannot notify level changes.
        var probe = CreateTestProbe();
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(4), probe), TestActor);
        Assert.IsType<SubscriptionFailure.SourceOutOfRange>(ExpectMsg<SubscriptionFailed>().Reason);
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(2), probe), TestActor);
        Assert.IsType<SubscriptionFailure.NotSupportedByPlatform>(ExpectMsg<SubscriptionFailed>().Reason);
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(3), probe), TestActor);
        ExpectMsg<SubscriptionActive>();
        Assert.True(emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 3));

        // Axes: sensor 5 has 3 axes, so its SENSOR_UPDATE carries 3 readings.
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, SourceSelector.Id(5), probe), TestActor);
        ExpectMsg<SubscriptionActive>();
        Assert.NotNull(emulator.EmitOnce(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, 5));
        Assert.Equal(3, probe.FishForMessage<SensorUpdate>(_ => true).ReadingsCount);

        // Versions: system power v2 decodes 16-byte payloads (the emulator sends v2 notifications).
        handle.Tell(new Subscribe("soc0", ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, SourceSelector.All, probe), TestActor);
        ExpectMsg<SubscriptionActive>();
        Assert.NotNull(emulator.EmitOnce(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 0));
        probe.FishForMessage<SystemPowerStateNotifier>(_ => true);

        // i.MX counts from PROTOCOL_ATTRIBUTES in the firmware's layouts: BBM RTCs in bits 23:16 (2: sources
        // 0..5), MISC device controls in 15:0 and board controls in 31:24 (2 + 4: sources 0..5).
        handle.Tell(new Subscribe("soc0", ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(ImxBbm.RtcSource(1, ImxBbm.RtcKind.Updated)), probe), TestActor);
        ExpectMsg<SubscriptionActive>();
        handle.Tell(new Subscribe("soc0", ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(6), probe), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(6, 6), ExpectMsg<SubscriptionFailed>().Reason);
        handle.Tell(new Subscribe("soc0", ImxMisc.ProtocolId, ImxMisc.Events.Control, SourceSelector.Id(5), probe), TestActor);
        ExpectMsg<SubscriptionActive>();
        Assert.True(emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 5));
        handle.Tell(new Subscribe("soc0", ImxMisc.ProtocolId, ImxMisc.Events.Control, SourceSelector.Id(6), probe), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(6, 6), ExpectMsg<SubscriptionFailed>().Reason);

        var final = await Scmi.StopPlatformAsync("soc0");
        Assert.True(final.FinalStats.AddsUp);
        Assert.Equal(0, final.FinalStats.Protocols.Sum(p => p.Malformed));
    }

    [Fact]
    public async Task A_refused_discovery_step_fails_the_handle_with_the_command_named()
    {
        var transport = InMemoryTransport.Create();
        var firmware = new FakeFirmware(transport.Platform)
        {
            // The base protocol refuses its very first command.
            Answer = c => c.Header.MessageId == ScmiCommands.Common.ProtocolVersion ? ScmiStatus.Denied : ScmiStatus.Success,
        };
        // Not StartPlatformAsync: that throws the reason (LifecycleSpec); here the failed handle is probed.
        var handle = await Scmi.BeginStartPlatformAsync("soc0", transport.Agent, Configured(), new PlatformOptions(Discover: true));

        handle.Tell(new Subscribe("soc0", ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.All, TestActor), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>();
        var reason = Assert.IsType<SubscriptionFailure.PlatformUnavailable>(failed.Reason);
        Assert.Contains("BASE PROTOCOL_VERSION", reason.Detail);
        Assert.Contains("DENIED", reason.Detail);

        var stats = Stats(new TestPlatform("soc0", handle, transport, firmware, Configured()));
        Assert.Equal(PlatformState.Failed, stats.State);
        var commands = firmware.Commands.Count;
        handle.Tell(new RegisterProtocolEvents("soc0", new ProtocolEvents(Wire.Protocols.StandardProtocols.Perf, Configured().Protocols[ScmiProtocolId.Perf])), TestActor);
        ExpectMsg<ProtocolRegistrationFailed>();
        Assert.Equal(commands, firmware.Commands.Count); // no retry
    }
}
