using Akka.Configuration;
using ScmiActors.Platform;
using ScmiActors.Tests.Cli;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using ScmiActors.Wire.Protocols;
using Xunit;

namespace ScmiActors.Tests.Description;

public class PlatformDescriptionLoaderTests
{
    private static Config PlatformsConf() => ConfigurationFactory.ParseString(File.ReadAllText(RepoPaths.PlatformsConf));

    // Akka's HOCON parser (1.5.74) rejects a comma after an object value ("a { } , b { }"), so the
    // snippets below separate protocols with newlines.
    private static PlatformDescription One(string protocols, string transport = "") =>
        PlatformDescriptionLoader.Parse($"scmi.platforms.p {{ {transport} protocols {{ {protocols} }} }}");

    private static string Rejects(string protocols)
    {
        var e = Assert.Throws<PlatformDescriptionException>(() => One(protocols));
        return e.Message;
    }

    [Fact]
    public void Example_file_lists_its_platforms_in_file_order()
    {
        var config = PlatformsConf();
        Assert.Equal(["soc0", "imx95"], PlatformDescriptionLoader.PlatformIds(config));
        var all = PlatformDescriptionLoader.LoadAll(config);
        Assert.Equal(["soc0", "imx95"], all.Select(p => p.PlatformId));
    }

    [Fact]
    public void Soc0_protocols_versions_and_sources()
    {
        var soc0 = PlatformDescriptionLoader.Load(PlatformsConf(), "soc0");
        Assert.Equal("soc0", soc0.PlatformId);
        Assert.Equal("emulated", soc0.Transport);
        Assert.Equal(
            [ScmiProtocolId.Base, ScmiProtocolId.Power, ScmiProtocolId.System, ScmiProtocolId.Perf, ScmiProtocolId.Clock,
             ScmiProtocolId.Sensor, ScmiProtocolId.Reset, ScmiProtocolId.Powercap],
            soc0.Protocols.Keys);

        Assert.Equal(new ProtocolVersion(2, 0), soc0.Find(ScmiProtocolId.Base)!.Version);
        Assert.Equal(new ProtocolVersion(2, 0), soc0.Find(ScmiProtocolId.System)!.Version);
        Assert.Equal(new ProtocolVersion(4, 0), soc0.Find(ScmiProtocolId.Perf)!.Version);
        Assert.Equal(new ProtocolVersion(3, 0), soc0.Find(ScmiProtocolId.Power)!.Version);

        Assert.Equal(8u, soc0.Find(ScmiProtocolId.Power)!.SourceCount);
        Assert.Equal(4u, soc0.Find(ScmiProtocolId.Perf)!.SourceCount);
        Assert.Equal(8u, soc0.Find(ScmiProtocolId.Clock)!.SourceCount);
        Assert.Equal(8u, soc0.Find(ScmiProtocolId.Sensor)!.SourceCount);
        Assert.Equal(8u, soc0.Find(ScmiProtocolId.Reset)!.SourceCount);
        Assert.Equal(4u, soc0.Find(ScmiProtocolId.Powercap)!.SourceCount);
        // Base and system have no source count key: their events have one fixed source.
        Assert.Equal(0u, soc0.Find(ScmiProtocolId.Base)!.SourceCount);
        Assert.Equal(1u, StandardProtocols.System.Events[0].SourceCount(soc0.Find(ScmiProtocolId.System)!));
        Assert.Null(soc0.Find(ScmiProtocolId.Voltage));
    }

    [Fact]
    public void Soc0_sensor_axes_and_powercap_thresholds()
    {
        var soc0 = PlatformDescriptionLoader.Load(PlatformsConf(), "soc0");
        var sensor = soc0.Find(ScmiProtocolId.Sensor)!;
        Assert.Equal(3, sensor.AxesOf(5));
        Assert.Equal(1, sensor.AxesOf(0));
        Assert.Equal(1, sensor.AxesOf(7));
        Assert.Single(sensor.SensorAxes);
        Assert.Equal((1000u, 5000u), soc0.Find(ScmiProtocolId.Powercap)!.MeasurementThresholds);
        Assert.Null(soc0.Find(ScmiProtocolId.Perf)!.MeasurementThresholds);
        Assert.Null(soc0.Find(ScmiProtocolId.Perf)!.QueueBytes);
        Assert.Empty(soc0.Find(ScmiProtocolId.Perf)!.CannotNotify);
    }

