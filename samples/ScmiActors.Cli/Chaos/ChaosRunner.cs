using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ScmiActors.Cli.Node;
using ScmiActors.Cli.Observability;
using ScmiActors.Cli.Platform;

namespace ScmiActors.Cli.Chaos;

/// <summary>What <c>scmi-actors chaos</c> was asked to do.</summary>
public sealed record ChaosOptions(int Rounds, int Seed, double Rate, TimeSpan StableAfter, TimeSpan TakeOverBound, string? Directory, bool Verbose);

/// <summary>
/// <c>scmi-actors chaos</c>: three node processes (each a platform and a subscriber node that offers and subscribes
/// to soc0) and one emulated platform process (agents in turn) on loopback and a temporary link; rounds of
/// SIGKILL to a random node and its restart; after each round the checks of docs/cluster.md: the nodes agree on
/// the members, every live node's subscriptions are active again within the take-over bound, nothing is
/// delivered twice; at the end, every agent's accounting (<see cref="ChaosLedger"/>). Every child is ended by its
/// own id whatever happens; the logs stay in the directory when a check fails.
/// </summary>
public sealed partial class ChaosRunner(ChaosOptions options, TextWriter output, TextWriter error)
{
    private const string PlatformId = "soc0";
    private const int Nodes = 3;

    /// <summary>Bound of each wait that has no bound of its own (start, join, leave): a hang is a failure, not a stall.</summary>
    private static readonly TimeSpan StepBound = TimeSpan.FromSeconds(60);

    private readonly List<string> _failures = [];
    private readonly List<SubscriberLog> _finishedSubscribers = [];
    private readonly ChaosChild?[] _nodes = new ChaosChild?[Nodes];
    private readonly int[] _incarnation = new int[Nodes];
    private readonly List<(int Agent, string Killed)> _killedAgents = [];
    private ChaosChild? _platform;
    private string _directory = "";
    private string _link = "";
    private int[] _ports = [];
    private int[] _healthPorts = [];
    private int[] _metricsPorts = [];
    private string[] _addresses = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        _directory = options.Directory ?? System.IO.Directory.CreateTempSubdirectory("scmi-chaos-").FullName;
        System.IO.Directory.CreateDirectory(_directory);
        _link = Path.Combine(_directory, "p0");
        var ports = LoopbackPorts.Free(3 * Nodes);
        _ports = ports[..Nodes];
        _healthPorts = ports[Nodes..(2 * Nodes)];
        _metricsPorts = ports[(2 * Nodes)..];
        _addresses = _ports.Select(p => $"akka.tcp://{NodeCluster.SystemName}@127.0.0.1:{p}").ToArray();
        var random = new Random(options.Seed);
        Say($"Chaos: {options.Rounds} rounds, seed {options.Seed}, 3 nodes on 127.0.0.1:{string.Join(",", _ports)}, " +
            $"platform rate x{options.Rate.ToString(CultureInfo.InvariantCulture)}, take-over bound {Format(options.TakeOverBound)}; logs in {_directory}");
        var clock = Stopwatch.StartNew();
        try
        {
            await StartAsync(cancellation);
            var hostKilled = false;
            for (var round = 1; round <= options.Rounds && _failures.Count == 0; round++)
            {
                var host = HostNode();
                var victim = random.Next(Nodes);
                // At least one round must take the platform over: the last one kills the host if none did.
                if (round == options.Rounds && !hostKilled) victim = host;
                hostKilled |= victim == host;
                await RoundAsync(round, victim, victim == host, cancellation);
            }
            if (_failures.Count == 0) await FinishAsync(cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            _failures.Add("interrupted");
        }
        catch (ChaosStepFailed e)
        {
            _failures.Add(e.Message);
        }
        finally
        {
            foreach (var child in _nodes.Append(_platform).OfType<ChaosChild>()) child.Dispose();
            _http.Dispose();
        }
        if (cancellation.IsCancellationRequested) return ExitCodes.Interrupted;
        if (_failures.Count > 0)
        {
            foreach (var f in _failures) error.WriteLine($"scmi-actors: chaos: FAILED: {f}");
            error.WriteLine($"scmi-actors: chaos: the processes' output is in {_directory}");
            return ExitCodes.AccountingMismatch;
        }
        Say($"Chaos: {options.Rounds} rounds passed in {Format(clock.Elapsed)}.");
        if (options.Directory is null) System.IO.Directory.Delete(_directory, recursive: true);
        return ExitCodes.Ok;
    }

