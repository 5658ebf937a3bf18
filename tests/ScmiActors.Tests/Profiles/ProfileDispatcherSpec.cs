using Akka.Actor;
using ScmiActors.Emulator;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Messages;
using ScmiActors.Tests.Emulation;
using ScmiActors.Tests.Support;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Profiles;

/// <summary>
/// What the dispatcher does with each firmware's behaviour: a platform handle on a real SMT link to an
/// emulator host with a profile, in this process. Notifications for sources nobody subscribed (SCP's
/// fan-out, its events after a disable) are decoded and counted as unmatched, never delivered to the
/// wrong subscriber; SCP's LIMITS_CHANGED before the reply reaches its subscriber while the command is
/// outstanding; i.MX's counter tokens decode. At the end the two sides' counters reconcile: what the
/// platform wrote was read by the agent's end or left in the slot, and what it could not write it counts.
/// </summary>
public sealed class ProfileDispatcherSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    private const string Id = "emu";
    private const byte Perf = ScmiProtocolId.Perf;
    private static readonly TimeSpan Bound = SmtTestLink.Bound;

    private sealed record Running(SmtTempDirectory Directory, SmtEmulatorHost Host, SmtAgentTransport Agent, IActorRef Handle) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Agent.Dispose();
            await Host.DisposeAsync();
            Directory.Dispose();
        }
    }

    private async Task<Running> StartAsync(FirmwareProfile profile)
    {
        var directory = new SmtTempDirectory();
        var host = SmtEmulatorHost.Create(directory.AreaPath, directory.SocketPath, EmulatorPlatforms.Emu(id: Id), EmulatorPlatforms.Quiet, profile: profile);
        var agent = new SmtAgentTransport(new SmtAgentOptions(directory.AreaPath, directory.SocketPath) { SlotTimeout = TimeSpan.FromSeconds(2) });
        try
        {
            using var cts = new CancellationTokenSource(Bound);
            var accepted = host.AcceptAsync(cts.Token);
            var handle = await Scmi.StartPlatformAsync(Id, agent, host.Emulator.Description).WaitAsync(Bound);
            await accepted.WaitAsync(Bound);
            return new Running(directory, host, agent, handle);
        }
        catch
        {
            agent.Dispose();
            await host.DisposeAsync();
            directory.Dispose();
            throw;
        }
    }

    private PlatformStats StatsOf(Running r)
    {
        r.Handle.Tell(new GetStats(Id), TestActor);
        return ExpectMsg<PlatformStats>(Bound);
    }

    private SubscriptionId Subscribe(Running r, byte protocol, byte evt, uint source, IActorRef subscriber)
    {
        r.Handle.Tell(new Subscribe(Id, protocol, evt, SourceSelector.Id(source), subscriber), TestActor);
        return ExpectMsg<SubscriptionActive>(Bound).Id;
    }

    /// <summary>Stops the handle, then checks the cross-process accounting as the main job does it.</summary>
    private async Task StopAndReconcileAsync(Running r)
    {
        var complete = await Scmi.StopPlatformAsync(Id).WaitAsync(Bound);
        Assert.True(complete.FinalStats.AddsUp);
        var d = complete.FinalStats;
        var host = r.Host.Stats;
        var read = r.Agent.Stats.NotificationsReceived;
        Assert.Equal(host.NotificationsSent, read + r.Host.NotificationsLeftInSlot);
        Assert.Equal(host.NotificationsTried, host.NotificationsSent + host.NotificationsLostAtSlot + host.NotificationsTooLarge
                                              + host.NotificationsLostInQueue + host.NotificationsInQueue);
        Assert.Equal(read, d.Received - d.NotANotification - d.ReservedMessageType);
    }

    [Fact]
    public async Task Scp_fan_out_for_an_unsubscribed_domain_reaches_nobody_and_limits_changed_before_the_reply_reaches_its_subscriber()
    {
        await using var r = await StartAsync(FirmwareProfile.Scp);
        var levels = CreateTestProbe();
        var limits = CreateTestProbe();
        Subscribe(r, Perf, ScmiEvents.Perf.LevelChanged, 0, levels.Ref);
        Subscribe(r, Perf, ScmiEvents.Perf.LimitsChanged, 0, limits.Ref);

        Assert.NotNull(r.Host.Emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 1)); // the firmware sends domain 1's too
        // SCP drops what finds the slot busy: let the agent free it first.
        var slot = r.Host.Link.Options.P2ASlots[0];
        await Eventually.TrueAsync(() => (r.Host.Link.Area.ReadStatus(slot) & SmtLayout.StatusFree) != 0, "the agent freed the P2A slot");
        Assert.NotNull(r.Host.Emulator.EmitOnce(Perf, ScmiEvents.Perf.LevelChanged, 0));
        Assert.Equal(0u, levels.ExpectMsg<PerfLevelChanged>(Bound).DomainId); // domain 1's went to nobody
        AwaitAssert(() =>
        {
            var perf = StatsOf(r).For(Perf)!;
            Assert.Equal((2L, 1L, 1L), (perf.Decoded, perf.Unmatched, perf.Delivered));
        }, Bound, TimeSpan.FromMilliseconds(20));

        // LIMITS_SET: the firmware sends LIMITS_CHANGED (agent 0, max then min) before it answers.
        r.Handle.Tell(new SendPlatformCommand(Id, new PlatformCommand(Perf, ScmiCommands.Perf.LimitsSet, RawPlatform.Words(0, 1500, 500), "limits")), TestActor);
        var changed = limits.ExpectMsg<PerfLimitsChanged>(Bound);
        Assert.Equal((0u, 0u, 1500u, 500u), (changed.AgentId, changed.DomainId, changed.RangeMax, changed.RangeMin));
        var result = ExpectMsg<CommandResult>(Bound);
        Assert.True(result.Succeeded, result.ToString());

        await StopAndReconcileAsync(r);
    }

    [Fact]
    public async Task Scp_trip_point_events_after_an_unsubscribe_are_counted_as_delivered_to_nobody()
    {
        await using var r = await StartAsync(FirmwareProfile.Scp);
        var subscriber = CreateTestProbe();
        var id = Subscribe(r, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0, subscriber.Ref);
        Assert.NotNull(r.Host.Emulator.EmitOnce(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0));
        subscriber.ExpectMsg<SensorTripPoint>(Bound);

        r.Handle.Tell(new Unsubscribe(Id, id), TestActor);
        ExpectMsg<Unsubscribed>(Bound);
        await Eventually.TrueAsync(() => r.Host.Layer!.Stats.DisablesKept == 1, "the disable answered SUCCESS and the source kept on");

        Assert.NotNull(r.Host.Emulator.EmitOnce(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 0)); // Q6: still sent
        AwaitAssert(() =>
        {
            var sensor = StatsOf(r).For(ScmiProtocolId.Sensor)!;
            Assert.Equal((2L, 1L, 1L), (sensor.Decoded, sensor.Delivered, sensor.Unmatched));
        }, Bound, TimeSpan.FromMilliseconds(20));
        subscriber.ExpectNoMsg(TimeSpan.Zero);

        await StopAndReconcileAsync(r);
    }

    [Fact]
    public async Task Imx_counter_tokens_decode_and_a_burst_waits_in_the_queue_instead_of_being_lost()
    {
        await using var r = await StartAsync(FirmwareProfile.ImxSm);
        var subscriber = CreateTestProbe();
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Button, 0, subscriber.Ref);

        for (var i = 0; i < 8; i++) Assert.NotNull(r.Host.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Button, 0));
        for (var i = 0; i < 8; i++) Assert.Equal(1u, subscriber.ExpectMsg<ImxBbmButtonEvent>(Bound).Flags);

        // The agent rings before it posts, so the platform may count the last doorbell a moment after delivery.
        await Eventually.TrueAsync(() => r.Host.Stats.Link.CompletionDoorbells == 8, "a completion doorbell per notification");
        var host = r.Host.Stats;
        Assert.Equal((8L, 0L, 0L, 0L), (host.NotificationsSent, host.NotificationsLostAtSlot, host.NotificationsLostInQueue, host.NotificationsInQueue));
        var bbm = StatsOf(r).For(ImxBbm.ProtocolId)!;
        Assert.Equal((8L, 0L), (bbm.Decoded, bbm.Malformed));

        await StopAndReconcileAsync(r);
    }
}
