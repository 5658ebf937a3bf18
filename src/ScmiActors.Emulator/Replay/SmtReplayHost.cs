using System.Diagnostics;
using System.Threading.Channels;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Emulator.Replay;

/// <summary>How fast notifications are played.</summary>
public enum ReplaySpeed
{
    /// <summary>Each notification as soon as its anchor allows.</summary>
    Full,
    /// <summary>Each notification no earlier than its recorded distance after the later of its anchor's response and the previous notification.</summary>
    Recorded,
}

/// <summary>Knobs of a replay platform.</summary>
public sealed record ReplayOptions
{
    public ReplaySpeed Speed { get; init; } = ReplaySpeed.Full;

    /// <summary>
    /// When the next notification waits for a subscription command that has not come and the agent has
    /// sent nothing (and nothing was played) for this long, the anchor is given up and replay goes on: the
    /// agent subscribed differently from the recorded one, or not at all. Long enough for an agent's
    /// subscriptions to follow each other; short enough not to stall a replay for long.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a notification waits for the agent to free the P2A slot (and ring, when asked) before it is written anyway and lost at the busy slot, counted.</summary>
    public TimeSpan SlotWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Which commands are subscriptions (anchors); default: <see cref="Wire.Catalogs.ProtocolCatalogs.Default"/>.</summary>
    public ProtocolCatalog? Catalog { get; init; }
}

/// <summary>What a replay platform did.</summary>
/// <param name="CommandsReceived">Commands the agent sent.</param>
/// <param name="CommandsAnswered">Answered from the recording.</param>
/// <param name="CommandsUnmatched">No recorded command had their protocol, message id and payload: answered NOT_SUPPORTED.</param>
/// <param name="NotificationsSent">Notifications written into the P2A slot and rung.</param>
/// <param name="NotificationsLost">Not written: the P2A slot stayed busy past the slot wait, too large for a slot, or the agent was gone.</param>
/// <param name="NotificationsLeft">Not played yet (waiting for their anchor).</param>
/// <param name="AnchorsGivenUp">Subscription commands that never came, given up after the stall timeout.</param>
public readonly record struct ReplayStats(
    long CommandsReceived,
    long CommandsAnswered,
    long CommandsUnmatched,
    long NotificationsSent,
    long NotificationsLost,
    long NotificationsLeft,
    long AnchorsGivenUp);

/// <summary>
/// A recorded platform served on the platform's end of an SMT link (TRANSPORTS.md §1), beside
/// <see cref="SmtEmulatorHost"/>: commands come in on the link's receive thread, which only queues them;
/// one player task answers them from the <see cref="ReplayScript"/> and plays its notifications in
/// recorded order, each after its anchor (see <see cref="ReplayScript"/>). Unlike firmware, the player
/// waits (bounded) for a FREE P2A slot, so a replay delivers what was recorded instead of losing the
/// second of two back-to-back notifications.
/// </summary>
public sealed class SmtReplayHost : IAsyncDisposable
{
    private readonly SmtPlatformEnd _link;
    private readonly ReplayScript _script;
    private readonly ReplayOptions _options;
    // A null payload is no command: it only wakes the player (after Resume).
    private readonly Channel<(uint Header, byte[]? Payload)> _commands = Channel.CreateUnbounded<(uint, byte[]?)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool[] _passed; // per recorded command: answered, or given up; player only
    private Task _player = Task.CompletedTask;
    private volatile bool _held;
    private int _next;              // the next notification to play
    private long _lastActivity;     // Stopwatch timestamp of the last command or notification
    private long _refAt;            // recorded speed: when (Stopwatch) the reference event happened
    private long _refUs;            // ... and its recorded time
    private long _received, _answered, _unmatched, _sent, _lost, _givenUp;

    private SmtReplayHost(SmtPlatformEnd link, ReplayScript script, ReplayOptions options)
    {
        _link = link;
        _script = script;
        _options = options;
        _passed = new bool[script.Commands.Count];
        // The receive thread only queues: the player may wait for the P2A slot, which that thread frees.
        _link.OnCommand((header, payload) => _commands.Writer.TryWrite((header, payload)));
    }

