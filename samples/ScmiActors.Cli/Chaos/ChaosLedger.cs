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

    /// <summary>A periodic count ("Stats of ID at T us: C reports, ..."): only where the ledger needs a subscriber's count between its state lines.</summary>
    Count,
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
/// bound, so a subscriber's gap is at most what the subscribers received from their "pending" until the last of them
/// was active again (each one's count read at its first line after that moment, a periodic count at the latest), plus
/// what the last agent's host delivered to nobody (<c>lastHostUndelivered</c>, from its own counters: reports that
/// arrived after the first enables but before any subscription was bound again, which no subscriber can count,
/// and any it dropped at its gate).
/// </summary>
public static class ChaosLedger
{
    public static IReadOnlyList<AgentAccount> Reconcile(IReadOnlyList<AgentSpan> agents, long totalSent, long totalLeft,
        IReadOnlyList<SubscriberLog> subscribers, long? lossBound = null, long lastHostUndelivered = 0)
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
            var early = i == 0 ? 0 : EarlyOf(subscribers, agents[i - 1].GoneSeq, agent.GoneSeq);
            foreach (var share in shares)
            {
                if (share.Lost < 0) problems.Add($"{share.Subscriber} received {-share.Lost} more than the agent was sent");
                else if (share.Lost > early + lastHostUndelivered && agent.KilledNode is null && last)
                    problems.Add($"{share.Subscriber} is missing {share.Lost} though no node was killed (at most {early} could precede its binding" +
                                 $"{(lastHostUndelivered > 0 ? $", and {lastHostUndelivered} went to no subscriber" : "")})");
                else if (share.Lost > 0 && agent.KilledNode is not null && share.Lost > lossBound)
                    problems.Add($"{share.Subscriber} lost {share.Lost}, more than the bound of {lossBound} for a killed node");
            }
            if (sent < 0 || left < 0 || left > sent) problems.Add($"the platform's counts do not add up ({sent} sent, {left} left in the slot)");
            accounts.Add(new AgentAccount(agent.Agent, sent, left, agent.KilledNode is not null, ending, shares, problems.Count == 0 ? null : string.Join("; ", problems)));
        }
        return accounts;
    }

    /// <summary>
    /// What the subscribers received of an agent before all of them were bound again: from each one's first "pending"
    /// after <paramref name="previousGone"/> until the last "active" among them (before <paramref name="gone"/>), each
    /// read at its first line with a count at or after that moment. A subscriber bound early keeps receiving while a
    /// later one is still pending; those reports are the ones the later one is not owed.
    /// </summary>
    public static long EarlyOf(IReadOnlyList<SubscriberLog> subscribers, long? previousGone, long? gone)
    {
        if (previousGone is not { } from) return 0;
        var restored = new List<(SubscriberLog Log, SubscriberLine Pending, SubscriberLine Active)>();
        foreach (var log in subscribers)
        {
            var pending = log.Lines.FirstOrDefault(l => l.Seq > from && l.Kind == SubscriberLineKind.Pending);
            if (pending is null || pending.Seq > gone) continue;
            var next = log.Lines.FirstOrDefault(l => l.Seq > pending.Seq && l.Kind is not (SubscriberLineKind.Final or SubscriberLineKind.Count));
            if (next is { Kind: SubscriberLineKind.Active } && !(next.Seq > gone)) restored.Add((log, pending, next));
        }
        if (restored.Count == 0) return 0;
        var allActive = restored.Max(r => r.Active.Seq);
        // A "waiting" line carries no count; the first line after the moment that does.
        return restored.Sum(r => (r.Log.Lines.FirstOrDefault(l => l.Seq >= allActive && l.Kind != SubscriberLineKind.Waiting) ?? r.Active).Reports - r.Pending.Reports);
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
