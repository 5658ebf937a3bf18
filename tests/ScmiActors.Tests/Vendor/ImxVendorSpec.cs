using Akka.Actor;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Tests.Emulation;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Vendor;

/// <summary>
/// The i.MX plug-ins through a real handle and the emulator, which behaves like the imx-sm firmware
/// (peers/imx-sm): BBM_RTC_NOTIFY replaces the three enables of an RTC, two RTCs, MISC controls.
/// Events are made with <see cref="EmulatedPlatform.EmitOnce"/>, which sends only what is enabled
/// at the platform, so a kind switched off by a later NOTIFY is never delivered.
/// </summary>
public sealed class ImxVendorSpec(ITestOutputHelper output) : ScmiTestKit(output)
{
    private const string Hocon = """
        scmi.platforms.ID {
          transport = emulated
          protocols {
            base     { version = "2.0" }
            imx-bbm  { version = "1.0", rtcs = 2 }
            imx-misc { version = "1.1", device-controls = 2, board-controls = 4 }
          }
        }
        """;

    private static readonly uint Rtc0Alarm = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Alarm);
    private static readonly uint Rtc0Rollover = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Rollover);
    private static readonly uint Rtc0Updated = ImxBbm.RtcSource(0, ImxBbm.RtcKind.Updated);
    private static readonly uint Rtc1Alarm = ImxBbm.RtcSource(1, ImxBbm.RtcKind.Alarm);

    private sealed record Running(string Id, EmulatedPlatform Emulator, IActorRef Handle) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Emulator.DisposeAsync();
    }

    private async Task<Running> StartAsync(string id, string? firmwareHocon = null)
    {
        var description = PlatformDescriptionLoaderFor(Hocon, id);
        var transport = InMemoryTransport.Create();
        var emulator = new EmulatedPlatform(transport.Platform, firmwareHocon is null ? description : PlatformDescriptionLoaderFor(firmwareHocon, id),
            EmulatorPlatforms.Quiet with { BbmRtcPerSecond = 0, BbmButtonPerSecond = 0, MiscControlPerSecond = 0 });
        var handle = await Scmi.StartPlatformAsync(id, transport.Agent, description);
        return new Running(id, emulator, handle);
    }

    private static PlatformDescription PlatformDescriptionLoaderFor(string hocon, string id) =>
        Platform.PlatformDescriptionLoader.Parse(hocon.Replace("platforms.ID", $"platforms.{id}", StringComparison.Ordinal), id);

    private SubscriptionId Subscribe(Running r, byte protocol, byte evt, uint source, IActorRef subscriber)
    {
        r.Handle.Tell(new Subscribe(r.Id, protocol, evt, SourceSelector.Id(source), subscriber), TestActor);
        return ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5)).Id;
    }

    private void Unsubscribe(Running r, SubscriptionId id)
    {
        r.Handle.Tell(new Unsubscribe(r.Id, id), TestActor);
        ExpectMsg<Unsubscribed>(TimeSpan.FromSeconds(5));
    }

    private static ImxBbmRtcEvent ExpectRtc(Akka.TestKit.TestProbe probe, uint source)
    {
        var report = probe.ExpectMsg<ImxBbmRtcEvent>(TimeSpan.FromSeconds(5));
        Assert.Equal(source, report.Source);
        return report;
    }

    [Fact]
    public async Task Subscribing_updated_after_alarm_keeps_alarms_coming()
    {
        await using var r = await StartAsync("imx-union");
        var alarms = CreateTestProbe();
        var updates = CreateTestProbe();
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm, alarms);
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated, updates);

        // The second BBM_RTC_NOTIFY carried both kinds: the platform still has the alarm on.
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));
        Assert.False(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Rollover));

        Assert.NotNull(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.True(ExpectRtc(alarms, Rtc0Alarm).Alarm);
        Assert.NotNull(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));
        Assert.True(ExpectRtc(updates, Rtc0Updated).Updated);
        alarms.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Unsubscribing_one_kind_leaves_the_other_on()
    {
        await using var r = await StartAsync("imx-unsub");
        var alarms = CreateTestProbe();
        var updates = CreateTestProbe();
        var alarm = Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm, alarms);
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated, updates);

        Unsubscribe(r, alarm);
        Assert.False(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));

        Assert.Null(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm)); // not sent: off at the platform
        Assert.NotNull(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));
        ExpectRtc(updates, Rtc0Updated);
        alarms.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Concurrent_subscribes_and_an_unsubscribe_of_one_rtc_end_with_the_final_union()
    {
        await using var r = await StartAsync("imx-concurrent");
        var probe = CreateTestProbe();
        var alarm = Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm, probe);

        // Three changes of RTC 0 at once, each from its own source actor: none may undo another.
        r.Handle.Tell(new Subscribe(r.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(Rtc0Updated), probe), TestActor);
        r.Handle.Tell(new Subscribe(r.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(Rtc0Rollover), probe), TestActor);
        r.Handle.Tell(new Unsubscribe(r.Id, alarm), TestActor);
        var answers = new[] { ExpectMsg<object>(TimeSpan.FromSeconds(5)), ExpectMsg<object>(TimeSpan.FromSeconds(5)), ExpectMsg<object>(TimeSpan.FromSeconds(5)) };
        Assert.Equal(2, answers.OfType<SubscriptionActive>().Count());
        Assert.Single(answers.OfType<Unsubscribed>());

        Assert.False(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Rollover));
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));
    }

    [Fact]
    public async Task A_kind_the_platform_refuses_is_not_claimed_by_the_next_request()
    {
        // The firmware cannot notify RTC 0 rollover; the agent's description does not know that, so it asks.
        await using var r = await StartAsync("imx-refused", Hocon.Replace("rtcs = 2 }", "rtcs = 2, no-notify { BBM_RTC_EVENT = [1] } }", StringComparison.Ordinal));
        var probe = CreateTestProbe();
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm, probe);

        r.Handle.Tell(new Subscribe(r.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(Rtc0Rollover), probe), TestActor);
        var failed = ExpectMsg<SubscriptionFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal(new SubscriptionFailure.PlatformRejected(ScmiStatus.NotSupported), failed.Reason);
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm)); // a refused call changes nothing

        // Had the union kept rollover, the platform would refuse this one too.
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated, probe);
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Updated));
    }

    [Fact]
    public async Task Rtc_1_events_reach_rtc_1_subscribers_only()
    {
        await using var r = await StartAsync("imx-rtc1");
        var rtc0 = CreateTestProbe();
        var rtc1 = CreateTestProbe();
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm, rtc0);
        Subscribe(r, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc1Alarm, rtc1);
        Assert.True(r.Emulator.IsEnabled(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc1Alarm));

        Assert.NotNull(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc1Alarm));
        var report = ExpectRtc(rtc1, Rtc1Alarm);
        Assert.Equal((byte)1, report.RtcId);
        Assert.Equal(0x0100_0001u, report.Flags); // as imx-sm sends it: rtc id in 31:24, one event bit
        rtc0.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.NotNull(r.Emulator.EmitOnce(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Rtc0Alarm));
        Assert.Equal((byte)0, ExpectRtc(rtc0, Rtc0Alarm).RtcId);
        rtc1.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Rtc_sources_past_the_platforms_rtcs_are_refused()
    {
        await using var r = await StartAsync("imx-range");
        r.Handle.Tell(new Subscribe(r.Id, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, SourceSelector.Id(6), TestActor), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(6, 6), ExpectMsg<SubscriptionFailed>().Reason);
    }

    [Fact]
    public async Task A_misc_board_control_subscription_is_enabled_and_delivered()
    {
        await using var r = await StartAsync("imx-misc");
        var board = CreateTestProbe();
        var device = CreateTestProbe();
        Subscribe(r, ImxMisc.ProtocolId, ImxMisc.Events.Control, 3, board);  // 0x8001: after the 2 device controls
        Subscribe(r, ImxMisc.ProtocolId, ImxMisc.Events.Control, 0, device);
        Assert.True(r.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 3));
        Assert.False(r.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, 2));

        Assert.NotNull(r.Emulator.EmitOnce(ImxMisc.ProtocolId, ImxMisc.Events.Control, 3));
        var report = board.ExpectMsg<ImxMiscControlEvent>(TimeSpan.FromSeconds(5));
        Assert.Equal((3u, 0x8001u, 1u, true), (report.Source, report.ControlId, report.Flags, report.IsBoardControl));
        Assert.NotNull(r.Emulator.EmitOnce(ImxMisc.ProtocolId, ImxMisc.Events.Control, 0));
        Assert.Equal(0u, device.ExpectMsg<ImxMiscControlEvent>(TimeSpan.FromSeconds(5)).ControlId);
        board.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task An_all_sources_misc_subscription_enables_every_control_and_nothing_more()
    {
        await using var r = await StartAsync("imx-misc-all");
        var probe = CreateTestProbe();
        r.Handle.Tell(new Subscribe(r.Id, ImxMisc.ProtocolId, ImxMisc.Events.Control, SourceSelector.All, probe), TestActor);
        ExpectMsg<SubscriptionActive>(TimeSpan.FromSeconds(5));
        for (uint s = 0; s < 6; s++) Assert.True(r.Emulator.IsEnabled(ImxMisc.ProtocolId, ImxMisc.Events.Control, s), $"control source {s}");
        r.Handle.Tell(new Subscribe(r.Id, ImxMisc.ProtocolId, ImxMisc.Events.Control, SourceSelector.Id(6), probe), TestActor);
        Assert.Equal(new SubscriptionFailure.SourceOutOfRange(6, 6), ExpectMsg<SubscriptionFailed>().Reason);

        Assert.NotNull(r.Emulator.EmitOnce(ImxMisc.ProtocolId, ImxMisc.Events.Control, 5));
        Assert.Equal(0x8003u, probe.ExpectMsg<ImxMiscControlEvent>(TimeSpan.FromSeconds(5)).ControlId);
    }
}
