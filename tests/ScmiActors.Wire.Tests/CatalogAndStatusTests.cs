using System.Collections.Immutable;
using ScmiActors.Wire.Protocols;
using ScmiActors.Wire.Vendor;
using Xunit;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Wire.Tests;

public class ScmiStatusTests
{
    [Theory]
    [InlineData(ScmiStatus.Success, 0, "SUCCESS")]
    [InlineData(ScmiStatus.NotSupported, -1, "NOT_SUPPORTED")]
    [InlineData(ScmiStatus.InvalidParameters, -2, "INVALID_PARAMETERS")]
    [InlineData(ScmiStatus.Denied, -3, "DENIED")]
    [InlineData(ScmiStatus.NotFound, -4, "NOT_FOUND")]
    [InlineData(ScmiStatus.OutOfRange, -5, "OUT_OF_RANGE")]
    [InlineData(ScmiStatus.Busy, -6, "BUSY")]
    [InlineData(ScmiStatus.CommsError, -7, "COMMS_ERROR")]
    [InlineData(ScmiStatus.GenericError, -8, "GENERIC_ERROR")]
    [InlineData(ScmiStatus.HardwareError, -9, "HARDWARE_ERROR")]
    [InlineData(ScmiStatus.ProtocolError, -10, "PROTOCOL_ERROR")]
    [InlineData(ScmiStatus.InUse, -11, "IN_USE")]
    public void Status_values_and_names(ScmiStatus status, int value, string name)
    {
        Assert.Equal(value, (int)status);
        Assert.Equal(name, status.ToScmiName());
        Assert.Equal(status, (ScmiStatus)value);
    }

    [Theory]
    [InlineData(-12)]
    [InlineData(1)]
    [InlineData(int.MinValue)]
    public void An_undefined_status_is_named_by_its_number(int value)
    {
        Assert.Equal($"STATUS({value})", ((ScmiStatus)value).ToScmiName());
    }
}