    private async Task StartAsync(CancellationToken cancellation)
    {
        _platform = ChaosChild.Start("platform", ["platform", "--link", _link, "--platform-id", PlatformId, "--agents-in-turn",
            "--rate", options.Rate.ToString(CultureInfo.InvariantCulture), "--stats-file", Path.Combine(_directory, "platform-stats.json")],
            Path.Combine(_directory, "platform.log"), Echo);
        Say($"Started the platform (pid {_platform.Pid}).");
        await Expect(_platform, l => l.Contains("waiting for an agent", StringComparison.Ordinal), "the platform never listened", cancellation);
        for (var i = 0; i < Nodes; i++) StartNode(i);
        for (var i = 0; i < Nodes; i++)
            await Expect(_nodes[i]!, l => l.StartsWith($"Node {_addresses[i]} is Up", StringComparison.Ordinal), $"node {i} never came Up", cancellation);
        await ConvergedAsync(cancellation);
        for (var i = 0; i < Nodes; i++)
            await Expect(_nodes[i]!, IsActive, $"node {i}'s subscriptions never became active", cancellation);
        await TrafficAsync(cancellation);
        Say($"Cluster of 3 is Up; {PlatformId} is hosted on node {HostNode()}; every node's subscriptions are active and reports flow.");
    }

    private async Task RoundAsync(int round, int victim, bool isHost, CancellationToken cancellation)
    {
        var agent = Agents().Count;
        var killedAt = ChaosChild.Now;
        var clock = Stopwatch.StartNew();
        CollectSubscriber(victim, killed: true);
        _nodes[victim]!.Kill();
        _nodes[victim]!.Dispose();
        _nodes[victim] = null;
        if (isHost) _killedAgents.Add((agent, NodeName(victim)));
        var survivors = Enumerable.Range(0, Nodes).Where(i => i != victim).ToList();

        string settled;
        if (isHost)
        {
            // The survivors' subscriptions go pending, then active again without being asked for: the take-over.
            foreach (var i in survivors)
            {
                var pending = await _nodes[i]!.WaitForAsync(IsPending, options.TakeOverBound, cancellation, killedAt)
                    ?? throw new ChaosStepFailed($"round {round}: node {i} was never told its subscriptions were pending after the host was killed");
                _ = await _nodes[i]!.WaitForAsync(IsActive, options.TakeOverBound - clock.Elapsed, cancellation, pending.Seq)
                    ?? throw new ChaosStepFailed($"round {round}: node {i}'s subscriptions were not active again within {Format(options.TakeOverBound)} of the kill");
            }
            settled = $"subscriptions active again on the survivors after {Format(clock.Elapsed)} (bound {Format(options.TakeOverBound)})";
        }
        else
        {
            settled = "the host was not touched";
        }
        foreach (var i in survivors)
            if (_nodes[i]!.Find(l => l.StartsWith($"Subscriptions to {PlatformId}: waiting", StringComparison.Ordinal), killedAt) is { } waiting)
                throw new ChaosStepFailed($"round {round}: node {i} had to subscribe again ({waiting.Line})");

        var restartedAt = Stopwatch.StartNew();
        StartNode(victim);
        await Expect(_nodes[victim]!, IsActive, $"round {round}: the restarted node {victim}'s subscriptions never became active", cancellation);
        await ConvergedAsync(cancellation);
        await TrafficAsync(cancellation);
        CheckRepeats($"round {round}");
        Say($"Round {round}: SIGKILL to node {victim}{(isHost ? $" (it hosted {PlatformId})" : "")}; {settled}; " +
            $"node {victim} back and the cluster converged after {Format(restartedAt.Elapsed)}; nothing repeated.");
    }

