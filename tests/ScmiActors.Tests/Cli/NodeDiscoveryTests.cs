using ScmiActors.Cli;
using ScmiActors.Cli.Node;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>node --discovery FILE</c>: the seed nodes come from Akka.Discovery's config method instead of the command line.
/// Three node processes given the same file (endpoints listed out of order) form one cluster; mistakes in the
/// options or the file are one line before anything starts, a portless endpoint one line and exit 3 after the
/// lookup. Every wait is on output and bounded; every child is killed by its own id when the test ends.
/// </summary>
public sealed class NodeDiscoveryTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("scmi-discovery-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string File(string name, string text)
    {
        var path = Path.Combine(_directory.FullName, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static string ConfigMethod(params string[] endpoints) =>
        $$"""
        akka.discovery {
          method = config
          config.services.scmi-actors.endpoints = [{{string.Join(", ", endpoints.Select(e => $"\"{e}\""))}}]
        }
        """;

    [Fact]
    public async Task Three_nodes_given_one_discovery_file_form_one_cluster_with_the_lowest_address_as_first_seed()
    {
        var ports = LoopbackPorts.Free(3);
        var addresses = ports.Select(p => $"akka.tcp://scmi-actors@127.0.0.1:{p}").ToArray();
        // Listed in reverse: every node sorts them, so all agree which one may start the cluster alone.
        var file = File("discovery.conf", ConfigMethod([.. ports.Reverse().Select(p => $"127.0.0.1:{p}")]));
        var sorted = string.Join(", ", addresses.Order(StringComparer.Ordinal));
        var nodes = new List<CliProcess>();
        try
        {
            foreach (var port in ports) nodes.Add(CliProcess.Start("node", "--port", port.ToString(), "--discovery", file));
            for (var i = 0; i < 3; i++)
            {
                Assert.True(await nodes[i].WaitForOutputAsync("Up; members: 3", Bound), $"node {i} never saw 3 members Up");
                Assert.Contains($"seed nodes: from discovery ({file}: method config, service scmi-actors).", nodes[i].Output);
                Assert.Contains($"Seed nodes from discovery: {sorted}.", nodes[i].Output);
                foreach (var a in addresses) Assert.Contains($"Member {a} [platform] Up", nodes[i].Output);
            }
        }
        finally
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                log.WriteLine($"--- node {i}:\n{nodes[i].Output}{nodes[i].Error}");
                nodes[i].Dispose();
            }
        }
    }

    [Fact]
    public void An_endpoint_without_a_port_is_one_line_and_exit_3_after_the_lookup()
    {
        var port = LoopbackPorts.Free(1)[0];
        var file = File("portless.conf", ConfigMethod("127.0.0.1"));
        using var node = CliProcess.Start("node", "--port", port.ToString(), "--discovery", file);
        try
        {
            node.WaitForExit(Bound);
            Assert.True(node.Process.HasExited, "the node did not stop");
            Assert.Equal(ExitCodes.ConfigError, node.ExitCode);
            Assert.Equal("scmi-actors: --discovery: endpoint '127.0.0.1' of service scmi-actors has no port: give HOST:PORT, the node's remoting port\n",
                node.Error.ReplaceLineEndings("\n"));
            Assert.DoesNotContain("is Up", node.Output);
        }
        finally
        {
            log.WriteLine(node.Output + node.Error);
        }
    }

    [Theory]
    [InlineData("--seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053 --discovery {ok}", "--seed-nodes and --discovery exclude each other: give the seed nodes or where to discover them")]
    [InlineData("--service x", "--seed-nodes: give the seed nodes, or --discovery FILE to look them up")]
    [InlineData("--seed-nodes akka.tcp://scmi-actors@127.0.0.1:4053 --service x", "--service: applies to --discovery only")]
    [InlineData("--discovery {ok} --service a/b", "--service: 'a/b' is not a service name (letters, digits, - _ .)")]
    [InlineData("--discovery {dir}/none.conf", "--discovery: {dir}/none.conf: cannot read: Could not find file '{dir}/none.conf'.")]
    [InlineData("--discovery {nomethod}", "--discovery: {nomethod}: sets no akka.discovery.method (e.g. method = config)")]
    [InlineData("--discovery {unclosed}", "--discovery: {unclosed}:1: '{' is never closed")]
    public void A_bad_discovery_option_or_file_is_one_line_and_exit_2(string bad, string message)
    {
        var paths = new Dictionary<string, string>
        {
            ["{ok}"] = File("ok.conf", ConfigMethod("127.0.0.1:4053")),
            ["{nomethod}"] = File("nomethod.conf", "akka.discovery.config.services.scmi-actors.endpoints = [\"127.0.0.1:4053\"]\n"),
            ["{unclosed}"] = File("unclosed.conf", "akka.discovery {\n  config {\n    method = config\n  }\n"),
            ["{dir}"] = _directory.FullName,
        };
        string Fill(string text) => paths.Aggregate(text, (t, p) => t.Replace(p.Key, p.Value));
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(["node", .. Fill(bad).Split(' ')], TextReader.Null, output, error);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {Fill(message)} (see --help)\n", error.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("", output.ToString());
    }
}