public class ProtocolVersionTests
{
    [Theory]
    [InlineData("2.0", 2, 0)]
    [InlineData("1", 1, 0)]
    [InlineData(" 3.1 ", 3, 1)]
    [InlineData("2.10", 2, 10)]
    [InlineData("65535.65535", 65535, 65535)]
    public void Parses_major_and_optional_minor(string text, int major, int minor)
    {
        Assert.True(ProtocolVersion.TryParse(text, out var version));
        Assert.Equal(new ProtocolVersion((ushort)major, (ushort)minor), version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two")]
    [InlineData("1.2.3")]
    [InlineData("2.")]
    [InlineData("2.x")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("1.-1")]
    public void Rejects_malformed_text(string text)
    {
        Assert.False(ProtocolVersion.TryParse(text, out var version));
        Assert.Equal(default, version);
    }

    [Fact]
    public void Raw_is_major_in_bits_31_16_and_minor_in_15_0()
    {
        var v = ProtocolVersion.FromRaw(0x0002_0001);
        Assert.Equal(2, v.Major);
        Assert.Equal(1, v.Minor);
        Assert.Equal(0x0002_0001u, v.Raw);
        Assert.Equal(0xFFFF_0000u, new ProtocolVersion(0xFFFF, 0).Raw);
        Assert.Equal("2.1", v.ToString());
    }

    [Fact]
    public void Versions_order_by_major_then_minor()
    {
        Assert.True(new ProtocolVersion(1, 9).CompareTo(new ProtocolVersion(2, 0)) < 0);
        Assert.True(new ProtocolVersion(2, 1).CompareTo(new ProtocolVersion(2, 0)) > 0);
        Assert.Equal(0, new ProtocolVersion(3, 2).CompareTo(ProtocolVersion.FromRaw(0x0003_0002)));
    }
}

public class ProtocolCatalogTests
{
    [Theory]
    [InlineData(ScmiProtocolId.Base, "base", 1)]
    [InlineData(ScmiProtocolId.Power, "power", 1)]
    [InlineData(ScmiProtocolId.System, "system", 1)]
    [InlineData(ScmiProtocolId.Perf, "perf", 2)]
    [InlineData(ScmiProtocolId.Clock, "clock", 2)]
    [InlineData(ScmiProtocolId.Sensor, "sensor", 2)]
    [InlineData(ScmiProtocolId.Reset, "reset", 1)]
    [InlineData(ScmiProtocolId.Voltage, "voltage", 0)]
    [InlineData(ScmiProtocolId.Powercap, "powercap", 2)]
    [InlineData(ScmiProtocolId.Pinctrl, "pinctrl", 0)]
    public void Standard_protocols_are_found_by_id_and_by_name(byte id, string name, int events)
    {
        var byId = ProtocolCatalogs.Standard.Find(id);
        Assert.NotNull(byId);
        Assert.Equal(name, byId.Name);
        Assert.Equal(id, byId.Id);
        Assert.Equal(events, byId.Events.Length);
        Assert.Same(byId, ProtocolCatalogs.Standard.Find(name));
        Assert.Same(byId, ProtocolCatalogs.Standard.Find(name.ToUpperInvariant()));
        Assert.Same(byId, ProtocolCatalogs.Default.Find(id));
    }

    [Fact]
    public void Unknown_ids_and_names_are_not_found()
    {
        Assert.Null(ProtocolCatalogs.Default.Find((byte)0x20));
        Assert.Null(ProtocolCatalogs.Default.Find((byte)0xFF));
        Assert.Null(ProtocolCatalogs.Default.Find("telemetry"));
        Assert.Null(ProtocolCatalogs.Standard.Find(ImxBbm.ProtocolId));
        Assert.Null(ProtocolCatalogs.Standard.Find("imx-bbm"));
    }

    [Fact]
    public void Default_is_standard_plus_imx_bbm_and_misc()
    {
        Assert.Equal(10, ProtocolCatalogs.Standard.Protocols.Count());
        Assert.Equal(12, ProtocolCatalogs.Default.Protocols.Count());
        Assert.Same(ImxBbm.Descriptor, ProtocolCatalogs.Default.Find(ImxBbm.ProtocolId));
        Assert.Same(ImxBbm.Descriptor, ProtocolCatalogs.Default.Find("IMX-BBM"));
        Assert.Same(ImxMisc.Descriptor, ProtocolCatalogs.Default.Find(ImxMisc.ProtocolId));
        Assert.Same(ImxMisc.Descriptor, ProtocolCatalogs.Default.Find("imx-misc"));
        Assert.Null(ProtocolCatalogs.Standard.Find(ImxMisc.ProtocolId));
    }

    [Fact]
    public void Standard_queue_sizes_and_source_keys()
    {
        Assert.Equal(16384, ProtocolCatalogs.Standard.Find(ScmiProtocolId.Base)!.DefaultQueueSize);
        Assert.Equal(4096, ProtocolCatalogs.Standard.Find(ScmiProtocolId.Perf)!.DefaultQueueSize);
        Assert.Equal("domains", ProtocolCatalogs.Standard.Find(ScmiProtocolId.Power)!.SourceCountKey);
        Assert.Equal("clocks", ProtocolCatalogs.Standard.Find(ScmiProtocolId.Clock)!.SourceCountKey);
        Assert.Equal("sensors", ProtocolCatalogs.Standard.Find(ScmiProtocolId.Sensor)!.SourceCountKey);
        Assert.Null(ProtocolCatalogs.Standard.Find(ScmiProtocolId.System)!.SourceCountKey);
    }

    [Fact]
    public void With_adds_a_vendor_protocol_and_leaves_the_original_unchanged()
    {
        var vendor = VendorProtocol(0x90, "acme");
        var extended = ProtocolCatalogs.Default.With(vendor);
        Assert.Same(vendor, extended.Find((byte)0x90));
        Assert.Same(vendor, extended.Find("ACME"));
        Assert.Equal(13, extended.Protocols.Count());
        Assert.Null(ProtocolCatalogs.Default.Find((byte)0x90));
        Assert.Null(ProtocolCatalogs.Default.Find("acme"));
        Assert.Same(ProtocolCatalogs.Default.Find(ScmiProtocolId.Perf), extended.Find(ScmiProtocolId.Perf));
    }

    [Fact]
    public void With_replaces_a_vendor_protocol_of_the_same_id()
    {
        var first = ProtocolCatalogs.Default.With(VendorProtocol(0x90, "acme"));
        var renamed = VendorProtocol(0x90, "acme-v2");
        var second = first.With(renamed);
        Assert.Same(renamed, second.Find((byte)0x90));
        Assert.Same(renamed, second.Find("acme-v2"));
        Assert.Null(second.Find("acme"));
        Assert.Equal(13, second.Protocols.Count());
    }

    [Theory]
    [InlineData("perf", "0x13")]
    [InlineData("PERF", "0x13")]
    [InlineData("imx-bbm", "0x81")]
    public void With_rejects_a_name_already_used_by_another_id(string name, string existingId)
    {
        // The message names the protocol that already holds the name (not a generic duplicate-key error).
        var ex = Assert.Throws<ArgumentException>(() => ProtocolCatalogs.Default.With(VendorProtocol(0x90, name)));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Contains(existingId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vendor_protocol_added_with_With_is_decoded()
    {
        var catalog = ProtocolCatalogs.Default.With(VendorProtocol(0x90, "acme"));
        var description = TestPlatforms.Full with
        {
            Protocols = TestPlatforms.Full.Protocols.Add(0x90, PlatformProtocol.Create(0x90, new ProtocolVersion(1, 0), 2)),
        };
        var decoder = new PlatformDecoder(description, catalog);
        Assert.Same(catalog.Find((byte)0x90), decoder.FindProtocol(0x90));
        var result = decoder.Decode(WireModel.Header(0x90, 0), WireModel.Words(1, 42), Decoding.Timestamp);
        var report = Decoding.Ok<AcmeReport>(result);
        Assert.Equal(42u, report.Value);
        Assert.Equal(1u, report.Source);
        var rejected = decoder.Decode(WireModel.Header(0x90, 0), WireModel.Words(2, 42), Decoding.Timestamp);
        Assert.Equal(DecodeError.SourceOutOfRange, rejected.Error);
    }

    [Fact]
    public void PlatformDecoder_finds_protocols_and_events_of_its_description_only()
    {
        var decoder = new PlatformDecoder(TestPlatforms.Minimal, ProtocolCatalogs.Default);
        Assert.Same(StandardProtocols.Perf, decoder.FindProtocol(ScmiProtocolId.Perf));
        Assert.Null(decoder.FindProtocol(ScmiProtocolId.Clock));
        Assert.Equal(StandardProtocols.PerformanceLevelChanged, decoder.FindEvent(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged)!.Name);
        Assert.Null(decoder.FindEvent(ScmiProtocolId.Perf, 2));
        Assert.Null(decoder.FindEvent(ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged));
        Assert.Same(TestPlatforms.Minimal, decoder.Description);
    }

    internal static ProtocolDescriptor VendorProtocol(byte id, string name) => new(id, name,
    [
        new EventDescriptor(id, 0, "ACME_EVENT", 8, 0x7,
            (ReadOnlySpan<byte> p, in DecodeContext c) =>
            {
                if (!Payload.IsExactly(p, 8, "ACME_EVENT", out var bad)) return bad;
                var source = Payload.U32(p, 0);
                if (!Payload.InRange(source, c.Protocol.SourceCount, "ACME_EVENT", out bad)) return bad;
                return DecodeResult.Ok(new AcmeReport(c.PlatformId, id, source, c.TimestampNs, Payload.U32(p, 4)));
            },
            Payload.NotifyPerSource),
    ]);

    public sealed record AcmeReport(string PlatformId, byte Proto, uint Src, long TimestampNs, uint Value)
        : ScmiReport(PlatformId, Proto, 0, Src, TimestampNs, 0);
}

public class ProtocolDescriptorTests
{
    private static EventDescriptor Evt(byte protocol, byte id) =>
        new(protocol, id, $"E{id}", 4, 1, (ReadOnlySpan<byte> _, in DecodeContext _) => default, Payload.NotifyGlobal);

    [Fact]
    public void Event_ids_with_a_gap_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ProtocolDescriptor(0x90, "gapped", [Evt(0x90, 0), Evt(0x90, 2)]));
        Assert.Contains("gapped", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_ids_must_start_at_0()
    {
        Assert.Throws<ArgumentException>(() => new ProtocolDescriptor(0x90, "late", [Evt(0x90, 1)]));
    }

    [Fact]
    public void Duplicate_event_ids_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new ProtocolDescriptor(0x90, "dup", [Evt(0x90, 0), Evt(0x90, 0)]));
    }

    [Fact]
    public void An_event_of_another_protocol_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ProtocolDescriptor(0x90, "mixed", [Evt(0x90, 0), Evt(0x91, 1)]));
        Assert.Contains("0x91", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_given_out_of_order_are_indexed_by_id()
    {
        var p = new ProtocolDescriptor(0x90, "ordered", [Evt(0x90, 2), Evt(0x90, 0), Evt(0x90, 1)]);
        Assert.Equal([0, 1, 2], p.Events.Select(e => (int)e.EventId));
        Assert.Equal("E1", p.FindEvent(1)!.Name);
        Assert.Null(p.FindEvent(3));
        Assert.Null(p.FindEvent(255));
        Assert.Equal("E2", p.FindEvent("e2")!.Name);
        Assert.Null(p.FindEvent("E9"));
    }

    [Fact]
    public void A_protocol_without_events_is_allowed()
    {
        var p = new ProtocolDescriptor(0x90, "quiet", []);
        Assert.True(p.Events.IsEmpty);
        Assert.Null(p.FindEvent(0));
        Assert.Equal(ProtocolDescriptor.DefaultQueueBytes, p.DefaultQueueSize);
    }

    [Fact]
    public void Descriptor_arguments_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new ProtocolDescriptor(0x90, "", []));
        Assert.Throws<ArgumentException>(() => new EventDescriptor(0x90, 0, "", 4, 1,
            (ReadOnlySpan<byte> _, in DecodeContext _) => default, Payload.NotifyGlobal));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDescriptor(0x90, 0, "X", -1, 1,
            (ReadOnlySpan<byte> _, in DecodeContext _) => default, Payload.NotifyGlobal));
    }

    [Fact]
    public void Standard_event_names_are_found_case_insensitively()
    {
        Assert.Equal(1, StandardProtocols.Perf.FindEvent("performance_level_changed")!.EventId);
        Assert.Equal(1, StandardProtocols.Clock.FindEvent(StandardProtocols.ClockRateChangeRequested)!.EventId);
    }
}

