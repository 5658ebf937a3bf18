using System.Reflection;
using ScmiActors.Wire.Protocols;
using ScmiActors.Wire.Vendor;
using Xunit;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>
/// The named message ids (<see cref="ScmiCommands"/>, <see cref="ScmiEvents"/>, <see cref="ImxBbm.Commands"/>,
/// <see cref="ImxBbm.Events"/>) and the descriptors cannot drift apart, and no two commands or
/// events of one protocol share an id.
/// </summary>
public class MessageIdTests
{
    /// <summary>Every descriptor of the default catalog, with the event and NOTIFY command it must carry.</summary>
    public static TheoryData<string, byte, byte, byte> Descriptors() => new()
    {
        { StandardProtocols.BaseErrorEvent, ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, ScmiCommands.Base.NotifyErrors },
        { StandardProtocols.PowerStateChanged, ScmiProtocolId.Power, ScmiEvents.Power.StateChanged, ScmiCommands.Power.StateNotify },
        { StandardProtocols.SystemPowerStateNotifier, ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier,
            ScmiCommands.System.PowerStateNotify },
        { StandardProtocols.PerformanceLimitsChanged, ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged, ScmiCommands.Perf.NotifyLimits },
        { StandardProtocols.PerformanceLevelChanged, ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, ScmiCommands.Perf.NotifyLevel },
        { StandardProtocols.ClockRateChanged, ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged, ScmiCommands.Clock.RateNotify },
        { StandardProtocols.ClockRateChangeRequested, ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested,
            ScmiCommands.Clock.RateChangeRequestedNotify },
        { StandardProtocols.SensorTripPointEvent, ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent,
            ScmiCommands.Sensor.TripPointNotify },
        { StandardProtocols.SensorUpdate, ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, ScmiCommands.Sensor.ContinuousUpdateNotify },
        { StandardProtocols.ResetIssued, ScmiProtocolId.Reset, ScmiEvents.Reset.Issued, ScmiCommands.Reset.Notify },
        { StandardProtocols.PowercapCapChanged, ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged, ScmiCommands.Powercap.CapNotify },
        { StandardProtocols.PowercapMeasurementsChanged, ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged,
            ScmiCommands.Powercap.MeasurementsNotify },
        { ImxBbm.RtcEvent, ImxBbm.ProtocolId, ImxBbm.Events.Rtc, ImxBbm.Commands.RtcNotify },
        { ImxBbm.ButtonEvent, ImxBbm.ProtocolId, ImxBbm.Events.Button, ImxBbm.Commands.ButtonNotify },
        { ImxMisc.ControlEvent, ImxMisc.ProtocolId, ImxMisc.Events.Control, ImxMisc.Commands.ControlNotify },
    };

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void Each_descriptor_carries_the_named_event_and_notify_ids(string name, byte protocol, byte eventId, byte notify)
    {
        var descriptor = ProtocolCatalogs.Default.Find(protocol)!.FindEvent(name);
        Assert.NotNull(descriptor);
        Assert.Equal(protocol, descriptor.ProtocolId);
        Assert.Equal(eventId, descriptor.EventId);
        Assert.Equal(notify, descriptor.NotifyMessageId);
        Assert.Same(descriptor, ProtocolCatalogs.Default.Find(protocol)!.FindEvent(eventId));
        Assert.Equal(notify, descriptor.EncodeNotify(0, true, PlatformProtocol.Create(protocol, new ProtocolVersion(2, 0), 1)).MessageId);
    }

    [Fact]
    public void The_table_above_covers_every_descriptor_of_the_default_catalog()
    {
        var listed = Descriptors().Select(row => ((byte)row[1], (string)row[0])).ToHashSet();
        var all = ProtocolCatalogs.Default.Protocols.SelectMany(p => p.Events.Select(e => (p.Id, e.Name))).ToHashSet();
        Assert.Equal(all.Order(), listed.Order());
    }