    [Fact]
    public void Imx95_has_the_vendor_protocols()
    {
        var imx95 = PlatformDescriptionLoader.Load(PlatformsConf(), "imx95");
        Assert.Equal([ScmiProtocolId.Base, ScmiProtocolId.Perf, ScmiProtocolId.Sensor, Wire.Vendor.ImxBbm.ProtocolId, Wire.Vendor.ImxMisc.ProtocolId],
            imx95.Protocols.Keys);
        Assert.Equal(8u, imx95.Find(ScmiProtocolId.Perf)!.SourceCount);
        var bbm = imx95.Find(Wire.Vendor.ImxBbm.ProtocolId)!;
        Assert.Equal((new ProtocolVersion(1, 0), 2u), (bbm.Version, bbm.SourceCount)); // 2 RTCs
        var misc = imx95.Find(Wire.Vendor.ImxMisc.ProtocolId)!;
        Assert.Equal((new ProtocolVersion(1, 1), 2u, 4u), (misc.Version, misc.SourceCount, misc.CountOf(Wire.Vendor.ImxMisc.BoardControlsKey)));
    }

    [Fact]
    public void Imx_counts_default_to_one_rtc_and_no_board_controls()
    {
        var bbm = One("imx-bbm { version = \"1.0\" }").Find(Wire.Vendor.ImxBbm.ProtocolId)!;
        Assert.Equal(1u, bbm.SourceCount);
        Assert.Equal(3u, Wire.Vendor.ImxBbm.Descriptor.Events[0].SourceCount(bbm));
        var misc = One("imx-misc { device-controls = 3 }").Find(Wire.Vendor.ImxMisc.ProtocolId)!;
        Assert.Equal((3u, 0u), (misc.SourceCount, misc.CountOf(Wire.Vendor.ImxMisc.BoardControlsKey)));
        Assert.Contains("'device-controls' is required", Rejects("imx-misc { board-controls = 2 }"));
        Assert.Contains("imx-misc.board-controls: -1 must be between 0 and", Rejects("imx-misc { device-controls = 1, board-controls = -1 }"));
    }

    [Fact]
    public void No_notify_of_imx_events_uses_their_own_source_counts()
    {
        // RTC 1 updated is source 5 with 2 RTCs; board control 0x8001 is source 3 after 2 device controls.
        var p = One("imx-bbm { rtcs = 2, no-notify { BBM_RTC_EVENT = [5] } }\n imx-misc { device-controls = 2, board-controls = 2, no-notify { MISC_CONTROL_EVENT = [3] } }");
        Assert.False(p.Find(Wire.Vendor.ImxBbm.ProtocolId)!.CanNotify(Wire.Vendor.ImxBbm.Events.Rtc, 5));
        Assert.False(p.Find(Wire.Vendor.ImxMisc.ProtocolId)!.CanNotify(Wire.Vendor.ImxMisc.Events.Control, 3));
        Assert.Contains("source 6 out of range (0..5)", Rejects("imx-bbm { rtcs = 2, no-notify { BBM_RTC_EVENT = [6] } }"));
        Assert.Contains("source 4 out of range (0..3)", Rejects("imx-misc { device-controls = 2, board-controls = 2, no-notify { MISC_CONTROL_EVENT = [4] } }"));
    }

    [Fact]
    public void Parse_without_id_takes_the_first_platform()
    {
        var text = File.ReadAllText(RepoPaths.PlatformsConf);
        Assert.Equal("soc0", PlatformDescriptionLoader.Parse(text).PlatformId);
        Assert.Equal("imx95", PlatformDescriptionLoader.Parse(text, "imx95").PlatformId);
    }