    /// <summary>Stops the platform, lets the reports drain, stops the nodes in order, and reconciles every agent.</summary>
    private async Task FinishAsync(CancellationToken cancellation)
    {
        _platform!.Terminate();
        if (!_platform.WaitForExit(StepBound)) throw new ChaosStepFailed("the platform did not stop after SIGTERM");
        // Every report the last agent read is delivered once the subscribers' counts stop moving.
        await QuietAsync(cancellation);
        var undelivered = await UndeliveredAsync(HostNode(), cancellation);
        // One at a time: each leaves a cluster that is up, so its leave is quick and in order.
        for (var i = 0; i < Nodes; i++)
        {
            _nodes[i]!.Terminate();
            if (!_nodes[i]!.WaitForExit(StepBound)) throw new ChaosStepFailed($"node {i} did not leave after SIGTERM");
            CollectSubscriber(i, killed: false);
        }
        CheckRepeats("the end");

        var stats = PlatformSideStats.ReadFile(Path.Combine(_directory, "platform-stats.json")).Single();
        var accounts = ChaosLedger.Reconcile(Agents(), stats.Sent, stats.LeftInSlot, _finishedSubscribers, lastHostUndelivered: undelivered);
        foreach (var a in accounts)
        {
            var shares = a.Shares.Count == 0 ? "no subscriber held its subscriptions through all of it"
                : string.Join(", ", a.Shares.Select(s => $"{s.Subscriber} received {s.Received}" + (s.Lost == 0 ? "" : a.Killed
                    ? $" ({s.Lost} lost)" : $" ({s.Lost} sent before its subscriptions were bound again)")));
            Say($"Agent {a.Agent}: {a.Sent} sent − {a.LeftInSlot} left in the slot = {a.Expected}; {a.Ending}; {shares}.");
            if (a.Problem is { } problem) _failures.Add($"agent {a.Agent}: {problem}");
        }
        var checkedShares = accounts.Sum(a => a.Shares.Count);
        if (checkedShares == 0) _failures.Add("no agent could be reconciled: no subscriber lived through one");
        var lost = accounts.Where(a => a.Shares.Count > 0 && a.Killed).Sum(a => a.Shares.Min(s => s.Lost));
        Say($"Accounting: {checkedShares} shares reconciled, none above what was sent; {lost} reports lost with killed nodes " +
            "(in their queues and on the wire when they died; the least any survivor missed).");
    }

    private void StartNode(int i)
    {
        _incarnation[i]++;
        string[] args =
        [
            "node", "--port", _ports[i].ToString(CultureInfo.InvariantCulture), "--seed-nodes", string.Join(",", _addresses),
            "--roles", $"{NodeCluster.PlatformRole},{NodeCluster.SubscriberRole}", "--stable-after", $"{options.StableAfter.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms",
            "--offer", $"{PlatformId}={_link}", "--subscribe", PlatformId, "--health-port", _healthPorts[i].ToString(CultureInfo.InvariantCulture),
            "--metrics-port", _metricsPorts[i].ToString(CultureInfo.InvariantCulture), "--stats-every", "500ms",
        ];
        var child = ChaosChild.Start(NodeName(i), args, Path.Combine(_directory, $"node{i}.log"), Echo);
        _nodes[i] = child;
        Say($"Started node {i} (pid {child.Pid}).");
    }

    private string NodeName(int i) => $"node {i}#{_incarnation[i]}";

