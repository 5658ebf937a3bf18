using ScmiActors.Wire.Vendor;
using Xunit;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>The NOTIFY command each event's descriptor builds: message id and exact payload bytes.</summary>
public class NotifyEncoderTests
{
    private const uint Source = 0x0403_0201; // distinct bytes show the byte order

    private static EventDescriptor Event(byte protocol, byte eventId) =>
        ProtocolCatalogs.Default.Find(protocol)!.FindEvent(eventId)!;

    /// <summary>Per-source events: <c>resource_id, notify_enable</c> (sensor trip: <c>sensor_id, event_control</c>).</summary>
    [Theory]
    [InlineData(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, ScmiCommands.Power.StateNotify)]
    [InlineData(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, ScmiCommands.Perf.NotifyLimits)]
    [InlineData(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, ScmiCommands.Perf.NotifyLevel)]
    [InlineData(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, ScmiCommands.Clock.RateNotify)]
    [InlineData(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, ScmiCommands.Clock.RateChangeRequestedNotify)]
    [InlineData(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, ScmiCommands.Sensor.TripPointNotify)]
    [InlineData(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, ScmiCommands.Sensor.ContinuousUpdateNotify)]
    [InlineData(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, ScmiCommands.Reset.Notify)]
    [InlineData(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, ScmiCommands.Powercap.CapNotify)]
    public void Per_source_notify_is_source_then_enable(byte protocol, byte eventId, byte messageId)
    {
        var descriptor = Event(protocol, eventId);
        var description = TestPlatforms.Protocol(protocol);
        Assert.Equal(messageId, descriptor.NotifyMessageId);

        var enable = descriptor.EncodeNotify(Source, enable: true, description);
        Assert.Equal(protocol, enable.ProtocolId);
        Assert.Equal(messageId, enable.MessageId);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04, 0x01, 0x00, 0x00, 0x00 }, enable.Payload);

        var disable = descriptor.EncodeNotify(Source, enable: false, description);
        Assert.Equal(protocol, disable.ProtocolId);
        Assert.Equal(messageId, disable.MessageId);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00 }, disable.Payload);
    }

    /// <summary>Base errors and system power: <c>notify_enable</c> only.</summary>
    [Theory]
    [InlineData(ScmiProtocolId.Base, ScmiCommands.Base.NotifyErrors)]
    [InlineData(ScmiProtocolId.System, ScmiCommands.System.PowerStateNotify)]
    public void Global_notify_is_enable_only(byte protocol, byte messageId)
    {
        var descriptor = Event(protocol, 0);
        var description = TestPlatforms.Protocol(protocol);
        var enable = descriptor.EncodeNotify(0, true, description);
        Assert.Equal(protocol, enable.ProtocolId);
        Assert.Equal(messageId, enable.MessageId);
        Assert.Equal(new byte[] { 0x01, 0x00, 0x00, 0x00 }, enable.Payload);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x00 }, descriptor.EncodeNotify(0, false, description).Payload);
    }

    [Fact]
    public void Powercap_measurements_notify_sends_the_whole_range_by_default()
    {
        var descriptor = Event(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged);
        var description = TestPlatforms.Protocol(ScmiProtocolId.Powercap);
        Assert.Null(description.MeasurementThresholds);

        var enable = descriptor.EncodeNotify(3, true, description);
        Assert.Equal(ScmiProtocolId.Powercap, enable.ProtocolId);
        Assert.Equal(ScmiCommands.Powercap.MeasurementsNotify, enable.MessageId);
        Assert.Equal(WireModel.NotifyPowercapMeasurements(3, true, 0, uint.MaxValue), enable.Payload);
        Assert.Equal(new byte[] { 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, enable.Payload);

        var disable = descriptor.EncodeNotify(3, false, description);
        Assert.Equal(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, disable.Payload);
    }

    [Fact]
    public void Powercap_measurements_notify_sends_the_configured_thresholds_low_then_high()
    {
        var descriptor = Event(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged);
        var description = TestPlatforms.WithThresholds.Protocols[ScmiProtocolId.Powercap];
        var enable = descriptor.EncodeNotify(Source, true, description);
        Assert.Equal(ScmiCommands.Powercap.MeasurementsNotify, enable.MessageId);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04, 1, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00 }, enable.Payload);
        Assert.Equal(WireModel.NotifyPowercapMeasurements(Source, false, TestPlatforms.Thresholds.Low, TestPlatforms.Thresholds.High),
            descriptor.EncodeNotify(Source, false, description).Payload);
    }

    // Per source (not what the dispatcher sends: it sends the group's union, see ImxBbmDecodeTests):
    // rtc_id = source / 3, the kind's bit alone.
    [Theory]
    [InlineData(0u, 0u, 1u)]
    [InlineData(2u, 0u, 4u)]
    [InlineData(4u, 1u, 2u)]
    public void Bbm_rtc_notify_of_one_source_is_its_rtc_and_its_kind_bit(uint source, byte rtc, byte flags)
    {
        var descriptor = Event(ImxBbm.ProtocolId, ImxBbm.Events.Rtc);
        var description = TestPlatforms.Protocol(ImxBbm.ProtocolId);
        var enable = descriptor.EncodeNotify(source, true, description);
        Assert.Equal(ImxBbm.ProtocolId, enable.ProtocolId);
        Assert.Equal(ImxBbm.Commands.RtcNotify, enable.MessageId);
        Assert.Equal(new byte[] { rtc, 0, 0, 0, flags, 0, 0, 0 }, enable.Payload);

        var disable = descriptor.EncodeNotify(source, false, description);
        Assert.Equal(ImxBbm.Commands.RtcNotify, disable.MessageId);
        Assert.Equal(new byte[] { rtc, 0, 0, 0, 0, 0, 0, 0 }, disable.Payload);
    }

    [Fact]
    public void Bbm_button_notify_is_flags_only()
    {
        var descriptor = Event(ImxBbm.ProtocolId, ImxBbm.Events.Button);
        var description = TestPlatforms.Protocol(ImxBbm.ProtocolId);
        var enable = descriptor.EncodeNotify(0, true, description);
        Assert.Equal(ImxBbm.ProtocolId, enable.ProtocolId);
        Assert.Equal(ImxBbm.Commands.ButtonNotify, enable.MessageId);
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, enable.Payload);
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, descriptor.EncodeNotify(0, false, description).Payload);
    }

    [Fact]
    public void Every_event_of_the_default_catalog_has_a_notify_command_that_fits()
    {
        var count = 0;
        foreach (var protocol in ProtocolCatalogs.Default.Protocols)
        {
            foreach (var e in protocol.Events)
            {
                count++;
                var description = PlatformProtocol.Create(protocol.Id, new ProtocolVersion(2, 0), 4);
                var command = e.EncodeNotify(0, true, description);
                Assert.Equal(protocol.Id, command.ProtocolId);
                Assert.Equal(e.NotifyMessageId, command.MessageId);
                Assert.InRange(command.Payload.Length, 4, EventDescriptor.MaxNotifyPayload);
                Assert.Equal(0, command.Payload.Length % 4);
            }
        }
        Assert.Equal(15, count);
    }

    /// <summary>DESIGN.md's table: the largest payload the gate accepts per event.</summary>
    [Theory]
    [InlineData(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, 8 + 8 * 1024)]
    [InlineData(ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, 12)]
    [InlineData(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, 16)]
    [InlineData(ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, 16)]
    [InlineData(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, 12)]
    [InlineData(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, 16)]
    [InlineData(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested, 16)]
    [InlineData(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent, 12)]
    [InlineData(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, 8 + 16 * 63)]
    [InlineData(ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, 12)]
    [InlineData(ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, 16)]
    [InlineData(ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged, 12)]
    [InlineData(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, 4)]
    [InlineData(ImxBbm.ProtocolId, ImxBbm.Events.Button, 4)]
    [InlineData(ImxMisc.ProtocolId, ImxMisc.Events.Control, 8)]
    public void Max_payload_per_event(byte protocol, byte eventId, int maxPayload)
    {
        var e = Event(protocol, eventId);
        Assert.Equal(maxPayload, e.MaxPayload);
        Assert.Equal(protocol, e.ProtocolId);
        Assert.Equal(eventId, e.EventId);
    }
}
