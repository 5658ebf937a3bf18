using Akka.Actor;
using Akka.Configuration;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// Platform lifecycle through the public API on the local registry: start completes when the
/// handle is ready or fails with the reason; stop completes when the handle is gone; a start while
/// the same id stops waits for it; restarts of one platform never touch another.
/// </summary>
public sealed class LifecycleSpec(ITestOutputHelper output)
    : CoreSpec(output, ConfigurationFactory.ParseString("scmi.start-timeout = 2s"))
{
    [Fact]
    public async Task A_start_right_after_an_awaited_stop_succeeds_with_a_new_handle_of_its_own_name()
    {
        var first = await StartPlatformAsync();
        var complete = await Scmi.StopPlatformAsync(first.Id);
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);

        var second = await StartPlatformAsync(first.Id);
        Assert.NotEqual(first.Handle, second.Handle);
        Assert.Equal("platform-soc0-i1", first.Handle.Path.Name);
        Assert.Equal("platform-soc0-i2", second.Handle.Path.Name);
        // Ready means ready: the gate is open the moment the start completes.
        Assert.Equal(IngestResult.Queued, PostPerfLevel(second, 0, 1));
        Assert.Equal(PlatformState.Ready, Stats(second).State);
    }

    [Fact]
    public async Task A_stop_completes_only_once_the_handle_has_terminated()
    {
        var p = await StartPlatformAsync();
        Watch(p.Handle);
        await Scmi.StopPlatformAsync(p.Id);
        // The handle is gone already: its Terminated is on its way or here, not minutes away.
        ExpectTerminated(p.Handle);
        Scmi.Handles.Tell(new GetStats(p.Id), TestActor);
        ExpectMsg<PlatformNotFound>();
    }

    [Fact]
    public async Task A_start_while_the_same_id_is_stopping_waits_for_the_stop_and_then_starts()
    {
        var first = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(first, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        // A stop whose disable is never answered: it takes the command timeout (500 ms) at least.
        first.Firmware.Answer = c => c.Notify.Enable ? ScmiStatus.Success : null;

        var stopping = Scmi.StopPlatformAsync(first.Id);
        var transport = InMemoryTransport.Create();
        _ = new FakeFirmware(transport.Platform);
        var starting = Scmi.StartPlatformAsync(first.Id, transport.Agent, TestPlatforms.Soc0());
        Assert.False(starting.IsCompleted);

        var complete = await stopping;
        var handle = await starting;
        Assert.Equal(PlatformState.Stopped, complete.FinalStats.State);
        Assert.Equal("platform-soc0-i2", handle.Path.Name);
        subscriber.ExpectMsg<PlatformStopped>();
        // The old incarnation disabled what it had enabled before the new one started.
        Assert.Equal([(1u, true), (1u, false)], PerfLevelNotifies(first));
    }

    [Fact]
    public async Task A_second_start_of_a_running_id_is_refused_and_the_running_handle_is_untouched()
    {
        var p = await StartPlatformAsync();
        var transport = InMemoryTransport.Create();
        var refused = await Assert.ThrowsAsync<PlatformStartException>(() =>
            Scmi.StartPlatformAsync(p.Id, transport.Agent, TestPlatforms.Soc0()));
        Assert.Equal("already started", refused.Reason);
        Assert.Equal(PlatformState.Ready, Stats(p).State);
        Assert.Equal(IngestResult.Queued, PostPerfLevel(p, 0, 1));
    }

    [Fact]
    public async Task Start_fails_with_the_reason_when_the_transport_does_not_connect()
    {
        var transport = InMemoryTransport.Create(connected: Task.FromException(new IOException("no doorbell")));
        var failed = await Assert.ThrowsAsync<PlatformStartException>(() =>
            Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0()));
        Assert.Equal("soc0", failed.PlatformId);
        Assert.Contains("transport did not connect", failed.Reason);
        Assert.Contains("no doorbell", failed.Reason);
    }

    [Fact]
    public async Task Start_fails_with_the_reason_when_discovery_fails()
    {
        var transport = InMemoryTransport.Create();
        _ = new FakeFirmware(transport.Platform) { Answer = c => c.Header.MessageId == ScmiCommands.Common.ProtocolVersion ? ScmiStatus.Denied : ScmiStatus.Success };
        var failed = await Assert.ThrowsAsync<PlatformStartException>(() =>
            Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0(), new PlatformOptions(Discover: true)));
        Assert.Contains("discovery", failed.Reason);
        Assert.Contains("DENIED", failed.Reason);
    }

    [Fact]
    public async Task Start_fails_when_the_handle_is_not_ready_within_the_start_timeout_and_the_id_can_start_again_after_a_stop()
    {
        var never = new TaskCompletionSource();
        var transport = InMemoryTransport.Create(connected: never.Task);
        var failed = await Assert.ThrowsAsync<PlatformStartException>(() =>
            Scmi.StartPlatformAsync("soc0", transport.Agent, TestPlatforms.Soc0()));
        Assert.Contains("not ready within 2 s", failed.Reason);

        // Failed for good, explicitly: requests are answered with the reason, not kept.
        Scmi.Handles.Tell(new Subscribe("soc0", Perf, PerfLevel, SourceSelector.All, TestActor), TestActor);
        var refused = Assert.IsType<SubscriptionFailure.PlatformUnavailable>(ExpectMsg<SubscriptionFailed>().Reason);
        Assert.Contains("not ready within", refused.Detail);

        await Scmi.StopPlatformAsync("soc0");
        var again = await StartPlatformAsync();
        Assert.Equal(PlatformState.Ready, Stats(again).State);
    }

    [Fact]
    public async Task Stopping_a_platform_that_is_not_started_says_so()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Scmi.StopPlatformAsync("nowhere"));
        Assert.Contains("not started", error.Message);
    }

    [Fact]
    public async Task A_restart_storm_of_one_platform_leaves_the_other_platform_untouched()
    {
        var storm = new RestartStorm(Scmi, Scmi.Handles, Sys);
        await storm.RunAsync([
            StormStop.AwaitedStop, StormStop.StopRacingStart, StormStop.PoisonPill,
            StormStop.StopRacingStart, StormStop.PoisonPill, StormStop.AwaitedStop,
        ]);
        // The registry never restarted: the original handles' parent is still there and answers.
        Assert.Equal(Scmi.Registry, await Sys.ActorSelection("/user/scmi").ResolveOne(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Several_starts_queued_behind_a_stop_let_the_first_start_and_refuse_the_rest()
    {
        var first = await StartPlatformAsync();
        var subscriber = CreateTestProbe();
        SubscribeActive(first, Perf, PerfLevel, SourceSelector.Id(1), subscriber);
        var stopping = Scmi.StopPlatformAsync(first.Id);
        var starts = Enumerable.Range(0, 3).Select(_ =>
        {
            var transport = InMemoryTransport.Create();
            GC.KeepAlive(new FakeFirmware(transport.Platform));
            return Scmi.StartPlatformAsync(first.Id, transport.Agent, TestPlatforms.Soc0());
        }).ToList();
        await stopping;
        var outcomes = await Task.WhenAll(starts.Select(async s =>
        {
            try
            {
                await s;
                return "started";
            }
            catch (PlatformStartException e)
            {
                return e.Reason;
            }
        }));
        Assert.Single(outcomes, o => o == "started");
        Assert.Equal(2, outcomes.Count(o => o == "already started"));
    }
}
