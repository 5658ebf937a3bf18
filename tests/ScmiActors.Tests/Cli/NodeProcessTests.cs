using System.Net;
using System.Net.Sockets;
using ScmiActors.Cli;
using ScmiActors.Cli.Node;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>scmi-actors node</c>: three node processes on loopback form a cluster and watch one of them
/// leave in order; bad command lines are one line and exit 2 before anything starts. Every wait is
/// on output and bounded; every child is killed by its own id when the test ends.
/// </summary>
public sealed class NodeProcessTests(ITestOutputHelper log)
{
    /// <summary>Joining, and a leave, on a loaded 2-core machine take seconds; this is the bound, not the expectation.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_nodes_form_a_cluster_and_see_a_node_that_got_SIGTERM_leave_in_order()
    {
        var ports = LoopbackPorts.Free(3);
        var addresses = ports.Select(p => $"akka.tcp://scmi-actors@127.0.0.1:{p}").ToArray();
        var roles = new[] { "platform", "platform", "subscriber" };
        var nodes = new List<CliProcess>();
        try
        {
            // The first lists itself as the seed and starts the cluster; the others join it once it is
            // Up (a node that asks before the seed listens has the seed's address gated for 5 s).
            nodes.Add(CliProcess.Start("node", "--port", ports[0].ToString(), "--seed-nodes", addresses[0], "--roles", roles[0]));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {addresses[0]} is Up", Bound), "the seed node never came Up");
            for (var i = 1; i < 3; i++)
                nodes.Add(CliProcess.Start("node", "--port", ports[i].ToString(), "--seed-nodes", addresses[0], "--roles", roles[i]));

            for (var i = 0; i < 3; i++)
            {
                Assert.True(await nodes[i].WaitForOutputAsync("Up; members: 3", Bound), $"node {i} never saw 3 members Up");
                Assert.Contains($"Node {addresses[i]} is Up as [{roles[i]}]", nodes[i].Output);
                foreach (var j in new[] { 0, 1, 2 }) Assert.Contains($"Member {addresses[j]} [{roles[j]}] Up", nodes[i].Output);
            }

            nodes[1].Signal(CliProcess.SIGTERM);
            nodes[1].WaitForExit(Bound);
            Assert.Equal(ExitCodes.Terminated, nodes[1].ExitCode);
            Assert.Contains($"Node {addresses[1]} left the cluster", nodes[1].Output);
            foreach (var i in new[] { 0, 2 })
                Assert.True(await nodes[i].WaitForOutputAsync($"Member {addresses[1]} [platform] Removed; members: 2", Bound),
                    $"node {i} never saw node 1 Removed");
            // A leave is not a failure: nobody was downed, the survivors stay.
            Assert.DoesNotContain("downed", string.Concat(nodes.Select(n => n.Output)));
            Assert.False(nodes[0].Process.HasExited);
            Assert.False(nodes[2].Process.HasExited);
        }
        finally
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                log.WriteLine($"--- node {i} ({roles[i]}):\n{nodes[i].Output}{nodes[i].Error}");
                nodes[i].Dispose();
            }
        }
    }

    private const int SIGCONT = 18;
    private const int SIGSTOP = 19;

    [Fact]
    public async Task A_paused_node_is_downed_by_the_majority_and_when_it_wakes_it_stops_with_exit_1()
    {
        var ports = LoopbackPorts.Free(3);
        var addresses = ports.Select(p => $"akka.tcp://scmi-actors@127.0.0.1:{p}").ToArray();
        var nodes = new List<CliProcess>();
        try
        {
            nodes.Add(CliProcess.Start("node", "--port", ports[0].ToString(), "--seed-nodes", addresses[0], "--stable-after", "1s"));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {addresses[0]} is Up", Bound), "the seed node never came Up");
            for (var i = 1; i < 3; i++)
                nodes.Add(CliProcess.Start("node", "--port", ports[i].ToString(), "--seed-nodes", addresses[0], "--stable-after", "1s"));
            for (var i = 0; i < 3; i++) Assert.True(await nodes[i].WaitForOutputAsync("Up; members: 3", Bound), $"node {i} never saw 3 members Up");

            // A paused process is a partition of one: alive, but nobody hears it (to the others, the same as SIGKILL).
            // stable-after 1 s keeps the test short; the failure detector still takes its ~5 s to call it unreachable.
            nodes[2].Signal(SIGSTOP);
            foreach (var i in new[] { 0, 1 })
                Assert.True(await nodes[i].WaitForOutputAsync($"Member {addresses[2]} [platform] Removed; members: 2", Bound),
                    $"node {i} never saw the paused node Removed");
            // keep-majority: two of three are the majority, so the survivors down the silent one, not themselves.
            Assert.Contains("SBR took decision Akka.Cluster.SBR.DownUnreachable", nodes[0].Output + nodes[1].Output);
            nodes[2].Signal(SIGCONT);
            // Awake, it is the minority (and quarantined by the others): it downs itself and stops, without claiming a leave.
            nodes[2].WaitForExit(Bound);
            Assert.Equal(ExitCodes.NodeDowned, nodes[2].ExitCode);
            Assert.Contains($"Node {addresses[2]} was downed by the cluster and stopped", nodes[2].Output);
            Assert.DoesNotContain("left the cluster", nodes[2].Output);
            // Its shutdown's view of the others is not printed as their removal.
            Assert.DoesNotContain($"Member {addresses[0]} [platform] Removed", nodes[2].Output);
            Assert.False(nodes[0].Process.HasExited);
            Assert.False(nodes[1].Process.HasExited);
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
    public async Task A_single_node_that_is_its_own_seed_leaves_after_its_duration_with_exit_0()
    {
        var port = LoopbackPorts.Free(1)[0];
        var address = $"akka.tcp://scmi-actors@127.0.0.1:{port}";
        using var node = CliProcess.Start("node", "--port", port.ToString(), "--seed-nodes", address, "--duration", "3s");
        try
        {
            Assert.True(await node.WaitForOutputAsync($"Node {address} is Up as [platform]; members: 1", Bound));
            node.WaitForExit(Bound);
            Assert.Equal(ExitCodes.Ok, node.ExitCode);
            Assert.Contains($"Node {address} left the cluster", node.Output);
        }
        finally
        {
            log.WriteLine(node.Output + node.Error);
        }
    }

    private const string Seed = "akka.tcp://scmi-actors@127.0.0.1:4053";

    [Theory]
    [InlineData("--port x", "--port: 'x' is not a port number 0..65535")]
    [InlineData("--port 65536", "--port: '65536' is not a port number 0..65535")]
    [InlineData("--port -1", "--port: '-1' is not a port number 0..65535")]
    [InlineData("--host localhost", "--host: 'localhost' is not an IP address")]
    [InlineData("--host 300.1.1.1", "--host: '300.1.1.1' is not an IP address")]
    [InlineData("--roles platform,boss", "--roles: unknown role 'boss' (known: platform, subscriber)")]
    [InlineData("--roles ,", "--roles: no role given")]
    [InlineData("--stable-after 10ms", "--stable-after: '10ms' is not a duration from 1 s to 300 s")]
    [InlineData("--duration 0", "--duration: '0' is below the minimum of 10 ms")]
    [InlineData("--log-format xml", "--log-format: 'xml' is not text or json")]
    public void A_bad_value_is_one_line_and_exit_2(string bad, string message)
    {
        var (exitCode, output, error) = Run(["node", "--seed-nodes", Seed, .. bad.Split(' ')]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {message} (see --help)\n", error.ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("127.0.0.1:4053", "is not a node address (akka.tcp://scmi-actors@HOST:PORT)")]
    [InlineData("akka.tcp://other@127.0.0.1:4053", "is not a node address (akka.tcp://scmi-actors@HOST:PORT)")]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1", "is not a node address (akka.tcp://scmi-actors@HOST:PORT, PORT 1..65535)")]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1:0", "is not a node address (akka.tcp://scmi-actors@HOST:PORT, PORT 1..65535)")]
    [InlineData("akka.tcp://scmi-actors@127.0.0.1:4053/user", "is not a node address (akka.tcp://scmi-actors@HOST:PORT, PORT 1..65535)")]
    [InlineData("akka.tcp://scmi-actors@:4053", "is not a node address (akka.tcp://scmi-actors@HOST:PORT, PORT 1..65535)")]
    public void A_malformed_seed_address_is_one_line_and_exit_2(string seed, string reason)
    {
        var (exitCode, output, error) = Run(["node", "--seed-nodes", $"{Seed},{seed}"]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --seed-nodes: '{seed}' {reason} (see --help)\n", error.ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    [Fact]
    public void Without_seed_nodes_it_says_they_are_required()
    {
        var (exitCode, _, error) = Run(["node"]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--seed-nodes", error);
    }

    [Fact]
    public void A_port_another_process_listens_on_is_one_line_and_exit_2_before_a_node_starts()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var (exitCode, output, error) = Run(["node", "--port", port.ToString(), "--seed-nodes", $"akka.tcp://scmi-actors@127.0.0.1:{port}"]);
            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Equal($"scmi-actors: --host/--port: cannot listen on 127.0.0.1:{port} (Address already in use) (see --help)\n", error.ReplaceLineEndings("\n"));
            Assert.DoesNotContain("Up", output);
        }
        finally
        {
            taken.Stop();
        }
    }

    private static (int ExitCode, string Output, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(args, TextReader.Null, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Ports free right now on loopback: all held at once so they differ, then released for the nodes.</summary>
}
