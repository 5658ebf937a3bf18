using System.Diagnostics;
using ScmiActors.Emulator;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>Every fault mode produces what it claims, and counts it.</summary>
public sealed class FaultSpec
{
    private static EmulatorScenario With(EmulatorFault faults, double probability = 0.3) =>
        EmulatorPlatforms.Quiet with { Faults = faults, FaultProbability = probability, Seed = 3 };

    private static (byte Protocol, byte Event) Key(SentMessage m) => (m.Protocol, m.Event);

    [Fact]
    public void Ignore_disable_answers_success_and_keeps_sending()
    {
        var p = new RawPlatform(With(EmulatorFault.IgnoreDisable));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, true));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, false));
        Assert.True(p.Emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0));
        Assert.True(p.Emulator.Step(100) > 0);
        Assert.Equal(1, p.Emulator.GetStats().For(ScmiProtocolId.Perf).Injected(EmulatorFault.IgnoreDisable));

        // A disable of something never enabled is not "ignored": there is nothing to keep.
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 1, false));
        Assert.Equal(1, p.Emulator.GetStats().Injected(EmulatorFault.IgnoreDisable));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Keep_sending_after_stop_posts_to_a_stopped_agent_and_counts_not_running(bool faulty)
    {
        var p = new RawPlatform(With(faulty ? EmulatorFault.KeepSendingAfterStop : EmulatorFault.None));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, true));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 2, true));
        Assert.True(p.Emulator.Step(100) > 0);

        // The agent's ordered shutdown: disable everything, then go away.
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, false));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 2, false));
        p.Attached = false;
        p.Clear();
        var posted = p.Emulator.Step(300);

        var stats = p.Emulator.GetStats();
        if (!faulty)
        {
            Assert.Equal(0, posted);
            Assert.Equal(0, stats.Count(IngestResult.NotRunning));
            return;
        }
        Assert.True(posted > 0);
        Assert.Equal(new[] { (ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 2u), (ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0u) },
            p.Notifications.Select(m => (m.Protocol, m.Event, m.Source)).Distinct().OrderBy(k => k.Protocol));
        Assert.Equal(posted, stats.Count(IngestResult.NotRunning));
        Assert.Equal(posted, stats.Injected(EmulatorFault.KeepSendingAfterStop));
        Assert.Equal(stats.For(ScmiProtocolId.Perf).NotRunning, stats.For(ScmiProtocolId.Perf).Injected(EmulatorFault.KeepSendingAfterStop));
        // Posted while detached: no gate saw them, and the emulator says so apart from other NotRunning.
        Assert.Equal(posted, stats.Detached);
        Assert.Equal(stats.For(ScmiProtocolId.Perf).NotRunning, stats.For(ScmiProtocolId.Perf).Detached);
    }

    [Fact]
    public void NotRunning_from_an_attached_agent_is_not_counted_as_detached()
    {
        // A closed gate answers NotRunning while the transport is still attached: the gate counted those.
        var p = new RawPlatform(With(EmulatorFault.None));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0, true));
        p.GateOpen = false;
        var posted = p.Emulator.Step(100);

        var stats = p.Emulator.GetStats();
        Assert.True(posted > 0);
        Assert.Equal(posted, stats.Count(IngestResult.NotRunning));
        Assert.Equal(0, stats.Detached);
    }

    [Fact]
    public void Malformed_payloads_are_one_word_short()
    {
        var p = new RawPlatform(With(EmulatorFault.Malformed));
        p.EnableEverything();
        p.Emulator.Step(500);
        var shortOnes = 0;
        foreach (var m in p.Notifications)
        {
            var decoded = Decode(p, m);
            if (decoded.IsSuccess) continue;
            Assert.Equal(DecodeError.PayloadTooShort, decoded.Error);
            var valid = ValidLength(p, m);
            Assert.Equal(valid - 4, m.Payload.Length);
            shortOnes++;
        }
        Assert.True(shortOnes > 50, $"{shortOnes} malformed");
        Assert.Equal(shortOnes, p.Emulator.GetStats().Injected(EmulatorFault.Malformed));
        Assert.InRange(shortOnes / (double)p.Notifications.Count, 0.2, 0.4);
    }

    [Fact]
    public void Oversized_payloads_exceed_the_event_maximum()
    {
        var p = new RawPlatform(With(EmulatorFault.Oversized));
        p.EnableEverything();
        p.Emulator.Step(500);
        var oversized = p.Notifications.Where(m => m.Payload.Length > Descriptor(m).MaxPayload).ToList();
        Assert.True(oversized.Count > 50);
        Assert.All(oversized, m => Assert.Equal(Descriptor(m).MaxPayload + 4, m.Payload.Length));
        Assert.Equal(oversized.Count, p.Emulator.GetStats().Injected(EmulatorFault.Oversized));
        Assert.All(p.Notifications.Except(oversized), m => Assert.True(Decode(p, m).IsSuccess));
    }

    [Fact]
    public void Unknown_protocols_and_events_are_sent()
    {
        var p = new RawPlatform(With(EmulatorFault.UnknownProtocolsAndEvents));
        p.EnableEverything();
        p.Emulator.Step(500);
        var unknownProtocol = p.Notifications.Where(m => p.Description.Find(m.Protocol) is null).ToList();
        var unknownEvent = p.Notifications
            .Where(m => p.Description.Find(m.Protocol) is not null && ProtocolCatalogs.Default.Find(m.Protocol)!.FindEvent(m.Event) is null)
            .ToList();
        Assert.True(unknownProtocol.Count > 20);
        Assert.True(unknownEvent.Count > 20);
        Assert.Equal(unknownProtocol.Count + unknownEvent.Count, p.Emulator.GetStats().Injected(EmulatorFault.UnknownProtocolsAndEvents));
        Assert.Equal(unknownProtocol.Count, p.Emulator.GetStats().Protocols.Values
            .Where(s => p.Description.Find(s.Protocol) is null).Sum(s => s.Sent));
    }

    [Fact]
    public void Out_of_range_sources_are_at_or_above_the_source_count()
    {
        var p = new RawPlatform(With(EmulatorFault.OutOfRangeSources));
        p.EnableEverything();
        p.Emulator.Step(500);
        var outOfRange = p.Notifications.Where(m => !Decode(p, m).IsSuccess).ToList();
        Assert.True(outOfRange.Count > 50);
        Assert.All(outOfRange, m =>
        {
            Assert.Equal(DecodeError.SourceOutOfRange, Decode(p, m).Error);
            Assert.InRange(m.Source, p.Description.Find(m.Protocol)!.SourceCount, p.Description.Find(m.Protocol)!.SourceCount + 3);
        });
        Assert.Equal(outOfRange.Count, p.Emulator.GetStats().Injected(EmulatorFault.OutOfRangeSources));
    }

    [Fact]
    public void Storm_sends_bursts_of_the_enabled_sources()
    {
        var p = new RawPlatform(With(EmulatorFault.Storm) with
        {
            StormEvery = TimeSpan.FromMilliseconds(500), StormBurst = 5_000, PerfLevelPerSecond = 0, PowerStatePerSecond = 0,
        });
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 1, true));
        Assert.Equal(ScmiStatus.Success, p.Notify(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 0, true));
        Assert.Equal(0, p.Emulator.Step(49));
        Assert.Equal(5_000, p.Emulator.Step(1));
        Assert.Equal(2_500, p.Notifications.Count(m => m.Protocol == ScmiProtocolId.Perf && m.Source == 1));
        Assert.Equal(2_500, p.Notifications.Count(m => m.Protocol == ScmiProtocolId.Power && m.Source == 0));
        Assert.All(p.Notifications, m => Assert.True(Decode(p, m).IsSuccess));
        Assert.Equal(5_000, p.Emulator.Step(50));
        Assert.Equal(10_000, p.Emulator.GetStats().Injected(EmulatorFault.Storm));
    }

    [Fact]
    public async Task Slow_responses_come_later_without_blocking_the_caller()
    {
        await using var p = new RawPlatform(With(EmulatorFault.SlowResponses) with
        {
            SlowResponseMin = TimeSpan.FromMilliseconds(400), SlowResponseMax = TimeSpan.FromMilliseconds(500),
        });
        var clock = Stopwatch.StartNew();
        Assert.Null(p.TryCommand(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, RawPlatform.Words(0, 1)));
        Assert.Empty(p.Responses); // HandleCommand returned before answering
        Assert.Equal(1, p.Emulator.PendingResponses);
        Assert.True(p.Emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 0)); // carried out at once, answered later

        var response = RawPlatform.ToAnswer(await p.NextResponse.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(clock.ElapsedMilliseconds >= 395, $"answered after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(ScmiStatus.Success, response.Status);
        Assert.Equal((ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, MessageType.Command), (response.Header.ProtocolId, response.Header.MessageId, response.Header.Type));
        Assert.Equal(1, p.Emulator.GetStats().ResponsesDelayed);
        await NotificationSpec.WaitUntil(() => p.Emulator.PendingResponses == 0);
    }

    [Fact]
    public async Task Disposing_drops_slow_responses_not_yet_sent()
    {
        var p = new RawPlatform(With(EmulatorFault.SlowResponses) with
        {
            SlowResponseMin = TimeSpan.FromSeconds(30), SlowResponseMax = TimeSpan.FromSeconds(30),
        });
        p.TryCommand(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion, []);
        Assert.Equal(1, p.Emulator.PendingResponses);
        await p.DisposeAsync();
        await NotificationSpec.WaitUntil(() => p.Emulator.PendingResponses == 0);
        Assert.Empty(p.Responses);
    }

    [Fact]
    public void Missing_responses_are_never_sent_but_the_command_is_carried_out()
    {
        var p = new RawPlatform(With(EmulatorFault.MissingResponses) with { MissingResponseProbability = 0.5 });
        var answered = 0;
        for (var i = 0; i < 200; i++)
            if (p.TryCommand(ScmiProtocolId.Base, ScmiCommands.Common.ProtocolVersion, []) is not null) answered++;
        var stats = p.Emulator.GetStats();
        Assert.InRange(answered, 60, 140);
        Assert.Equal(200 - answered, stats.ResponsesWithheld);
        Assert.Equal(200, stats.CommandsReceived);
        Assert.Equal(answered, stats.ResponsesSent);

        var never = new RawPlatform(With(EmulatorFault.MissingResponses) with { MissingResponseProbability = 1 });
        Assert.Null(never.TryCommand(ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel, RawPlatform.Words(3, 1)));
        Assert.True(never.Emulator.IsEnabled(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 3));
    }

    [Fact]
    public void Faults_combine()
    {
        const EmulatorFault all = EmulatorFault.Malformed | EmulatorFault.Oversized | EmulatorFault.UnknownProtocolsAndEvents
            | EmulatorFault.OutOfRangeSources;
        var p = new RawPlatform(With(all, probability: 0.4));
        p.EnableEverything();
        p.Emulator.Step(500);
        var stats = p.Emulator.GetStats();
        foreach (var fault in new[] { EmulatorFault.Malformed, EmulatorFault.Oversized, EmulatorFault.UnknownProtocolsAndEvents, EmulatorFault.OutOfRangeSources })
            Assert.True(stats.Injected(fault) > 20, $"{fault}: {stats.Injected(fault)}");
        var injected = stats.Injected(EmulatorFault.Malformed) + stats.Injected(EmulatorFault.Oversized)
            + stats.Injected(EmulatorFault.UnknownProtocolsAndEvents) + stats.Injected(EmulatorFault.OutOfRangeSources);
        var bad = p.Notifications.Count(m => p.Description.Find(m.Protocol) is null
            || ProtocolCatalogs.Default.Find(m.Protocol)!.FindEvent(m.Event) is null
            || m.Payload.Length > Descriptor(m).MaxPayload
            || !Decode(p, m).IsSuccess);
        Assert.Equal(injected, bad);
    }

    private static EventDescriptor Descriptor(SentMessage m) => ProtocolCatalogs.Default.Find(m.Protocol)!.FindEvent(m.Event)!;

    private static DecodeResult Decode(RawPlatform p, SentMessage m) =>
        Descriptor(m).Decode(m.Payload, new DecodeContext("emu", 0, p.Description.Find(m.Protocol)!));

    /// <summary>The size DESIGN.md requires for this notification (as sent, before any fault).</summary>
    private static int ValidLength(RawPlatform p, SentMessage m) => Key(m) switch
    {
        (ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent) => 8 + 8 * (m.Payload.Length / 8),
        (ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update) => 8 + 16 * p.Description.Find(ScmiProtocolId.Sensor)!.AxesOf(m.Source),
        (ScmiProtocolId.Power, ScmiEvents.Power.StateChanged) or (ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged) or (ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent) or (ScmiProtocolId.Reset, ScmiEvents.Reset.Issued)
            or (ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged) => 12,
        _ => 16,
    };
}
