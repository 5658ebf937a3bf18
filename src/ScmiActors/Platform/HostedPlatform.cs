using System.Collections.Concurrent;
using ScmiActors.Messages;

namespace ScmiActors.Platform;

/// <summary>
/// Sharded mode: one incarnation of a platform this node hosts. The shard creates the entity from
/// <see cref="Start"/>; the handle marks the incarnation stopping when its ordered shutdown begins
/// and gone when it has stopped, which removes exactly this incarnation from the node's table (a
/// newer one, started meanwhile, stays). A start for an id whose incarnation is stopping awaits
/// <see cref="Gone"/> and then starts; a stop awaits it before it answers. An <see cref="Offered"/>
/// incarnation was made by the shard from this node's offer (several nodes can reach the platform):
/// its transport was made for it and is disposed when it is gone, so the platform sees this agent
/// leave and the next node can connect.
/// </summary>
internal sealed class HostedPlatform(StartPlatform start, ConcurrentDictionary<string, HostedPlatform> table, bool offered = false)
{
    private readonly TaskCompletionSource _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private int _disposed;

    public StartPlatform Start { get; } = start;

    public bool Offered { get; } = offered;

    public bool Stopping => _stopping;

    /// <summary>Completes when the incarnation's handle has stopped (or never came to be).</summary>
    public Task Gone => _gone.Task;

    public void MarkStopping() => _stopping = true;

    public void MarkGone()
    {
        _stopping = true;
        table.TryRemove(new KeyValuePair<string, HostedPlatform>(Start.PlatformId, this));
        if (Offered && Interlocked.Exchange(ref _disposed, 1) == 0) (Start.Transport as IDisposable)?.Dispose();
        _gone.TrySetResult();
    }
}
