using Akka.Actor;
using Akka.Cluster;

namespace ScmiActors.Cli.Node;

/// <summary>
/// Prints a line for each member that comes Up or is Removed, with the number of Up members (and one
/// more when this node is Up), so a person or a test can watch the cluster form and shrink; and tells
/// the node when this node itself is on its way out (Exiting: the leader has taken its leave, its shards are handed off).
/// </summary>
public sealed class MemberWatcherActor : ReceiveActor
{
    private readonly HashSet<Address> _up = [];

    public MemberWatcherActor(TextWriter output, TaskCompletionSource selfExiting)
    {
        var self = Cluster.Get(Context.System).SelfAddress;
        var shutdown = CoordinatedShutdown.Get(Context.System);
        // Once this node leaves or is downed, its cluster publishes every member as Removed while it
        // shuts down: that is this node's view ending, not the others leaving, so it is not printed.
        var selfGone = false;
        bool Leaving() => selfGone || shutdown.ShutdownReason is not null;
        Receive<ClusterEvent.MemberUp>(e =>
        {
            _up.Add(e.Member.Address);
            if (Leaving()) return;
            output.WriteLine($"Member {e.Member.Address} {RolesOf(e.Member)} Up; members: {_up.Count}");
            if (e.Member.Address == self) output.WriteLine($"Node {self} is Up as {RolesOf(e.Member)}; members: {_up.Count}");
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _up.Remove(e.Member.Address);
            if (!Leaving()) output.WriteLine($"Member {e.Member.Address} {RolesOf(e.Member)} Removed; members: {_up.Count}");
        });
        // Leaving, exiting or downed: no longer counted as Up (its Removed line follows).
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            if (e.Member.Status is not MemberStatus.Up and not MemberStatus.WeaklyUp) _up.Remove(e.Member.Address);
            if (e.Member.Address == self && e.Member.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down) selfGone = true;
            // Exiting: the leader took this node's leave (its shards are handed off); the shutdown's own Removed does not count.
            if (e.Member.Address == self && e.Member.Status == MemberStatus.Exiting) selfExiting.TrySetResult();
        });
    }

    public static Props Props(TextWriter output, TaskCompletionSource selfExiting) =>
        Akka.Actor.Props.Create(() => new MemberWatcherActor(output, selfExiting));

    /// <summary>The roles a user gave, e.g. <c>[platform]</c> (without Akka's own data-centre role).</summary>
    public static string RolesOf(Member member) =>
        $"[{string.Join(",", member.Roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order(StringComparer.Ordinal))}]";

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
