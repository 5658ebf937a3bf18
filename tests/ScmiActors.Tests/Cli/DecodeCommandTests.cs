using System.Text.Json;
using ScmiActors.Cli;
using ScmiActors.Cli.Decode;
using ScmiActors.Wire.Protocols;
using Xunit;

namespace ScmiActors.Tests.Cli;

public class DecodeCommandTests
{
    private const string PerfLevelLine = "0x4F01 01000000 00000000 B0040000";
    private const string PerfLevelJson =
        """{"protocol":19,"event":"PERFORMANCE_LEVEL_CHANGED","source":0,"fields":{"agent_id":1,"domain_id":0,"performance_level":1200}}""";

    private static readonly string[] StandardEventNames =
    [
        StandardProtocols.BaseErrorEvent, StandardProtocols.PowerStateChanged, StandardProtocols.SystemPowerStateNotifier,
        StandardProtocols.PerformanceLimitsChanged, StandardProtocols.PerformanceLevelChanged,
        StandardProtocols.ClockRateChanged, StandardProtocols.ClockRateChangeRequested,
        StandardProtocols.SensorTripPointEvent, StandardProtocols.SensorUpdate, StandardProtocols.ResetIssued,
        StandardProtocols.PowercapCapChanged, StandardProtocols.PowercapMeasurementsChanged,
    ];

    private static (int ExitCode, string Output, string Error) Run(string input, string? configPath = null, string? platform = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = DecodeCommand.Run(new StringReader(input), output, error, configPath ?? RepoPaths.PlatformsConf, platform);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string output)
    {
        Assert.True(output.Length == 0 || output.EndsWith('\n'), "every object ends its line");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string ErrorCodeOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public void Perf_level_line_gives_the_exact_json()
    {
        var (exitCode, output, error) = Run(PerfLevelLine + "\n");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal(PerfLevelJson + "\n", output);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Decode_line_is_the_same_formatter()
    {
        Assert.True(DecodeCommand.TryLoadDecoder(RepoPaths.PlatformsConf, "soc0", out var decoder, out var message), message);
        Assert.Equal(PerfLevelJson, DecodeCommand.DecodeLine(decoder, PerfLevelLine));
        Assert.Null(DecodeCommand.DecodeLine(decoder, "# comment"));
        Assert.Null(DecodeCommand.DecodeLine(decoder, "   "));
    }

    [Fact]
    public void Shipped_capture_gives_one_json_object_per_message_line_in_order()
    {
        var capture = File.ReadAllLines(RepoPaths.Soc0Capture);
        var messageLines = capture.Where(l => !CaptureLine.IsSkipped(l)).ToArray();

        var (exitCode, output, error) = Run(string.Join("\n", capture));

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal(string.Empty, error);
        var outputLines = Lines(output);
        Assert.Equal(messageLines.Length, outputLines.Length);

        Assert.True(DecodeCommand.TryLoadDecoder(RepoPaths.PlatformsConf, "soc0", out var decoder, out _));
        var events = new HashSet<string>();
        var errors = new HashSet<string>();
        for (var i = 0; i < outputLines.Length; i++)
        {
            // In order: line i of the output is what line i of the messages decodes to alone.
            Assert.Equal(DecodeCommand.DecodeLine(decoder, messageLines[i]), outputLines[i]);
            using var doc = JsonDocument.Parse(outputLines[i]);
            var root = doc.RootElement;
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            if (root.TryGetProperty("event", out var evt))
            {
                events.Add(evt.GetString()!);
                Assert.Equal(JsonValueKind.Number, root.GetProperty("protocol").ValueKind);
                Assert.Equal(JsonValueKind.Number, root.GetProperty("source").ValueKind);
                Assert.Equal(JsonValueKind.Number, root.GetProperty("fields").GetProperty("agent_id").ValueKind);
            }
            else
            {
                errors.Add(root.GetProperty("error").GetString()!);
                Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("detail").GetString()));
            }
        }
        Assert.Subset(events, StandardEventNames.ToHashSet());
        Assert.Superset(StandardEventNames.ToHashSet(), events);
        Assert.Equal(
            new HashSet<string>
            {
                "payload_too_short", "payload_too_long", "unknown_protocol", "unknown_event", "source_out_of_range",
                "not_a_notification", "reserved_message_type", "bad_input_line",
            },
            errors);
    }

