using System.Text.Json;
using ScmiActors.Cli;
using ScmiActors.Cli.Decode;
using Xunit;

namespace ScmiActors.Tests.Cli;

/// <summary>decode on a recording (T_US DIR HEADER PAYLOAD): notifications decoded, commands and responses shown, plain lines still read.</summary>
public class DecodeRecordingTests
{
    private static string[] Decode(string input)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Ok, DecodeCommand.Run(new StringReader(input), output, error, RepoPaths.PlatformsConf, null));
        Assert.Equal(string.Empty, error.ToString());
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void A_recorded_notification_is_decoded_with_its_time_and_direction_first()
    {
        var lines = Decode("# scmi-actors recording v1\n1779540 p2a 0x00004f01 0100000000000000703a0f00\n");
        Assert.Equal(
            """{"t_us":1779540,"dir":"p2a","protocol":19,"event":"PERFORMANCE_LEVEL_CHANGED","source":0,"fields":{"agent_id":1,"domain_id":0,"performance_level":998000}}""",
            Assert.Single(lines));
    }

    [Fact]
    public void A_recorded_command_and_its_response_are_shown_not_rejected()
    {
        var lines = Decode("1779256 a2p 0x00904c07 00000000703a0f00\n1779469 p2a 0x00904c07 00000000\n2184607 p2a 0x00b04406 ffffffff\n");
        Assert.Equal(
            """{"t_us":1779256,"dir":"a2p","kind":"command","protocol":19,"message":7,"token":36,"payload":"00000000703a0f00"}""", lines[0]);
        Assert.Equal(
            """{"t_us":1779469,"dir":"p2a","kind":"response","protocol":19,"message":7,"token":36,"status":"SUCCESS","values":""}""", lines[1]);
        Assert.Equal("NOT_SUPPORTED", JsonDocument.Parse(lines[2]).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public void Plain_and_recorded_lines_mix_and_mistakes_are_one_error_line_each()
    {
        var lines = Decode("0x4F01 01000000 00000000 B0040000\n12 x2y 0x00004f01 00\n13 p2a 0x00904c07 00\n14 a2p 0x00004f01\n15 p2a 0xzz 00\n");
        Assert.Equal(5, lines.Length);
        Assert.Equal(19, JsonDocument.Parse(lines[0]).RootElement.GetProperty("protocol").GetInt32());
        Assert.Contains("unknown direction 'x2y'", Detail(lines[1], "bad_input_line"));
        Assert.Contains("no int32 status", Detail(lines[2], "response_too_short"));
        Assert.Contains("type 3", Detail(lines[3], "bad_input_line"));
        Assert.Contains("header", Detail(lines[4], "bad_input_line"));
    }

    private static string Detail(string json, string code)
    {
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(code, root.GetProperty("error").GetString());
        return root.GetProperty("detail").GetString()!;
    }
}
