using Akka.TestKit;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

public sealed class SmokeSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    [Fact]
    public async Task Subscriber_receives_a_decoded_report_after_the_platform_enabled_it()
    {
        var p = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(p, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, SourceSelector.Id(2), subscriber);

        var enable = Assert.Single(p.Firmware.NotifyCommands(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel));
        Assert.Equal((2u, true), enable.Notify);

        Assert.Equal(IngestResult.Queued, p.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(2, 1200, 1)));
        var report = subscriber.ExpectMsg<PerfLevelChanged>();
        Assert.Equal((2u, 1200u, 1u), (report.DomainId, report.PerformanceLevel, report.AgentId));

        var stopped = await Scmi.StopPlatformAsync(p.Id);
        subscriber.ExpectMsg<PlatformStopped>();
        Assert.True(stopped.FinalStats.AddsUp);
        Assert.Equal(1, stopped.FinalStats.For(ScmiProtocolId.Perf)!.Delivered);
        Assert.Equal((2u, false), p.Firmware.NotifyCommands(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel).Last().Notify);
    }
}