    [Fact]
    public void Defaults_version_1_0_and_transport_in_memory()
    {
        var p = One("perf { domains = 2 }");
        Assert.Equal("in-memory", p.Transport);
        Assert.Equal(new ProtocolVersion(1, 0), p.Find(ScmiProtocolId.Perf)!.Version);
        Assert.Equal("loopback", One("perf { domains = 2 }", "transport = loopback,").Transport);
        Assert.Empty(PlatformDescriptionLoader.Parse("scmi.platforms.p { transport = emulated }").Protocols);
    }

    [Fact]
    public void Versions_with_and_without_minor()
    {
        Assert.Equal(new ProtocolVersion(2, 1), One("system { version = \"2.1\" }").Find(ScmiProtocolId.System)!.Version);
        Assert.Equal(new ProtocolVersion(3, 0), One("system { version = \"3\" }").Find(ScmiProtocolId.System)!.Version);
        Assert.Contains("is not major.minor", Rejects("system { version = \"two\" }"));
        Assert.Contains("is not major.minor", Rejects("system { version = \"1.2.3\" }"));
    }

    [Fact]
    public void No_notify_is_parsed_per_event_and_source()
    {
        var perf = One("perf { domains = 4, no-notify { PERFORMANCE_LEVEL_CHANGED = [1, 3] } }").Find(ScmiProtocolId.Perf)!;
        Assert.False(perf.CanNotify(1, 1));
        Assert.False(perf.CanNotify(1, 3));
        Assert.True(perf.CanNotify(1, 0));
        Assert.True(perf.CanNotify(1, 2));
        Assert.True(perf.CanNotify(0, 1)); // PERFORMANCE_LIMITS_CHANGED is not listed
        Assert.Equal([1u, 3u], perf.CannotNotify[1].Order());

        // Fixed-source events: system has one source, 0.
        var system = One("system { version = \"2.0\", no-notify { SYSTEM_POWER_STATE_NOTIFIER = [0] } }").Find(ScmiProtocolId.System)!;
        Assert.False(system.CanNotify(0, 0));
    }

    [Fact]
    public void Queue_bytes_and_thresholds_are_parsed()
    {
        var p = One("perf { domains = 1, queue-bytes = 8192 }\n powercap { domains = 2, measurement-thresholds = [10, 20] }");
        Assert.Equal(8192, p.Find(ScmiProtocolId.Perf)!.QueueBytes);
        Assert.Equal((10u, 20u), p.Find(ScmiProtocolId.Powercap)!.MeasurementThresholds);
        Assert.Contains("below the minimum of 64", Rejects("perf { domains = 1, queue-bytes = 63 }"));
        Assert.Contains("expected [low, high]", Rejects("powercap { domains = 1, measurement-thresholds = [10] }"));
        Assert.Contains("both zero", Rejects("powercap { domains = 1, measurement-thresholds = [0, 0] }"));
        Assert.Contains("only powercap", Rejects("perf { domains = 1, measurement-thresholds = [1, 2] }"));
    }

    [Fact]
    public void A_rate_limit_is_per_protocol_and_at_least_one_per_second()
    {
        var p = One("perf { domains = 1, rate-limit = 500 }\n sensor { sensors = 1 }");
        Assert.Equal(500, p.Find(ScmiProtocolId.Perf)!.RateLimit);
        Assert.Null(p.Find(ScmiProtocolId.Sensor)!.RateLimit);
        Assert.Contains("perf.rate-limit: 0 notifications per second; at least 1", Rejects("perf { domains = 1, rate-limit = 0 }"));
    }

    [Fact]
    public void Sensor_axes_at_the_limits()
    {
        var sensor = One("sensor { sensors = 4, axes { \"0\" = 1, \"3\" = 63 } }").Find(ScmiProtocolId.Sensor)!;
        Assert.Equal(1, sensor.AxesOf(0));
        Assert.Equal(63, sensor.AxesOf(3));
    }

    // ---- errors: each names the HOCON path and the reason -------------------------------------

    [Fact]
    public void Unknown_protocol_name()
    {
        var message = Rejects("perf { domains = 1 }\n warp-drive { domains = 1 }");
        Assert.Contains("scmi.platforms.p.protocols.warp-drive: unknown protocol", message);
        Assert.Contains("perf", message); // lists the known ones
        Assert.Contains("imx-bbm", message);
    }