    /// <summary>
    /// Creates the area file and listens on the socket. The P2A flags word is the recording's (1 for the
    /// i.MX transcript: the agent must ring when it frees the slot) unless <paramref name="linkOptions"/> says.
    /// </summary>
    public static SmtReplayHost Create(string areaPath, string socketPath, ReplayScript script, ReplayOptions? options = null,
        SmtPlatformOptions? linkOptions = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        linkOptions ??= new SmtPlatformOptions { NotificationFlags = script.Recording.NotificationFlags ?? 0 };
        var link = SmtPlatformEnd.Create(areaPath, socketPath, linkOptions);
        return new SmtReplayHost(link, script, options ?? new ReplayOptions());
    }

    public SmtPlatformEnd Link => _link;

    public ReplayScript Script => _script;

    /// <summary>Completes when the agent's link ends: EOF (the agent is gone), a protocol error, or dispose.</summary>
    public Task<SmtLinkClosed> AgentGone => _link.AgentGone;

    /// <summary>Completes once every recorded notification has been played (sent or lost).</summary>
    public Task Finished => _finished.Task;

    /// <summary>The player's failure, if it failed (it then stops answering).</summary>
    public Exception? PlayerFault => _player.Exception?.GetBaseException();

    public ReplayStats Stats => new(Interlocked.Read(ref _received), Interlocked.Read(ref _answered), Interlocked.Read(ref _unmatched),
        Interlocked.Read(ref _sent), Interlocked.Read(ref _lost), _script.Notifications.Count - Volatile.Read(ref _next), Interlocked.Read(ref _givenUp));

    /// <summary>
    /// Holds every notification back (commands are still answered) until <see cref="Resume"/>: for a test that
    /// must finish several subscriptions before any of what they release is played (a notification anchored
    /// to the first enable would otherwise meet the later subscriptions' sources still unsubscribed).
    /// </summary>
    public void Hold() => _held = true;