    /// <summary>Every live node lists the same Up members, and they are the live nodes.</summary>
    private async Task ConvergedAsync(CancellationToken cancellation)
    {
        var live = Enumerable.Range(0, Nodes).Where(i => _nodes[i] is not null).ToList();
        var expected = string.Join("\n", live.Select(i => _addresses[i]).Order(StringComparer.Ordinal));
        var clock = Stopwatch.StartNew();
        var views = new Dictionary<int, string>();
        while (clock.Elapsed < StepBound)
        {
            foreach (var i in live)
            {
                try
                {
                    views[i] = (await _http.GetStringAsync($"http://127.0.0.1:{_healthPorts[i]}/members", cancellation)).Trim();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
                {
                    views[i] = "(not answering)";
                }
            }
            if (live.All(i => views[i] == expected)) return;
            await Task.Delay(200, cancellation);
        }
        throw new ChaosStepFailed($"the cluster did not converge within {Format(StepBound)}: " +
                                  string.Join("; ", live.Select(i => $"node {i} sees [{views.GetValueOrDefault(i)?.Replace("\n", ", ")}]")));
    }

    /// <summary>
    /// What the node hosting the last agent took in and delivered to nobody, from its own counters: queued but
    /// unmatched (no subscription bound yet), or lost (refused at its gate, malformed, discarded with a queue). It
    /// hosted only that agent: a node hosts the
    /// platform until it is killed, and a restarted node is a new process with new counters.
    /// </summary>
    private async Task<long> UndeliveredAsync(int host, CancellationToken cancellation)
    {
        try
        {
            var scrape = PrometheusScrape.Parse(await _http.GetStringAsync($"http://127.0.0.1:{_metricsPorts[host]}/metrics", cancellation));
            (string, string) soc0 = ("scmi_platform", PlatformId);
            var unmatched = (long)scrape.Sum("scmi_notifications_unmatched_total", soc0);
            var lost = scrape.SumBy("scmi_notifications_lost_total", "scmi_outcome", PlatformId);
            Say($"The last host, node {host}: {(long)scrape.Sum("scmi_notifications_queued_total", soc0)} queued, " +
                $"{(long)scrape.Sum("scmi_notifications_delivered_total", soc0)} delivered, {unmatched} unmatched, " +
                $"{lost.Values.Sum()} lost{(lost.Count > 0 ? $" ({PrometheusScrape.Describe(lost)})" : "")}.");
            return unmatched + lost.Values.Sum();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            throw new ChaosStepFailed($"node {host}'s metrics endpoint did not answer: {e.Message}");
        }
    }

    /// <summary>Every live node's report count moves: traffic flows to all of them.</summary>
    private async Task TrafficAsync(CancellationToken cancellation)
    {
        var since = ChaosChild.Now;
        for (var i = 0; i < Nodes; i++)
            if (_nodes[i] is { } node)
                await Expect(node, l => ReportsLine().Match(l) is { Success: true } m && long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 0,
                    $"no report reached node {i}", cancellation, since);
    }

    /// <summary>Waits until no node prints a new report count for a few seconds (they print every 2 s while it moves).</summary>
    private async Task QuietAsync(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StepBound)
        {
            var since = ChaosChild.Now;
            await Task.Delay(TimeSpan.FromSeconds(5), cancellation);
            if (_nodes.OfType<ChaosChild>().All(n => n.Find(l => ReportsLine().IsMatch(l), since) is null)) return;
        }
        throw new ChaosStepFailed($"reports kept coming for {Format(StepBound)} after the platform stopped");
    }

    private void CheckRepeats(string when)
    {
        foreach (var node in _nodes.OfType<ChaosChild>())
        {
            var last = node.Lines.LastOrDefault(l => ReportsLine().IsMatch(l.Line));
            if (last.Line is not null && ReportsLine().Match(last.Line).Groups[3].Value != "0")
                throw new ChaosStepFailed($"{when}: {node.Name} received reports twice or out of order: {last.Line}");
        }
    }

