using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using ScmiActors.Cli;
using ScmiActors.Cli.Node;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// Platforms and subscribers on node processes: a subscriber node receives the reports of a platform whose
/// handle runs on another node, and when the node hosting the handle is killed, the other node that
/// offers the platform takes its link over and the subscriber's subscriptions come back on their own.
/// One emulated platform process (agents in turn) on a temporary link; every address on loopback;
/// every child killed by its id at the end.
/// </summary>
public sealed partial class NodeTakeOverTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task When_the_node_hosting_a_platform_is_killed_another_node_takes_it_over_and_the_subscriber_never_subscribes_again()
    {
        using var platform = await PlatformProcess.StartAsync("--platform-id", "soc0", "--agents-in-turn");
        var ports = LoopbackPorts.Free(3);
        var addresses = ports.Select(p => $"akka.tcp://scmi-actors@127.0.0.1:{p}").ToArray();
        var nodes = new List<CliProcess>();
        // A short stable-after keeps the test short; the failure detector still takes its ~5 s.
        string[] Node(int i, params string[] extra) =>
            ["node", "--port", ports[i].ToString(), "--seed-nodes", addresses[0], "--stable-after", "2s", .. extra];
        try
        {
            nodes.Add(CliProcess.Start(Node(0, "--offer", $"soc0={platform.Link}")));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {addresses[0]} is Up", Bound), "the seed node never came Up");
            nodes.Add(CliProcess.Start(Node(1, "--offer", $"soc0={platform.Link}")));
            nodes.Add(CliProcess.Start(Node(2, "--roles", "subscriber", "--subscribe", "soc0")));
            for (var i = 0; i < 3; i++) Assert.True(await nodes[i].WaitForOutputAsync("Up; members: 3", Bound), $"node {i} never saw 3 members Up");

            // The subscriber node's subscriptions are active and its reports come from the node that hosts the handle.
            Assert.True(await nodes[2].WaitForOutputAsync("Subscriptions to soc0: 12 active", Bound), "the subscriptions never became active");
            Assert.True(await WaitForAsync(() => LastReports(nodes[2].Output) > 0), "no report reached the subscriber node");
            var host = await HostOf(nodes, addresses);
            var survivor = 1 - host;
            var before = LastReports(nodes[2].Output);
            Assert.True(before > 0);

            // The host dies without a word: its link to the platform closes with the process.
            var killed = Stopwatch.StartNew();
            nodes[host].Process.Kill();
            Assert.True(await nodes[survivor].WaitForOutputAsync($"Platform soc0 is ready on {addresses[survivor]}", Bound),
                "the surviving node never took the platform over");
            var takeOver = killed.Elapsed;
            log.WriteLine($"take-over: {takeOver.TotalSeconds:0.0} s from SIGKILL to the handle ready on the other node");

            // Pending, then active again, without a Subscribe from the subscriber (it would print "waiting").
            Assert.True(await nodes[2].WaitForOutputAsync("Subscriptions to soc0: pending", Bound), "the subscriber was never told pending");
            Assert.True(await WaitForCountAsync(nodes[2], "Subscriptions to soc0: 12 active", 2), "the subscriptions never came back active");
            Assert.DoesNotContain("Subscriptions to soc0: waiting", nodes[2].Output);
            Assert.True(await WaitForAsync(() => LastReports(nodes[2].Output) > before + 100), "reports did not flow again after the take-over");

            // Accounting: every report the subscriber counted is a notification the platform sent; none twice.
            nodes[2].Signal(CliProcess.SIGTERM);
            nodes[2].WaitForExit(Bound);
            var received = FinalReports(nodes[2].Output);
            nodes[survivor].Signal(CliProcess.SIGTERM);
            nodes[survivor].WaitForExit(Bound);
            Assert.Equal(ExitCodes.Terminated, nodes[survivor].ExitCode);
            platform.Cli.Signal(CliProcess.SIGTERM);
            platform.Cli.WaitForExit(Bound);
            var sent = PlatformProcess.Summary(platform.Cli.Output);
            log.WriteLine($"subscriber received {received}; the platform sent {sent.Sent}, lost {sent.LostAtSlot} at its slot, {sent.WithoutAgent} with no agent");
            Assert.InRange(received, before + 100, sent.Sent);
        }
        finally
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                log.WriteLine($"--- node {i}:\n{nodes[i].Output}{nodes[i].Error}");
                nodes[i].Dispose();
            }
            log.WriteLine($"--- platform:\n{platform.Cli.Output}{platform.Cli.Error}");
        }
    }

    [Fact]
    public async Task A_subscriber_node_receives_reports_across_the_wire_and_its_death_releases_its_subscriptions()
    {
        using var platform = await PlatformProcess.StartAsync("--platform-id", "soc0");
        // Two nodes are equal halves to keep-majority, which keeps the lower address: the host's, so it survives.
        var ports = LoopbackPorts.Free(2).Order().ToArray();
        var seed = $"akka.tcp://scmi-actors@127.0.0.1:{ports[0]}";
        using var host = CliProcess.Start("node", "--port", ports[0].ToString(), "--seed-nodes", seed, "--offer", $"soc0={platform.Link}");
        CliProcess? subscriber = null;
        try
        {
            Assert.True(await host.WaitForOutputAsync($"Platform soc0 is ready on {seed}", Bound), "the platform never became ready");
            subscriber = CliProcess.Start("node", "--port", ports[1].ToString(), "--seed-nodes", seed, "--roles", "subscriber", "--subscribe", "soc0");
            Assert.True(await subscriber.WaitForOutputAsync("Subscriptions to soc0: 12 active", Bound), "the subscriptions never became active");
            Assert.True(await WaitForAsync(() => LastReports(subscriber.Output) > 100), "reports did not cross to the subscriber node");

            // SIGKILL: no unsubscribe is sent; the handle's watch of the remote subscribers releases them.
            subscriber.Process.Kill();
            Assert.True(await WaitForCountAsync(host, "terminated; its subscriptions are released", 1), "the handle never released the dead node's subscriptions");
        }
        finally
        {
            log.WriteLine($"--- host:\n{host.Output}{host.Error}\n--- subscriber:\n{subscriber?.Output}{subscriber?.Error}");
            subscriber?.Dispose();
        }
    }

    [Theory]
    [InlineData("--offer soc0", "--offer: 'soc0' is not ID=PATH")]
    [InlineData("--offer nosuch=/tmp/p", "--offer: no platform 'nosuch' in the embedded platforms.conf (known: soc0, imx95)")]
    [InlineData("--offer soc0=/no/such/dir/p", "--offer: the directory of '/no/such/dir/p' does not exist")]
    [InlineData("--offer soc0=/tmp/a --offer soc0=/tmp/b", "--offer: platform 'soc0' is offered twice")]
    [InlineData("--roles subscriber --offer soc0=/tmp/p", "--offer: only a node with the platform role hosts platforms")]
    [InlineData("--subscribe nosuch", "--subscribe: no platform 'nosuch' in the embedded platforms.conf (known: soc0, imx95)")]
    public void A_bad_platform_option_is_one_line_and_exit_2(string bad, string message)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(["node", "--seed-nodes", "akka.tcp://scmi-actors@127.0.0.1:4053", .. bad.Split(' ')], TextReader.Null, output, error);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {message} (see --help)\n", error.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("", output.ToString());
    }

    private static async Task<int> HostOf(List<CliProcess> nodes, string[] addresses)
    {
        for (var i = 0; i < 2; i++)
            if (await nodes[i].WaitForOutputAsync("Platform soc0 is ready on", Bound))
            {
                var at = Regex.Match(nodes[i].Output, @"Platform soc0 is ready on (\S+)").Groups[1].Value;
                return Array.IndexOf(addresses, at) is var host and (0 or 1) ? host : throw new InvalidOperationException($"hosted on {at}");
            }
        throw new InvalidOperationException("no node said where the platform is hosted");
    }

    private static long LastReports(string output) =>
        ReportsLine().Matches(output).Select(m => long.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Last();

    private static long FinalReports(string output) =>
        long.Parse(Regex.Match(output, @"Reports from soc0: (\d+) \(final\)").Groups[1].Value);

    [GeneratedRegex(@"Reports from soc0: (\d+)")]
    private static partial Regex ReportsLine();

    private static async Task<bool> WaitForCountAsync(CliProcess node, string text, int count) =>
        await WaitForAsync(() => Regex.Matches(node.Output, Regex.Escape(text)).Count >= count);

    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(100);
        }
        return true;
    }

}