    /// <summary>Plays again what is due, in recorded order.</summary>
    public void Resume()
    {
        _held = false;
        Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp()); // the stall counts from here, not from before the hold
        _commands.Writer.TryWrite((0, null));
    }

    /// <summary>Waits for the one agent of this link, then starts playing.</summary>
    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        await _link.AcceptAsync(cancellationToken).ConfigureAwait(false);
        _lastActivity = _refAt = Stopwatch.GetTimestamp();
        _player = Task.Run(() => PlayAsync(_stop.Token));
        // The agent gone ends the player, wherever it waits.
        _ = _link.AgentGone.ContinueWith(_ => StopPlayer(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task PlayAsync(CancellationToken stop)
    {
        var reader = _commands.Reader;
        while (!stop.IsCancellationRequested && !_link.AgentGone.IsCompleted)
        {
            await PlayDueAsync(beforeResponseOf: null, stop).ConfigureAwait(false);
            if (_next == _script.Notifications.Count) _finished.TrySetResult();

            using (var cycle = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                if (NextDeadline() is { } wait) cycle.CancelAfter(wait);
                try
                {
                    await reader.WaitToReadAsync(cycle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    // The deadline: a notification's time, or a stalled anchor.
                }
            }
            if (stop.IsCancellationRequested) break;
            var handled = false;
            while (reader.TryRead(out var c))
            {
                if (c.Payload is null) continue;
                handled = true;
                await AnswerAsync(c.Header, c.Payload, stop).ConfigureAwait(false);
            }
            if (!handled) GiveUpIfStalled();
        }
    }

    private async Task AnswerAsync(uint header, byte[] payload, CancellationToken stop)
    {
        Interlocked.Increment(ref _received);
        _lastActivity = Stopwatch.GetTimestamp();
        if (_script.Match(header, payload) is not { } recorded)
        {
            Interlocked.Increment(ref _unmatched);
            _link.Respond(header, ScmiStatus.NotSupported);
            return;
        }
        _passed[recorded.Index] = true;
        // Notifications recorded inside this command (before its response) go first, as the firmware sent them.
        await PlayDueAsync(beforeResponseOf: recorded.Index, stop).ConfigureAwait(false);
        var (status, values) = ReplayScript.Split(recorded.Response!);
        // Counted before the doorbell, as the link counts: a reader who saw the answer arrive sees it counted.
        Interlocked.Increment(ref _answered);
        try
        {
            _link.Respond(header, status, values);
        }
        catch (ArgumentException)
        {
            // Recorded values too large for this link's slot: unanswerable here, so the agent times out.
            Interlocked.Decrement(ref _answered);
            Interlocked.Increment(ref _unmatched);
        }
        var respondedUs = recorded.Response!.TimeUs;
        if (respondedUs > _refUs) (_refAt, _refUs) = (Stopwatch.GetTimestamp(), respondedUs);
    }

    /// <summary>
    /// Plays notifications from the next one on while their anchor has passed (and, at recorded speed, their
    /// time has come). With <paramref name="beforeResponseOf"/>, only those that belong before that command's
    /// response, regardless of time: a response is never held back for the clock.
    /// </summary>
    private async Task PlayDueAsync(int? beforeResponseOf, CancellationToken stop)
    {
        while (_next < _script.Notifications.Count && !stop.IsCancellationRequested && !_held)
        {
            var n = _script.Notifications[_next];
            if (n.Anchor >= 0 && !_passed[n.Anchor]) return;
            if (beforeResponseOf is { } k)
            {
                if (n.Anchor == k && !n.BeforeResponse) return;
            }
            else if (_options.Speed == ReplaySpeed.Recorded && DueIn(n) > TimeSpan.Zero)
            {
                return;
            }
            await SendAsync(n, stop).ConfigureAwait(false);
            Volatile.Write(ref _next, _next + 1);
            _lastActivity = Stopwatch.GetTimestamp();
            if (n.Event.TimeUs >= _refUs) (_refAt, _refUs) = (_lastActivity, n.Event.TimeUs);
        }
    }

    private TimeSpan DueIn(ReplayNotification n)
    {
        var gap = TimeSpan.FromMicroseconds(Math.Max(0, n.Event.TimeUs - _refUs));
        return gap - Stopwatch.GetElapsedTime(_refAt);
    }

    /// <summary>How long the player may sleep when no command comes: until the next notification's time, or until its anchor stalls.</summary>
    private TimeSpan? NextDeadline()
    {
        if (_next == _script.Notifications.Count || _held) return null;
        var n = _script.Notifications[_next];
        var due = n.Anchor >= 0 && !_passed[n.Anchor]
            ? _options.StallTimeout - Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity))
            : DueIn(n);
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    private void GiveUpIfStalled()
    {
        if (_next == _script.Notifications.Count || _held) return;
        var n = _script.Notifications[_next];
        if (n.Anchor < 0 || _passed[n.Anchor] || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity)) < _options.StallTimeout) return;
        _passed[n.Anchor] = true;
        Interlocked.Increment(ref _givenUp);
        _lastActivity = Stopwatch.GetTimestamp();
    }

    private async Task SendAsync(ReplayNotification n, CancellationToken stop)
    {
        var slot = _link.Options.P2ASlots[0];
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.SlotWait.TotalSeconds * Stopwatch.Frequency);
        // Bounded wait for the agent to free the slot (and ring, when the last message asked it to).
        while ((_link.IsAwaitingCompletion(slot) || (_link.Area.ReadStatus(slot) & SmtLayout.StatusFree) == 0)
               && Stopwatch.GetTimestamp() < deadline && !_link.AgentGone.IsCompleted)
            await Task.Delay(1, stop).ConfigureAwait(false);
        SmtSendResult result;
        try
        {
            result = _link.SendNotification(n.Event.Header, n.Event.Payload, slot);
        }
        catch (ArgumentException)
        {
            result = SmtSendResult.LostAtBusySlot; // larger than a slot: cannot be written on this link
        }
        Interlocked.Increment(ref result == SmtSendResult.Sent ? ref _sent : ref _lost);
    }

    private void StopPlayer()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the player is stopped.
        }
    }

    /// <summary>Stops the player, then ends the link (the agent sees EOF) and removes the area file and the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        StopPlayer();
        try
        {
            await _player.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The stop itself.
        }
        catch (Exception)
        {
            // Kept in PlayerFault for the caller.
        }
        _link.OnCommand(null);
        _link.Dispose();
        _stop.Dispose();
    }
}