public class ProtocolDescriptionTests
{
    [Fact]
    public void Axes_default_to_1_and_come_from_the_sensor_map()
    {
        var sensor = TestPlatforms.Protocol(ScmiProtocolId.Sensor);
        Assert.Equal(1, sensor.AxesOf(0));
        Assert.Equal(3, sensor.AxesOf(TestPlatforms.ThreeAxisSensor));
        Assert.Equal(63, sensor.AxesOf(TestPlatforms.MaxAxisSensor));
    }

    [Fact]
    public void CanNotify_is_true_unless_the_platform_says_otherwise()
    {
        var perf = TestPlatforms.Protocol(ScmiProtocolId.Perf) with
        {
            CannotNotify = ImmutableDictionary<byte, ImmutableHashSet<uint>>.Empty.Add(1, [2u, 3u]),
        };
        Assert.True(perf.CanNotify(0, 2));
        Assert.True(perf.CanNotify(1, 1));
        Assert.False(perf.CanNotify(1, 2));
        Assert.False(perf.CanNotify(1, 3));
    }

    [Fact]
    public void Find_looks_a_protocol_up_by_id()
    {
        Assert.Equal(TestPlatforms.PerfDomains, TestPlatforms.Full.Find(ScmiProtocolId.Perf)!.SourceCount);
        Assert.Null(TestPlatforms.Minimal.Find(ScmiProtocolId.Clock));
    }
}
