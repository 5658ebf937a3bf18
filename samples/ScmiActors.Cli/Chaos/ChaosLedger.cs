namespace ScmiActors.Cli.Chaos;

/// <summary>
/// One agent the platform process served: its handle's incarnation on one node. <c>Seq</c> values are the
/// harness's arrival order of output lines over every process, so the ledger never compares clocks.
/// </summary>
/// <param name="SentBefore">Notifications the platform had sent to earlier agents when this one linked.</param>
/// <param name="LeftBefore">Of those, left unread in the slot by earlier agents.</param>
/// <param name="KilledNode">The node whose SIGKILL ended this agent, or null (ended otherwise, or still linked).</param>
public sealed record AgentSpan(int Agent, long LinkedSeq, long? GoneSeq, long SentBefore, long LeftBefore, string? KilledNode);

public enum SubscriberLineKind
{
    /// <summary>"Subscriptions to ID: N active after C reports".</summary>
    Active,

    /// <summary>"... pending (...) after C reports": the handle moved or reconnects; no report of the old link follows.</summary>
    Pending,

    /// <summary>"... waiting (...)": a subscription ended and is asked for again; reports were missed on purpose.</summary>
    Waiting,

    /// <summary>"Reports from ID: C (final)": the process ended in order.</summary>
    Final,
}

public sealed record SubscriberLine(long Seq, SubscriberLineKind Kind, long Reports);

/// <summary>One subscriber process's life (a restarted node is a new one).</summary>
public sealed record SubscriberLog(string Name, IReadOnlyList<SubscriberLine> Lines);

/// <summary>
/// What one subscriber received of one agent's notifications, against what the platform sent that agent.
/// <paramref name="Early"/>: of those, received before all its subscriptions were active again.
/// </summary>
public sealed record AgentShare(string Subscriber, long Received, long Expected, long Early = 0)
{
    public long Lost => Expected - Received;
}

/// <summary>
/// One agent's accounting: <c>Sent − LeftInSlot</c> notifications reached that agent's gate; each subscriber that
/// held its subscriptions through the agent's whole life received them all, except those lost with a killed
/// node (in its queues and on the wire when it died). <see cref="Problem"/> says what does not add up.
/// </summary>
public sealed record AgentAccount(int Agent, long Sent, long LeftInSlot, bool Killed, string Ending, IReadOnlyList<AgentShare> Shares, string? Problem)
{
    public long Expected => Sent - LeftInSlot;
}