    [Theory]
    [InlineData("0x4F01 01000000 00000000", "payload_too_short", "PERFORMANCE_LEVEL_CHANGED needs exactly 12 payload bytes, got 8")]
    [InlineData("0x4700 01000000 03000000 00000000 00000000", "payload_too_long", "POWER_STATE_CHANGED needs exactly 12 payload bytes, got 16")]
    [InlineData("0x5F00 00000000", "unknown_protocol", "protocol 0x17 is not implemented by this platform")]
    [InlineData("0x4F02 01000000 00000000 B0040000", "unknown_event", "protocol 0x13 has no notification with id 2")]
    [InlineData("0x4F01 01000000 04000000 B0040000", "source_out_of_range", "PERFORMANCE_LEVEL_CHANGED source 4 is out of range (the platform has 4 sources)")]
    [InlineData("0x144C0A 00000000", "not_a_notification", "message type 0 is a command response, not a notification")]
    [InlineData("0x4E0A 00000000", "not_a_notification", "message type 2 is a delayed response, not a notification")]
    [InlineData("0x4D01 01000000 00000000 B0040000", "reserved_message_type", "message type 1 is reserved")]
    [InlineData("perf level 1200", "bad_input_line", "header 'perf' is not hex")]
    [InlineData("0x4F01 0100000", "bad_input_line", "payload group '0100000' has an odd number of hex digits")]
    [InlineData("0x100004F01 01000000", "bad_input_line", "header '100004F01' is wider than 32 bits")]
    [InlineData("0x 01000000", "bad_input_line", "header missing")]
    public void Each_rejection_is_an_error_object_with_code_and_detail(string line, string code, string detail)
    {
        var (exitCode, output, _) = Run(line + "\n");
        Assert.Equal(ExitCodes.Ok, exitCode);
        var json = Assert.Single(Lines(output));
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(2, doc.RootElement.EnumerateObject().Count());
        Assert.Equal(code, doc.RootElement.GetProperty("error").GetString());
        Assert.Equal(detail, doc.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void Bad_lines_do_not_stop_the_run_and_keep_the_order()
    {
        var input = string.Join("\n", "zz", PerfLevelLine, "", "# c", "0x4F01 01000000 00000000", PerfLevelLine, "0x");
        var lines = Lines(Run(input).Output);
        Assert.Equal(5, lines.Length);
        Assert.Equal("bad_input_line", ErrorCodeOf(lines[0]));
        Assert.Equal(PerfLevelJson, lines[1]);
        Assert.Equal("payload_too_short", ErrorCodeOf(lines[2]));
        Assert.Equal(PerfLevelJson, lines[3]);
        Assert.Equal("bad_input_line", ErrorCodeOf(lines[4]));
    }

    [Fact]
    public void Windows_line_endings_and_no_final_newline_are_fine()
    {
        var lines = Lines(Run(PerfLevelLine + "\r\n# c\r\n" + PerfLevelLine).Output);
        Assert.Equal([PerfLevelJson, PerfLevelJson], lines);
    }

    [Fact]
    public void Empty_input_gives_no_output_and_exit_0()
    {
        var (exitCode, output, error) = Run("");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Output_is_flushed_after_every_line()
    {
        var output = new FlushCountingWriter();
        DecodeCommand.Run(new StringReader($"{PerfLevelLine}\n# c\n{PerfLevelLine}\nzz\n"), output, new StringWriter(),
            RepoPaths.PlatformsConf, null);
        Assert.Equal(3, output.LinesAtFlush.Count);
        Assert.Equal([1, 2, 3], output.LinesAtFlush);
    }

    [Fact]
    public void Sensor_update_of_a_three_axis_sensor_writes_three_readings()
    {
        const string line = "0x5701 00000000 05000000 FBFFFFFF FFFFFFFF E8030000 00000000 00000000 00000000 E9030000 00000000 "
            + "EA16B04C 02000000 EA030000 00000000";
        Assert.Equal(
            """{"protocol":21,"event":"SENSOR_UPDATE","source":5,"fields":{"agent_id":0,"sensor_id":5,"readings_count":3,"readings":[{"value":-5,"timestamp":1000},{"value":0,"timestamp":1001},{"value":9876543210,"timestamp":1002}]}}""",
            Assert.Single(Lines(Run(line).Output)));
    }

    [Fact]
    public void Without_platform_the_first_platform_of_the_file_is_used()
    {
        // Perf domain 4 exists on imx95 (8 domains) but not on soc0 (4 domains, and first in the file).
        const string line = "0x4F01 01000000 04000000 B0040000";
        Assert.Equal("source_out_of_range", ErrorCodeOf(Assert.Single(Lines(Run(line).Output))));
        Assert.Equal("source_out_of_range", ErrorCodeOf(Assert.Single(Lines(Run(line, platform: "soc0").Output))));
        Assert.Equal(
            """{"protocol":19,"event":"PERFORMANCE_LEVEL_CHANGED","source":4,"fields":{"agent_id":1,"domain_id":4,"performance_level":1200}}""",
            Assert.Single(Lines(Run(line, platform: "imx95").Output)));
    }

    [Fact]
    public void Platform_selection_changes_which_protocols_exist()
    {
        // i.MX BBM button event: a vendor protocol imx95 lists and soc0 does not; power is the other way round.
        const string bbm = "0x20701 01000000";
        const string power = "0x4700 01000000 03000000 00000000";
        var soc0 = Lines(Run($"{bbm}\n{power}\n", platform: "soc0").Output);
        var imx95 = Lines(Run($"{bbm}\n{power}\n", platform: "imx95").Output);
        Assert.Equal("unknown_protocol", ErrorCodeOf(soc0[0]));
        Assert.Contains("\"event\":\"POWER_STATE_CHANGED\"", soc0[1]);
        Assert.Equal("""{"protocol":129,"event":"BBM_BUTTON_EVENT","source":0,"fields":{"flags":1}}""", imx95[0]);
        Assert.Equal("unknown_protocol", ErrorCodeOf(imx95[1]));
    }

    [Fact]
    public void Missing_description_file_is_exit_2_with_a_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.conf");
        var (exitCode, output, error) = Run(PerfLevelLine, path);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Contains(path, error);
        Assert.Contains("cannot read platform description", error);
    }

    [Fact]
    public void Unknown_platform_id_is_exit_2_naming_the_known_ones()
    {
        var (exitCode, output, error) = Run(PerfLevelLine, platform: "soc9");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Contains("scmi.platforms.soc9: no such platform", error);
        Assert.Contains("soc0, imx95", error);
    }

    [Theory]
    [InlineData("scmi.platforms.bad { protocols { warp { domains = 1 } } }", "scmi.platforms.bad.protocols.warp: unknown protocol")]
    [InlineData("scmi.platforms.bad { protocols { perf { version = \"1.0\" } } }", "'domains' is required")]
    [InlineData("scmi.platforms.bad { protocols { perf { domains = -4 } } }", "scmi.platforms.bad.protocols.perf.domains: -4")]
    [InlineData("scmi.platforms { }", "no platform under scmi.platforms")]
    [InlineData("some.other.section = 1", "no platform under scmi.platforms")]
    [InlineData("scmi.platforms.bad { protocols { perf { domains = ${undefined} } } }", "not valid HOCON")]
    // Akka's parser would spin on this one (and grow); the bracket check refuses it at once, with the line.
    [InlineData("scmi.platforms.bad { protocols { perf { domains = [1, } } }", ":1: '[' is never closed")]
    // The loader lets some mistakes out as other exceptions (FormatException here); still exit 2.
    [InlineData("scmi.platforms.bad { protocols { perf { domains = abc } } }", "'abc'")]
    public void Invalid_description_is_exit_2_with_the_reason(string hocon, string reason)
    {
        using var file = new TempFile(hocon);
        var (exitCode, output, error) = Run(PerfLevelLine, file.Path);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("scmi-actors decode: invalid platform description", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_directory_as_description_is_exit_2()
    {
        var (exitCode, _, error) = Run(PerfLevelLine, Path.GetTempPath());
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("cannot read platform description", error);
    }

    [Fact]
    public void Failing_input_is_exit_1_after_the_lines_already_written()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = DecodeCommand.Run(new FailingReader(PerfLevelLine), output, error, RepoPaths.PlatformsConf, null);
        Assert.Equal(ExitCodes.IoFailed, exitCode);
        Assert.Equal(PerfLevelJson + "\n", output.ToString());
        Assert.Contains("input/output failed: device gone", error.ToString());
    }

    private sealed class FailingReader(string firstLine) : TextReader
    {
        private bool _done;

        public override string? ReadLine()
        {
            if (_done) throw new IOException("device gone");
            _done = true;
            return firstLine;
        }
    }

    private sealed class FlushCountingWriter : StringWriter
    {
        public List<int> LinesAtFlush { get; } = [];

        public override void Flush()
        {
            base.Flush();
            LinesAtFlush.Add(ToString().Count(c => c == '\n'));
        }
    }
}