    /// <summary>Each nested class of ScmiEvents is named as its ScmiProtocolId constant and names exactly the descriptor's events.</summary>
    [Fact]
    public void Named_events_are_exactly_the_descriptors_events()
    {
        var protocols = ConstantsOf(typeof(ScmiProtocolId));
        var groups = typeof(ScmiEvents).GetNestedTypes().Select(t => (Protocol: protocols[t.Name], Ids: ConstantsOf(t)))
            .Append((Protocol: ImxBbm.ProtocolId, Ids: ConstantsOf(typeof(ImxBbm.Events))))
            .Append((Protocol: ImxMisc.ProtocolId, Ids: ConstantsOf(typeof(ImxMisc.Events))))
            .ToList();
        foreach (var (protocol, ids) in groups)
        {
            var descriptor = ProtocolCatalogs.Default.Find(protocol)!;
            Assert.Equal(descriptor.Events.Select(e => e.EventId).Order(), ids.Values.Order());
        }
        // Protocols with events and no named class would be missed above.
        var named = groups.Select(g => g.Protocol).ToHashSet();
        Assert.All(ProtocolCatalogs.Default.Protocols.Where(p => p.Events.Length > 0), p => Assert.Contains(p.Id, named));
    }

    public static TheoryData<string> CommandClasses()
    {
        var data = new TheoryData<string>();
        foreach (var name in typeof(ScmiCommands).GetNestedTypes().Select(t => t.Name).Append(nameof(ImxBbm)).Append(nameof(ImxMisc))) data.Add(name);
        return data;
    }

    /// <summary>
    /// No two commands of one protocol, the three common ones included, share a message id: the
    /// spec gives each its own. (No exception exists today; one would be listed here.)
    /// </summary>
    [Theory]
    [MemberData(nameof(CommandClasses))]
    public void Commands_of_one_protocol_have_distinct_ids(string protocol)
    {
        var type = protocol switch
        {
            nameof(ImxBbm) => typeof(ImxBbm.Commands),
            nameof(ImxMisc) => typeof(ImxMisc.Commands),
            _ => typeof(ScmiCommands).GetNestedType(protocol)!,
        };
        var ids = ConstantsOf(type).ToList();
        if (type != typeof(ScmiCommands.Common)) ids.AddRange(ConstantsOf(typeof(ScmiCommands.Common)));
        var shared = ids.GroupBy(kv => kv.Value).Where(g => g.Count() > 1)
            .Select(g => $"0x{g.Key:X}: {string.Join(", ", g.Select(kv => kv.Key))}");
        Assert.Empty(shared);
    }