/// <summary>
/// Reconciles the chaos harness's record of a run, after it: for each agent, the platform's count of what it
/// sent that agent, against the report count of every subscriber that lived through the agent. A subscriber's
/// share of an agent runs from its first "pending" line after the previous agent went (its count then) to its
/// first "pending" line after this agent went, or its "final" line for the last agent; it counts only when the
/// subscriber was active in between and never "waiting". The first agent has no such start: subscriptions begin
/// during it. Rules: nobody receives more than was sent (that would be a duplicate); a killed agent's losses
/// are named (in the dead node's queues and on the wire) and, with a bound, kept under it; an agent that was not
/// killed loses only what it sent while the restored subscriptions were being bound again: a new incarnation
/// binds them one at a time, and the sources enabled for the first ones notify before the last ones are active
/// (each subscription is owed reports from its SubscriptionActive on). Those went to the subscriptions already
/// bound, so a subscriber's gap is at most what the subscribers received before they were all active again.
/// </summary>
public static class ChaosLedger
{
    public static IReadOnlyList<AgentAccount> Reconcile(IReadOnlyList<AgentSpan> agents, long totalSent, long totalLeft,
        IReadOnlyList<SubscriberLog> subscribers, long? lossBound = null)
    {
        var accounts = new List<AgentAccount>();
        for (var i = 0; i < agents.Count; i++)
        {
            var agent = agents[i];
            var last = i == agents.Count - 1;
            var sent = (last ? totalSent : agents[i + 1].SentBefore) - agent.SentBefore;
            var left = (last ? totalLeft : agents[i + 1].LeftBefore) - agent.LeftBefore;
            var ending = agent.KilledNode is { } killed ? $"{killed} was killed"
                : last ? "the platform stopped"
                : "its link ended without a kill";
            var shares = new List<AgentShare>();
            var problems = new List<string>();
            if (i > 0)
                foreach (var s in subscribers)
                    if (ShareOf(s, agents[i - 1].GoneSeq, agent.GoneSeq, last) is { } share)
                        shares.Add(new AgentShare(s.Name, share.Received, sent - left, share.Early));
            // Every subscriber restored at this agent's start counts, also one killed before the agent ended.
            var early = i == 0 ? 0 : subscribers.Sum(s => EarlyOf(s, agents[i - 1].GoneSeq, agent.GoneSeq) ?? 0);
            foreach (var share in shares)
            {
                if (share.Lost < 0) problems.Add($"{share.Subscriber} received {-share.Lost} more than the agent was sent");
                else if (share.Lost > early && agent.KilledNode is null && last)
                    problems.Add($"{share.Subscriber} is missing {share.Lost} though no node was killed (at most {early} could precede its binding)");
                else if (share.Lost > 0 && agent.KilledNode is not null && share.Lost > lossBound)
                    problems.Add($"{share.Subscriber} lost {share.Lost}, more than the bound of {lossBound} for a killed node");
            }
            if (sent < 0 || left < 0 || left > sent) problems.Add($"the platform's counts do not add up ({sent} sent, {left} left in the slot)");
            accounts.Add(new AgentAccount(agent.Agent, sent, left, agent.KilledNode is not null, ending, shares, problems.Count == 0 ? null : string.Join("; ", problems)));
        }
        return accounts;
    }

    /// <summary>What <paramref name="log"/> received between its first "pending" after <paramref name="previousGone"/> and its next "active", if both came before <paramref name="gone"/>.</summary>
    public static long? EarlyOf(SubscriberLog log, long? previousGone, long? gone)
    {
        if (previousGone is not { } from) return null;
        var start = log.Lines.FirstOrDefault(l => l.Seq > from && l.Kind == SubscriberLineKind.Pending);
        if (start is null || start.Seq > gone) return null;
        var active = log.Lines.FirstOrDefault(l => l.Seq > start.Seq && l.Kind != SubscriberLineKind.Final);
        return active is { Kind: SubscriberLineKind.Active } && !(active.Seq > gone) ? active.Reports - start.Reports : null;
    }

    /// <summary>
    /// The reports <paramref name="log"/> received of the agent that served between <paramref name="previousGone"/>
    /// and <paramref name="gone"/>, or null when it did not hold its subscriptions through all of it.
    /// </summary>
    public static (long Received, long Early)? ShareOf(SubscriberLog log, long? previousGone, long? gone, bool lastAgent)
    {
        if (previousGone is not { } from) return null;
        var start = log.Lines.FirstOrDefault(l => l.Seq > from && l.Kind == SubscriberLineKind.Pending);
        if (start is null) return null;
        SubscriberLine? end;
        if (lastAgent)
        {
            end = log.Lines.FirstOrDefault(l => l.Seq > start.Seq && l.Kind == SubscriberLineKind.Final);
        }
        else
        {
            if (gone is not { } to || start.Seq > to) return null;
            end = log.Lines.FirstOrDefault(l => l.Seq > to && l.Kind == SubscriberLineKind.Pending);
        }
        if (end is null) return null;
        var between = log.Lines.Where(l => l.Seq > start.Seq && l.Seq < end.Seq).ToList();
        if (between.Any(l => l.Kind == SubscriberLineKind.Waiting)) return null;
        if (between.FirstOrDefault(l => l.Kind == SubscriberLineKind.Active) is not { } active) return null;
        return (end.Reports - start.Reports, active.Reports - start.Reports);
    }
}
