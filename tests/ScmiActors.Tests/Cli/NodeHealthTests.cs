using System.Net;
using ScmiActors.Cli;
using ScmiActors.Cli.Node;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary><c>node --health-port</c>: /alive always, /ready only once the node is Up and its offered platforms are ready.</summary>
public sealed class NodeHealthTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ready_waits_for_the_platforms_the_node_offers_and_says_which_is_missing()
    {
        var directory = Directory.CreateTempSubdirectory("scmi-health-");
        var ports = LoopbackPorts.Free(2);
        var seed = $"akka.tcp://scmi-actors@127.0.0.1:{ports[0]}";
        // No platform process listens on this link yet: the offered handle keeps trying to connect.
        var link = Path.Combine(directory.FullName, "p0");
        using var node = CliProcess.Start("node", "--port", ports[0].ToString(), "--seed-nodes", seed, "--health-port", ports[1].ToString(),
            "--offer", $"soc0={link}");
        CliProcess? platform = null;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[1]}/"), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            Assert.True(await node.WaitForOutputAsync($"Node {seed} is Up", Bound), "the node never came Up");
            var alive = await http.GetAsync("alive");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            var notReady = await http.GetAsync("ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("not ready: platform soc0\n", await notReady.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("metrics")).StatusCode);

            // The platform comes: the handle's next attempt connects, and the node becomes ready.
            platform = CliProcess.Start("platform", "--link", link, "--platform-id", "soc0");
            Assert.True(await platform.WaitForOutputAsync(PlatformProcess.WaitingLine, Bound), "the platform process never listened");
            Assert.True(await node.WaitForOutputAsync("Platform soc0 is ready on", Bound), "the offered platform never became ready");
            var ready = await http.GetAsync("ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        }
        finally
        {
            log.WriteLine($"--- node:\n{node.Output}{node.Error}\n--- platform:\n{platform?.Output}{platform?.Error}");
            node.Dispose();
            platform?.Dispose();
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("x")]
    [InlineData("0")]
    [InlineData("65536")]
    public void A_bad_health_port_is_one_line_and_exit_2(string bad)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(["node", "--seed-nodes", "akka.tcp://scmi-actors@127.0.0.1:4053", "--health-port", bad], TextReader.Null, output, error);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --health-port: '{bad}' is not a port number 1..65535 (see --help)\n", error.ToString().ReplaceLineEndings("\n"));
    }

}