    /// <summary>The agents the platform served, from its own lines, marked where the harness killed the node that held them.</summary>
    private List<AgentSpan> Agents()
    {
        var lines = _platform!.Lines;
        var agents = new List<AgentSpan>();
        foreach (var (seq, line) in lines)
        {
            if (line.StartsWith("Agent linked:", StringComparison.Ordinal)) agents.Add(new AgentSpan(1, seq, null, 0, 0, null));
            else if (NextAgentLine().Match(line) is { Success: true } m)
                agents.Add(new AgentSpan(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), seq, null,
                    long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), null));
            else if (line.StartsWith("Agent gone from", StringComparison.Ordinal) && agents.Count > 0)
                agents[^1] = agents[^1] with { GoneSeq = seq };
        }
        foreach (var (agent, killed) in _killedAgents)
            if (agent >= 1 && agent <= agents.Count)
                agents[agent - 1] = agents[agent - 1] with { KilledNode = killed };
        return agents;
    }

    /// <summary>Keeps a node's subscriber lines for the ledger before the process goes.</summary>
    private void CollectSubscriber(int i, bool killed)
    {
        var lines = new List<SubscriberLine>();
        foreach (var (seq, line) in _nodes[i]!.Lines)
        {
            if (StateLine().Match(line) is { Success: true } s)
                lines.Add(new SubscriberLine(seq, s.Groups[1].Value == "pending" ? SubscriberLineKind.Pending : SubscriberLineKind.Active,
                    long.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture)));
            else if (line.StartsWith($"Subscriptions to {PlatformId}: waiting", StringComparison.Ordinal))
                lines.Add(new SubscriberLine(seq, SubscriberLineKind.Waiting, 0));
            else if (!killed && ReportsLine().Match(line) is { Success: true } r && r.Groups[2].Success)
                lines.Add(new SubscriberLine(seq, SubscriberLineKind.Final, long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture)));
            else if (StatsCount().Match(line) is { Success: true } c)
                lines.Add(new SubscriberLine(seq, SubscriberLineKind.Count, long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture)));
        }
        _finishedSubscribers.Add(new SubscriberLog(_nodes[i]!.Name, lines));
    }

    private int HostNode()
    {
        // Every node that offers the platform prints where it became ready; the latest line of a live node says where it is now.
        var latest = _nodes.OfType<ChaosChild>()
            .SelectMany(n => n.Lines.Where(l => l.Line.StartsWith($"Platform {PlatformId} is ready on ", StringComparison.Ordinal)))
            .OrderBy(l => l.Seq).LastOrDefault();
        var at = latest.Line?[$"Platform {PlatformId} is ready on ".Length..].Trim();
        var host = Array.IndexOf(_addresses, at);
        return host >= 0 ? host : throw new ChaosStepFailed($"no node says where {PlatformId} is hosted");
    }

    private static bool IsActive(string line) => StateLine().Match(line) is { Success: true } m && m.Groups[1].Value != "pending";

    private static bool IsPending(string line) => StateLine().Match(line) is { Success: true } m && m.Groups[1].Value == "pending";

    private static async Task Expect(ChaosChild child, Func<string, bool> match, string failure, CancellationToken cancellation, long since = 0)
    {
        if (await child.WaitForAsync(match, StepBound, cancellation, since) is null)
            throw new ChaosStepFailed(child.HasExited ? $"{failure} ({child.Name} exited with {child.ExitCode})" : $"{failure} within {Format(StepBound)}");
    }

    private void Say(string line)
    {
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private Action<string>? Echo => options.Verbose ? Say : null;

    private static string Format(TimeSpan t) => MainJob.MainJobRunner.Format(t);

    [GeneratedRegex(@"^Subscriptions to soc0: (pending|\d+ active)\b.* after (\d+) reports$")]
    private static partial Regex StateLine();

    [GeneratedRegex(@"^Reports from soc0: (\d+)( \(final\))?; repeated or out of order: (\d+)$")]
    private static partial Regex ReportsLine();

    /// <summary>The count of the subscriber's --stats-every line: every half second, for the ledger's binding window.</summary>
    [GeneratedRegex(@"^Stats of soc0 at \d+ us: (\d+) reports, ")]
    private static partial Regex StatsCount();

    [GeneratedRegex(@"^Next agent linked: soc0 \(agent (\d+)\); before it: (\d+) sent, (\d+) left unread in the slot\.$")]
    private static partial Regex NextAgentLine();

    private sealed class ChaosStepFailed(string message) : Exception(message);
}