    [Theory]
    [InlineData("power { domains = -1 }", "scmi.platforms.p.protocols.power.domains: -1 must be between 0 and")]
    [InlineData("clock { clocks = -8 }", "scmi.platforms.p.protocols.clock.clocks: -8 must be between 0 and")]
    [InlineData("sensor { sensors = -2 }", "scmi.platforms.p.protocols.sensor.sensors: -2 must be between 0 and")]
    [InlineData("powercap { domains = 5000000000 }", "scmi.platforms.p.protocols.powercap.domains: 5000000000 must be between 0 and")]
    public void Negative_or_too_large_counts(string protocols, string expected) =>
        Assert.Contains(expected, Rejects(protocols));

    [Theory]
    [InlineData("sensor { sensors = 4, axes { \"4\" = 2 } }", "axes.\"4\": sensor id out of range (the platform has 4 sensors)")]
    [InlineData("sensor { sensors = 0, axes { \"0\" = 2 } }", "axes.\"0\": sensor id out of range (the platform has 0 sensors)")]
    [InlineData("sensor { sensors = 4, axes { \"-1\" = 2 } }", "sensor id out of range")]
    [InlineData("sensor { sensors = 4, axes { temp = 2 } }", "axes.\"temp\": sensor id out of range")]
    public void Axes_for_a_sensor_out_of_range(string protocols, string expected) =>
        Assert.Contains(expected, Rejects(protocols));

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(-3)]
    public void Axes_count_outside_1_to_63(int count) =>
        Assert.Contains($"scmi.platforms.p.protocols.sensor.axes.\"5\": {count} axes, must be 1..63",
            Rejects($"sensor {{ sensors = 8, axes {{ \"5\" = {count} }} }}"));

    [Fact]
    public void Axes_on_another_protocol() =>
        Assert.Contains("only the sensor protocol has axes", Rejects("perf { domains = 4, axes { \"0\" = 2 } }"));

    [Theory]
    [InlineData("power { version = \"3.0\" }", "scmi.platforms.p.protocols.power: 'domains' is required")]
    [InlineData("perf { }", "scmi.platforms.p.protocols.perf: 'domains' is required")]
    [InlineData("clock { domains = 8 }", "scmi.platforms.p.protocols.clock: 'clocks' is required")]
    [InlineData("sensor { axes { \"0\" = 2 } }", "scmi.platforms.p.protocols.sensor: 'sensors' is required")]
    [InlineData("reset { }", "'domains' is required")]
    [InlineData("powercap { }", "'domains' is required")]
    public void Missing_source_count(string protocols, string expected) =>
        Assert.Contains(expected, Rejects(protocols));

    [Fact]
    public void Unknown_event_in_no_notify()
    {
        var message = Rejects("perf { domains = 4, no-notify { CLOCK_RATE_CHANGED = [0] } }");
        Assert.Contains("scmi.platforms.p.protocols.perf.no-notify.CLOCK_RATE_CHANGED: perf has no such event", message);
    }

    [Theory]
    [InlineData("perf { domains = 4, no-notify { PERFORMANCE_LEVEL_CHANGED = [4] } }",
        "scmi.platforms.p.protocols.perf.no-notify.PERFORMANCE_LEVEL_CHANGED: source 4 out of range (0..3)")]
    [InlineData("base { no-notify { BASE_ERROR_EVENT = [1] } }",
        "scmi.platforms.p.protocols.base.no-notify.BASE_ERROR_EVENT: source 1 out of range (0..0)")]
    [InlineData("perf { domains = 4, no-notify { PERFORMANCE_LEVEL_CHANGED = [-1] } }",
        "scmi.platforms.p.protocols.perf.no-notify.PERFORMANCE_LEVEL_CHANGED: -1 must be between 0 and")]
    public void Source_out_of_range_in_no_notify(string protocols, string expected) =>
        Assert.Contains(expected, Rejects(protocols));

    [Fact]
    public void Protocol_listed_twice_under_two_spellings() =>
        Assert.Contains("listed twice", Rejects("perf { domains = 1 }\n PERF { domains = 2 }"));

    [Fact]
    public void Unknown_platform_and_empty_or_broken_files()
    {
        Assert.Contains("scmi.platforms.nope: no such platform (known: soc0, imx95)",
            Assert.Throws<PlatformDescriptionException>(() => PlatformDescriptionLoader.Load(PlatformsConf(), "nope")).Message);
        Assert.Contains("no platform under scmi.platforms",
            Assert.Throws<PlatformDescriptionException>(() => PlatformDescriptionLoader.Parse("a = 1")).Message);
        Assert.Contains("not valid HOCON",
            Assert.Throws<PlatformDescriptionException>(() => PlatformDescriptionLoader.Parse("scmi.platforms.p { transport = ${nope} }")).Message);
        Assert.Empty(PlatformDescriptionLoader.PlatformIds(ConfigurationFactory.ParseString("a = 1")));
    }

    [Theory]
    [InlineData("scmi.platforms.x = 5", "scmi.platforms.x: expected an object")]
    [InlineData("scmi.platforms.\"\" { }", "a platform id must not be empty")]
    [InlineData("scmi.platforms.x { protocols = 5 }", "scmi.platforms.x.protocols: expected an object of protocols")]
    public void A_platform_that_is_not_an_object_or_has_no_id_is_refused(string hocon, string expected) =>
        Assert.Contains(expected, Assert.Throws<PlatformDescriptionException>(() => PlatformDescriptionLoader.Parse(hocon)).Message);

    // Akka resolves each of these to a value that leads back to itself; reading it overflowed the
    // stack and killed the process (found by the config fuzz target). Refused with one line instead.
    [Theory]
    [InlineData("scmi.platforms.p { transport = ${scmi.platforms.p.transport} }", "scmi.platforms.p.transport")]
    [InlineData("scmi.platforms.p { protocols { perf { domains = ${b} } } }\nb = ${c}\nc = ${b}", "b")]
    [InlineData("scmi.platforms.p { protocols { perf { domains = 4 } } }\na { b { c = ${a} } }", "a")]
    [InlineData("scmi.platforms.p { x = ${scmi.platforms} }", "scmi.platforms")]
    public void A_substitution_that_leads_back_to_itself_is_refused(string hocon, string substitution)
    {
        var e = Assert.Throws<PlatformDescriptionException>(() => PlatformDescriptionLoader.Parse(hocon));
        Assert.Equal($"not valid HOCON: the substitution ${{{substitution}}} refers back to itself", e.Message);
    }

    [Theory]
    [InlineData("a = 1\nb = ${a}\nc { d = ${b}, e = [${b}, ${c.d}] }")]
    [InlineData("base { x = 1 }\none = ${base}\ntwo = ${one}\nthree = [${one}, ${two}]")]
    public void Substitutions_without_a_cycle_pass(string hocon) =>
        Assert.Null(HoconCycles.FindSubstitutionCycle(ConfigurationFactory.ParseString(hocon)));

    [Fact]
    public void Deep_nesting_does_not_overflow_the_cycle_check()
    {
        // Iterative walk: depth costs heap, not stack.
        var depth = 2000;
        var hocon = string.Concat(Enumerable.Repeat("a { ", depth)) + "b = 1" + new string('}', depth) + "\nc = ${a.a}";
        Assert.Null(HoconCycles.FindSubstitutionCycle(ConfigurationFactory.ParseString(hocon)));
    }

    [Fact]
    public void Loaded_description_drives_the_decoder()
    {
        var soc0 = PlatformDescriptionLoader.Load(PlatformsConf(), "soc0");
        var decoder = new PlatformDecoder(soc0, ProtocolCatalogs.Default);
        // SENSOR_UPDATE of sensor 5 needs 3 axes (8 + 48 bytes); the scalar sensor 4 needs one.
        var header = ScmiHeader.Notification(ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update);
        var payload = new byte[8 + 16];
        payload[4] = 5;
        Assert.Equal(DecodeError.PayloadTooShort, decoder.Decode(header, payload, 0).Error);
        payload[4] = 4;
        Assert.True(decoder.Decode(header, payload, 0).IsSuccess);
    }
}
