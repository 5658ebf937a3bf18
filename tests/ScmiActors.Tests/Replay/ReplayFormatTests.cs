using ScmiActors.Cli;
using ScmiActors.Emulator.Replay;
using ScmiActors.Tests.Cli;
using ScmiActors.Transport.Recording;
using ScmiActors.Wire;
using Xunit;

namespace ScmiActors.Tests.Replay;

/// <summary>Reading recordings and transcripts into one model, the answer and anchor rules, and one-line errors for bad files.</summary>
public class ReplayFormatTests
{
    private static ReplayFormatException Bad(params string[] lines) =>
        Assert.Throws<ReplayFormatException>(() => ReplayRecording.Parse(lines, "f.txt"));

    [Fact]
    public void A_recording_line_round_trips_through_format_and_parse()
    {
        var line = RecordingLine.Format(1779540, RecordedDirection.P2A, 0x00004f01, [1, 0, 0, 0]);
        Assert.Equal("1779540 p2a 0x00004f01 01000000", line);
        Assert.True(RecordingLine.TryParse(line, out var m, out _));
        Assert.Equal((1779540L, RecordedDirection.P2A, 0x00004f01u, "01000000"), (m.TimeUs, m.Direction, m.Header, Convert.ToHexStringLower(m.Payload)));
        Assert.True(RecordingLine.LooksLikeRecording(line));
        Assert.False(RecordingLine.LooksLikeRecording("4000 01000000 02000000")); // a plain HEADER PAYLOAD line
    }

    [Fact]
    public void Bad_recordings_are_one_line_errors_naming_file_and_line()
    {
        Assert.Equal("f.txt:2: unknown direction 'x2y' (a2p or p2a)", Bad("# c", "5 x2y 0x00004000").Message);
        Assert.StartsWith("f.txt:1: time 'abc'", Bad("abc p2a 0x00004f01").Message);
        Assert.StartsWith("f.txt:1: payload '123'", Bad("5 p2a 0x00004f01 123").Message);
        Assert.StartsWith("f.txt:1: a a2p message of type 3", Bad("5 a2p 0x00004f01").Message);
        Assert.StartsWith("f.txt:1: a response (header 0x00004000) with no command", Assert.Throws<ReplayFormatException>(() =>
            ReplayScript.Build(ReplayRecording.Parse(["5 p2a 0x00004000 00000000"], "f.txt"))).Message);
        Assert.StartsWith("f.txt:2: a response without its int32 status", Assert.Throws<ReplayFormatException>(() =>
            ReplayScript.Build(ReplayRecording.Parse(["4 a2p 0x00004000", "5 p2a 0x00004000 00"], "f.txt"))).Message);
        Assert.Equal("f.txt:1: no message in the file", Bad("# only a comment").Message);
        Assert.All(new[] { Bad("5 x2y 0x1"), Bad("{\"t_us\": 1") }, e => Assert.DoesNotContain('\n', e.Message));
    }

    [Fact]
    public void Bad_transcripts_are_one_line_errors_naming_file_and_line()
    {
        const string good = """{"t_us": 41, "dir": "a2p-cmd", "header": "0x00044000", "payload": ""}""";
        Assert.StartsWith("f.txt:2: not a JSON object", Bad(good, """{"seq": 1, "t_us": 52""").Message); // truncated
        Assert.Equal("f.txt:2: unknown dir 'sideways' (a2p-cmd, a2p-resp or p2a)",
            Bad(good, """{"t_us": 52, "dir": "sideways", "header": "0x0", "payload": ""}""").Message);
        Assert.Equal("f.txt:1: \"header\" missing or not a string", Bad("""{"t_us": 1, "dir": "p2a"}""").Message);
        Assert.StartsWith("f.txt:1: \"t_us\" missing", Bad("""{"dir": "p2a", "header": "0x0"}""").Message);
    }

    [Fact]
    public void The_SCP_transcript_anchors_each_notification_to_the_last_subscription_before_it()
    {
        var script = ReplayScript.Build(ReplayRecording.Load(Peers.ScpScenarioA));
        Assert.Equal(53, script.Commands.Count(c => c.Response is not null));
        var anchors = script.Notifications.Select(n => (n.Event.Line, script.Commands[n.Anchor].Command.Line, n.BeforeResponse)).ToList();
        // LEVEL_SET and LIMITS_SET are a bench's commands: lines 73-81 wait for NOTIFY_LIMITS enable (69),
        // after its answer; the trip events for TRIP_POINT_NOTIFY enable (83), the last for its disable (109).
        Assert.Equal([(73, 69, false), (76, 69, false), (78, 69, false), (81, 69, false), (88, 83, false), (91, 83, false), (112, 109, false)], anchors);
        Assert.Equal(0u, script.Recording.NotificationFlags);
    }

    [Fact]
    public void A_notification_recorded_inside_its_subscription_command_is_played_before_its_response()
    {
        var script = ReplayScript.Build(ReplayRecording.Parse([
            "1 p2a 0x00004f01 010000000000000000000000", // before any command: no anchor
            "10 a2p 0x00084c0a 0000000001000000",
            "11 p2a 0x00004f01 010000000000000001000000",
            "12 p2a 0x00084c0a 00000000",
            "13 p2a 0x00004f01 010000000000000002000000",
        ], "f.txt"));
        Assert.Equal([(-1, false), (0, true), (0, false)], script.Notifications.Select(n => (n.Anchor, n.BeforeResponse)));
    }

    [Fact]
    public void Answers_are_used_in_recorded_order_then_the_last_repeats_and_a_different_payload_has_none()
    {
        var script = ReplayScript.Build(ReplayRecording.Parse([
            "1 a2p 0x00005406 00000000", "2 p2a 0x00005406 00000000409c000000000000",
            "3 a2p 0x00045406 00000000", "4 p2a 0x00045406 00000000204e000000000000",
        ], "f.txt"));
        // The token differs from the recorded one: only protocol, message id and payload match.
        var header = ScmiHeader.Command(ScmiProtocolId.Sensor, ScmiCommands.Sensor.ReadingGet, 77);
        Assert.Equal(new[] { 1, 3, 3 }, Enumerable.Range(0, 3).Select(_ => script.Match(header, new byte[4])!.Command.Line));
        Assert.Null(script.Match(header, [1, 0, 0, 0]));
        var (status, values) = ReplayScript.Split(script.Commands[1].Response!);
        Assert.Equal((ScmiStatus.Success, "204e000000000000"), (status, Convert.ToHexStringLower(values)));
    }

    [Fact]
    public void The_platform_command_gives_a_bad_replay_file_as_one_line_and_exit_code_3()
    {
        var file = Path.Combine(Path.GetTempPath(), $"scmi-replay-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, """{"t_us": 41, "dir": "a2p-cmd", "header": "0x00044000", "payload": ""}""" + "\n" + """{"t_us": 52, "dir""" + "\n");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var link = Path.Combine(Path.GetTempPath(), $"rp-{Guid.NewGuid():N}"[..16]);
            Assert.Equal(ExitCodes.ConfigError, Program.Run(["platform", "--replay", file, "--link", link], TextReader.Null, output, error));
            var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"scmi-actors: platform: {file}:2: not a JSON object", line);
            Assert.False(File.Exists(link + ".smt"), "nothing is created for a bad file");

            error.GetStringBuilder().Clear();
            Assert.Equal(ExitCodes.Usage, Program.Run(["platform", "--link", link, "--speed", "recorded"], TextReader.Null, output, error));
            Assert.Contains("--speed applies to --replay only", error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
