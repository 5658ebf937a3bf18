using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator;
using ScmiActors.Transport;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.MainJob;

/// <summary>The main job end to end: embedded cluster node, emulated platforms, sample subscribers, ordered stop.</summary>
public sealed class MainJobSpec(ITestOutputHelper output)
{
    private async Task<MainJobResult> RunAsync(MainJobOptions options)
    {
        var text = new StringWriter();
        var result = await new MainJobRunner(options, text).RunAsync(CancellationToken.None);
        output.WriteLine(text.ToString());
        return result;
    }

    [Fact]
    public async Task Runs_on_the_embedded_default_and_the_accounting_adds_up()
    {
        var result = await RunAsync(new MainJobOptions(Platforms: 2, Duration: TimeSpan.FromSeconds(3)));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.Platforms.Count);
        Assert.All(result.Platforms, p =>
        {
            Assert.Empty(p.Mismatches);
            Assert.True(p.Dispatcher.AddsUp);
            Assert.True(p.Dispatcher.Protocols.Sum(x => x.Delivered) > 0, $"{p.PlatformId} delivered nothing");
        });
        Assert.All(result.Subscribers, s => Assert.True(s.PlatformStopped, $"{s.Name} was not told PlatformStopped"));
        Assert.Contains(result.Subscribers, s => s.Name.StartsWith("thermal", StringComparison.Ordinal) && s.Reports > 0);
        Assert.True(result.Latency.TotalCount > 0);
    }

    [Fact]
    public async Task A_storm_is_dropped_and_counted_and_the_accounting_still_adds_up()
    {
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromSeconds(3), Faults: EmulatorFault.Storm));

        Assert.Equal(0, result.ExitCode);
        var platform = Assert.Single(result.Platforms);
        Assert.True(platform.Dispatcher.Protocols.Sum(p => p.DroppedQueueFull) > 0, "a storm far above the queue budget dropped nothing");
        Assert.True(platform.Consistent, string.Join("; ", platform.Mismatches));
    }

    [Fact]
    public async Task With_the_storm_guard_the_storm_is_taken_at_the_rate_limit_and_reconciles_with_the_emulator()
    {
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromSeconds(3), Faults: EmulatorFault.Storm, RateLimit: 2000));

        Assert.Equal(0, result.ExitCode);
        var platform = Assert.Single(result.Platforms);
        var limited = platform.Dispatcher.Protocols.Sum(p => p.DroppedRateLimited);
        Assert.True(limited > 0, "a storm above the rate limit was not limited");
        // The emulator saw the same outcome for each of those posts (the reconciliation checks it too).
        Assert.Equal(limited, platform.Emulator.Count(IngestResult.DroppedRateLimited));
        Assert.True(platform.Consistent, string.Join("; ", platform.Mismatches));
    }

    public static TheoryData<EmulatorFault> FaultModes() =>
        new(Enum.GetValues<EmulatorFault>().Where(f => f != EmulatorFault.None && f != EmulatorFault.Storm));

    [Theory]
    [MemberData(nameof(FaultModes))]
    public async Task Every_fault_mode_leaves_the_accounting_consistent(EmulatorFault fault)
    {
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromSeconds(1.5), Faults: fault));

        var platform = Assert.Single(result.Platforms);
        Assert.True(platform.Consistent, $"{fault}: {string.Join("; ", platform.Mismatches)}");
        var d = platform.Dispatcher;
        switch (fault)
        {
            case EmulatorFault.Malformed:
                Assert.True(d.Protocols.Sum(p => p.MalformedTooShort) > 0);
                break;
            case EmulatorFault.Oversized:
                Assert.True(d.Protocols.Sum(p => p.RejectedPayloadTooLarge) > 0);
                break;
            case EmulatorFault.UnknownProtocolsAndEvents:
                Assert.True(d.UnknownProtocol + d.Protocols.Sum(p => p.RejectedUnknownEvent) > 0);
                break;
            case EmulatorFault.OutOfRangeSources:
                Assert.True(d.Protocols.Sum(p => p.MalformedSourceOutOfRange) > 0);
                break;
            case EmulatorFault.KeepSendingAfterStop:
                Assert.True(platform.Emulator.Count(IngestResult.NotRunning) > 0);
                break;
        }
        // Every subscriber that had a subscription was told PlatformStopped. (With missing or slow
        // responses some enables, or discovery itself, fail: those subscribers hold nothing.)
        Assert.All(result.Subscribers.Where(s => s.ActiveSubscriptions > 0), s => Assert.True(s.PlatformStopped, s.Name));
    }

    [Fact]
    public async Task Posts_after_the_handle_detached_are_shown_apart_and_the_reconciliation_is_exact()
    {
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromSeconds(1), Faults: EmulatorFault.KeepSendingAfterStop));

        var platform = Assert.Single(result.Platforms);
        Assert.True(platform.Emulator.Detached > 0, "the emulator posted nothing after the handle detached");
        // Every post is somewhere: what the gate saw, or after the detach (which no gate can see).
        Assert.Equal(platform.Emulator.Sent, MainJobResult.NotificationsReceived(platform.Dispatcher) + platform.Emulator.Detached);
        Assert.True(platform.Consistent, string.Join("; ", platform.Mismatches));
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task A_platform_that_never_comes_up_is_reported_with_exit_4()
    {
        // Every BASE PROTOCOL_ATTRIBUTES unanswered: discovery times out, the handle fails for good.
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromMilliseconds(100), Faults: EmulatorFault.MissingResponses));

        var platform = Assert.Single(result.Platforms);
        Assert.NotNull(platform.NeverUp);
        Assert.Contains("discovery", platform.NeverUp);
        Assert.True(result.Consistent);
        Assert.Equal(ScmiActors.Cli.ExitCodes.PlatformNotUp, result.ExitCode);
    }

    [Fact]
    public async Task A_cancelled_run_stops_in_order_and_says_so()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var text = new StringWriter();
        var result = await new MainJobRunner(new MainJobOptions(Platforms: 2, Duration: TimeSpan.FromSeconds(30)), text).RunAsync(cancel.Token);

        Assert.True(result.Interrupted);
        Assert.Equal(ScmiActors.Cli.ExitCodes.Interrupted, result.ExitCode);
        Assert.Contains("Interrupted", text.ToString());
        Assert.Contains("Accounting: adds up", text.ToString());
    }

    [Fact]
    public async Task The_sample_listener_serves_the_graceful_shutdown_request_on_a_budget_within_its_timeout()
    {
        // 4 s: the request comes half-way, leaving a slow start on a loaded machine time to enable it.
        var result = await RunAsync(new MainJobOptions(Duration: TimeSpan.FromSeconds(4)));

        var shutdown = Assert.IsType<ShutdownOutcome>(result.Shutdown);
        Assert.Equal(Wire.SystemState.Shutdown, shutdown.State);
        // The listener's decision (a budget of at most 75% of the platform's timeout), not the wall
        // clock, which on a loaded machine also measures scheduling delay.
        Assert.True(shutdown.TimeoutMs > 0);
        Assert.True(shutdown.PlannedMs <= shutdown.TimeoutMs * 0.75, $"planned {shutdown.PlannedMs} ms of {shutdown.TimeoutMs} ms");
        Assert.True(shutdown.TookMs >= shutdown.PlannedMs - 20, $"finished after {shutdown.TookMs} ms, before its plan of {shutdown.PlannedMs} ms");
    }
}
