using Xunit;
using static ScmiActors.Wire.Tests.Decoding;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

/// <summary>The size and source rules, run for every event through <see cref="PlatformDecoder.Decode"/>.</summary>
public class SizeAndSourceRuleTests
{
    [Theory]
    [MemberData(nameof(EventCases.Names), MemberType = typeof(EventCases))]
    public void A_valid_payload_decodes_to_a_report_of_that_event(string name)
    {
        var c = EventCases.Get(name);
        var result = Decode(c.Protocol, c.Event, c.Build(0));
        Assert.True(result.IsSuccess, result.ToString());
        var report = result.Report!;
        Assert.Equal(c.Protocol, report.Protocol);
        Assert.Equal(c.Event, report.Event);
        Assert.Equal(TestPlatforms.PlatformId, report.PlatformId);
        Assert.Equal(Timestamp, report.TimestampNs);
        Assert.Equal(name, TestPlatforms.Decoder.FindEvent(c.Protocol, c.Event)!.Name);
    }

    [Theory]
    [MemberData(nameof(EventCases.Names), MemberType = typeof(EventCases))]
    public void One_byte_short_of_the_minimum_is_payload_too_short(string name)
    {
        var c = EventCases.Get(name);
        var payload = WireModel.Resize(c.Build(0), c.MinSize - 1);
        Rejected(Decode(c.Protocol, c.Event, payload), DecodeError.PayloadTooShort, "payload_too_short",
            name, (c.MinSize - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(EventCases.ExactSizeNames), MemberType = typeof(EventCases))]
    public void One_byte_long_of_an_exact_size_is_payload_too_long(string name)
    {
        var c = EventCases.Get(name);
        var size = c.ExactSize!.Value;
        var valid = c.Build(0);
        Assert.Equal(size, valid.Length);
        Rejected(Decode(c.Protocol, c.Event, WireModel.Resize(valid, size + 1)), DecodeError.PayloadTooLong, "payload_too_long",
            name, size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (size + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(EventCases.ExactSizeNames), MemberType = typeof(EventCases))]
    public void One_byte_short_of_an_exact_size_names_the_exact_size(string name)
    {
        var c = EventCases.Get(name);
        var size = c.ExactSize!.Value;
        Rejected(Decode(c.Protocol, c.Event, c.Build(0)[..(size - 1)]), DecodeError.PayloadTooShort, "payload_too_short",
            name, size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (size - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(EventCases.Names), MemberType = typeof(EventCases))]
    public void An_empty_payload_is_too_short(string name)
    {
        var c = EventCases.Get(name);
        Rejected(Decode(c.Protocol, c.Event, []), DecodeError.PayloadTooShort, "payload_too_short", name);
    }

    [Theory]
    [MemberData(nameof(EventCases.PerSourceNames), MemberType = typeof(EventCases))]
    public void The_last_source_is_accepted(string name)
    {
        var c = EventCases.Get(name);
        var last = c.SourceCount!.Value - 1;
        var result = Decode(c.Protocol, c.Event, c.Build(last));
        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(last, result.Report!.Source);
    }

    [Theory]
    [MemberData(nameof(EventCases.PerSourceNames), MemberType = typeof(EventCases))]
    public void The_source_equal_to_the_count_is_out_of_range(string name)
    {
        var c = EventCases.Get(name);
        var count = c.SourceCount!.Value;
        Rejected(Decode(c.Protocol, c.Event, c.Build(count)), DecodeError.SourceOutOfRange, "source_out_of_range",
            name, $"source {count}", $"{count} sources");
    }

    [Theory]
    [MemberData(nameof(EventCases.PerSourceNames), MemberType = typeof(EventCases))]
    public void A_32_bit_source_is_not_truncated_into_range(string name)
    {
        // 0x1_0000 + 1 would alias to source 1 if the id were packed in 16 bits, as Linux does.
        var c = EventCases.Get(name);
        foreach (var source in new[] { 0x0001_0001u, 0x8000_0000u, uint.MaxValue })
        {
            Rejected(Decode(c.Protocol, c.Event, c.Build(source)), DecodeError.SourceOutOfRange, "source_out_of_range",
                source.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void A_protocol_with_no_sources_rejects_every_source()
    {
        var none = TestPlatforms.Full with
        {
            Protocols = TestPlatforms.Full.Protocols.SetItem(ScmiProtocolId.Perf,
                TestPlatforms.Protocol(ScmiProtocolId.Perf) with { SourceCount = 0 }),
        };
        Rejected(Decode(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged, WireModel.PerfLevel(0, 0, 1), new PlatformDecoder(none, ProtocolCatalogs.Default)),
            DecodeError.SourceOutOfRange, "source_out_of_range", "source 0", "0 sources");
    }

    [Fact]
    public void Base_and_system_ignore_the_description_source_count()
    {
        // The test platform describes base and system with 0 sources; their events still have source 0.
        Assert.Equal(0u, TestPlatforms.Protocol(ScmiProtocolId.Base).SourceCount);
        Assert.True(Decode(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, WireModel.BaseError(0, 0, [])).IsSuccess);
        Assert.True(Decode(ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier, WireModel.SystemPower(0, 0, 0, 0)).IsSuccess);
    }

    [Fact]
    public void Sources_out_of_range_are_checked_before_the_sensor_axis_count()
    {
        // Sensor 8 does not exist; the payload is long enough for a scalar sensor.
        Rejected(Decode(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update, WireModel.SensorUpdate(0, TestPlatforms.Sensors, [(1, 1UL)])),
            DecodeError.SourceOutOfRange, "source_out_of_range", "SENSOR_UPDATE", "source 8");
    }
}
