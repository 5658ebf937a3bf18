using System.Collections.Concurrent;
using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>
/// Sharded mode: one incarnation of a platform this node hosts. The shard creates the entity from
/// <see cref="Start"/>; the handle marks the incarnation stopping when its ordered shutdown begins
/// and gone when it has stopped, which removes exactly this incarnation from the node's table (a
/// newer one, started meanwhile, stays). A start for an id whose incarnation is stopping awaits
/// <see cref="Gone"/> and then starts; a stop awaits it before it answers.
/// </summary>
internal sealed class HostedPlatform(StartPlatform start, ConcurrentDictionary<string, HostedPlatform> table)
{
    private readonly TaskCompletionSource _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;

    public StartPlatform Start { get; } = start;

    public bool Stopping => _stopping;

    /// <summary>Completes when the incarnation's handle has stopped (or never came to be).</summary>
    public Task Gone => _gone.Task;

    public void MarkStopping() => _stopping = true;

    public void MarkGone()
    {
        _stopping = true;
        table.TryRemove(new KeyValuePair<string, HostedPlatform>(Start.PlatformId, this));
        _gone.TrySetResult();
    }
}