    [Fact]
    public void Events_of_one_protocol_have_distinct_ids_numbered_from_zero()
    {
        foreach (var type in typeof(ScmiEvents).GetNestedTypes().Append(typeof(ImxBbm.Events)).Append(typeof(ImxMisc.Events)))
        {
            var ids = ConstantsOf(type).Values.Order().ToList();
            Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => (byte)i), ids);
        }
    }

    [Fact]
    public void Every_notify_command_of_a_descriptor_is_a_named_command_of_its_protocol()
    {
        var protocols = ConstantsOf(typeof(ScmiProtocolId));
        var commands = typeof(ScmiCommands).GetNestedTypes().Where(t => t != typeof(ScmiCommands.Common))
            .ToDictionary(t => protocols[t.Name], t => ConstantsOf(t).Values.ToHashSet());
        commands[ImxBbm.ProtocolId] = ConstantsOf(typeof(ImxBbm.Commands)).Values.ToHashSet();
        commands[ImxMisc.ProtocolId] = ConstantsOf(typeof(ImxMisc.Commands)).Values.ToHashSet();
        foreach (var descriptor in ProtocolCatalogs.Default.Protocols)
        foreach (var e in descriptor.Events)
            Assert.Contains(e.NotifyMessageId, commands[descriptor.Id]);
    }

    /// <summary>
    /// The one place the spec's numbers are written out (SCMI-NOTES.md §2.3, §2.4; DEN0056), so a
    /// constant changed by mistake fails here and not silently everywhere it is used.
    /// </summary>
    [Fact]
    public void Constants_have_the_spec_numbers()
    {
        byte[] expected =
        [
            0x0, 0x1, 0x2,
            0x3, 0x4, 0x5, 0x6, 0x7, 0x8,
            0x3, 0x5, 0x6,
            0x5,
            0x3, 0x5, 0x6, 0x8, 0x9, 0xA,
            0x3, 0x6, 0x9, 0xA,
            0x3, 0x4, 0x5, 0x6, 0x7, 0xB,
            0x3, 0x5,
            0x3, 0x4, 0x6, 0x9, 0xA, 0xB,
            0xA, 0xB,
            0x8,
            0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1,
            0,
        ];
        byte[] named =
        [
            ScmiCommands.Common.ProtocolVersion, ScmiCommands.Common.ProtocolAttributes, ScmiCommands.Common.ProtocolMessageAttributes,
            ScmiCommands.Base.DiscoverVendor, ScmiCommands.Base.DiscoverSubVendor, ScmiCommands.Base.DiscoverImplementationVersion,
            ScmiCommands.Base.DiscoverListProtocols, ScmiCommands.Base.DiscoverAgent, ScmiCommands.Base.NotifyErrors,
            ScmiCommands.Power.DomainAttributes, ScmiCommands.Power.StateGet, ScmiCommands.Power.StateNotify,
            ScmiCommands.System.PowerStateNotify,
            ScmiCommands.Perf.DomainAttributes, ScmiCommands.Perf.LimitsSet, ScmiCommands.Perf.LimitsGet, ScmiCommands.Perf.LevelGet,
            ScmiCommands.Perf.NotifyLimits, ScmiCommands.Perf.NotifyLevel,
            ScmiCommands.Clock.Attributes, ScmiCommands.Clock.RateGet, ScmiCommands.Clock.RateNotify, ScmiCommands.Clock.RateChangeRequestedNotify,
            ScmiCommands.Sensor.DescriptionGet, ScmiCommands.Sensor.TripPointNotify, ScmiCommands.Sensor.TripPointConfig,
            ScmiCommands.Sensor.ReadingGet, ScmiCommands.Sensor.AxisDescriptionGet, ScmiCommands.Sensor.ContinuousUpdateNotify,
            ScmiCommands.Reset.DomainAttributes, ScmiCommands.Reset.Notify,
            ScmiCommands.Powercap.DomainAttributes, ScmiCommands.Powercap.CapGet, ScmiCommands.Powercap.PaiGet,
            ScmiCommands.Powercap.MeasurementsGet, ScmiCommands.Powercap.CapNotify, ScmiCommands.Powercap.MeasurementsNotify,
            ImxBbm.Commands.RtcNotify, ImxBbm.Commands.ButtonNotify,
            ImxMisc.Commands.ControlNotify,
            ScmiEvents.Base.ErrorEvent, ScmiEvents.Power.StateChanged, ScmiEvents.System.PowerStateNotifier,
            ScmiEvents.Perf.LimitsChanged, ScmiEvents.Perf.LevelChanged, ScmiEvents.Clock.RateChanged, ScmiEvents.Clock.RateChangeRequested,
            ScmiEvents.Sensor.TripPointEvent, ScmiEvents.Sensor.Update, ScmiEvents.Reset.Issued,
            ScmiEvents.Powercap.CapChanged, ScmiEvents.Powercap.MeasurementsChanged, ImxBbm.Events.Rtc, ImxBbm.Events.Button,
            ImxMisc.Events.Control,
        ];
        Assert.Equal(expected, named);
        // Every constant is in the list above: adding one without its spec number fails here.
        var all = typeof(ScmiCommands).GetNestedTypes().Concat(typeof(ScmiEvents).GetNestedTypes())
            .Append(typeof(ImxBbm.Commands)).Append(typeof(ImxBbm.Events))
            .Append(typeof(ImxMisc.Commands)).Append(typeof(ImxMisc.Events)).Sum(t => ConstantsOf(t).Count);
        Assert.Equal(named.Length, all);
    }

    private static Dictionary<string, byte> ConstantsOf(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(byte))
            .ToDictionary(f => f.Name, f => (byte)f.GetRawConstantValue()!);
}
