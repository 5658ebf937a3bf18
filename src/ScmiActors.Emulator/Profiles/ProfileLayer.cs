using System.Buffers.Binary;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Emulator.Profiles;

/// <summary>Where the layer sends a platform-to-agent message (the host's link writer), and what became of it.</summary>
public delegate IngestResult ProfileSend(uint header, ReadOnlySpan<byte> payload);

/// <summary>The generic firmware model's command entry (EmulatedPlatform.HandleCommand).</summary>
public delegate void ProfileCommandSink(uint header, ReadOnlySpan<byte> payload);

/// <summary>What a profile layer changed on the way through.</summary>
/// <param name="CopiesAdded">Extra byte-identical copies of a perf notification, one per further subscribed domain (SCP fan-out).</param>
/// <param name="Synthesized">Notifications the layer made itself (LEVEL_SET's LEVEL_CHANGED, SCP trip points on a reading).</param>
/// <param name="AgentIdsZeroed">Notifications whose agent_id was rewritten to 0.</param>
/// <param name="EnablesWidened">NOTIFY enables the layer sent to the emulator for domains the agent did not ask for.</param>
/// <param name="DisablesKept">Disables answered SUCCESS whose source the layer kept enabled in the emulator.</param>
public readonly record struct ProfileStats(long CopiesAdded, long Synthesized, long AgentIdsZeroed, long EnablesWidened, long DisablesKept);

/// <summary>
/// A <see cref="FirmwareProfile"/> applied around the generic emulator: every agent command passes
/// through <see cref="OnCommand"/> on its way in, every message of the emulator through
/// <see cref="FromPlatform"/> on its way out. The emulator's response to a command is captured (it is
/// always synchronous: the host rejects slow-response faults with a profile), so the layer decides
/// what the agent sees and in which order: notifications the emulator raised while executing the
/// command go out at once (before the reply), and the layer may send its own before or after the
/// reply. It tracks the agent's perf and trip point subscriptions from the NOTIFY commands and their
/// answers; to widen or keep an enable it sends the emulator its own NOTIFY commands and swallows their
/// answers. Commands arrive one at a time (the link's receive thread); notifications from the
/// emulator's tick loop may come concurrently and only read the subscription state under its lock.
/// </summary>
public sealed class ProfileLayer
{
    /// <summary>PERFORMANCE_LEVEL_SET (DEN0056 4.5.2.7); the emulator does not implement it.</summary>
    public const byte PerfLevelSet = 0x7;

    private readonly FirmwareProfile _profile;
    private readonly ProfileSend _toLink;
    private readonly uint _agentId;
    private readonly uint _perfDomains;
    private readonly Lock _commandLock = new(); // one command at a time through the layer
    private readonly Lock _stateLock = new();   // the subscription state, read by notifications from any thread
    private readonly Dictionary<byte, SortedSet<uint>> _perfSubscribed = new() // under _stateLock
    {
        [ScmiEvents.Perf.LevelChanged] = [],
        [ScmiEvents.Perf.LimitsChanged] = [],
    };
    private readonly HashSet<uint> _tripSubscribed = [];                      // under _stateLock
    private readonly Dictionary<uint, (long Value, int Mode)> _trip0 = new(); // command thread only
    private readonly Dictionary<uint, long> _lastReading = new();             // command thread only
    private ProfileCommandSink? _platform;
    private volatile int _captureThread = -1;
    private (uint Header, byte[] Message)? _captured; // command thread only
    private long _copies, _synthesized, _zeroed, _widened, _kept;

    public ProfileLayer(FirmwareProfile profile, PlatformDescription description, uint agentId, ProfileSend toLink)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(toLink);
        _profile = profile;
        _toLink = toLink;
        _agentId = agentId;
        _perfDomains = description.Find(ScmiProtocolId.Perf)?.SourceCount ?? 0;
    }

    public FirmwareProfile Profile => _profile;

    public ProfileStats Stats => new(Interlocked.Read(ref _copies), Interlocked.Read(ref _synthesized), Interlocked.Read(ref _zeroed),
        Interlocked.Read(ref _widened), Interlocked.Read(ref _kept));

    /// <summary>Connects the generic model; call once, before the first command.</summary>
    public void Bind(ProfileCommandSink platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        if (Interlocked.CompareExchange(ref _platform, platform, null) is not null) throw new InvalidOperationException("the layer is bound already");
    }

    /// <summary>True when the agent's subscriptions make (event, domain) of perf reach it, fan-out included.</summary>
    public bool IsPerfSubscribed(byte eventId, uint domain)
    {
        lock (_stateLock)
            return _perfSubscribed.TryGetValue(eventId, out var set) && (_profile.PerfFanOut ? set.Count > 0 : set.Contains(domain));
    }

    /// <summary>The agent went: its subscriptions, as the layer tracked them, are forgotten with the emulator's enables.</summary>
    public void ForgetSubscriptions()
    {
        lock (_stateLock)
        {
            foreach (var set in _perfSubscribed.Values) set.Clear();
            _tripSubscribed.Clear();
        }
    }

    // ---- out: the emulator's messages ---------------------------------------------------------------

    /// <summary>The emulator's send delegate: responses to the command in hand are captured, notifications rewritten and sent.</summary>
    public IngestResult FromPlatform(uint header, ReadOnlySpan<byte> payload)
    {
        switch (ScmiHeader.TypeOf(header))
        {
            case MessageType.Command when _captureThread == Environment.CurrentManagedThreadId:
                _captured = (header, payload.ToArray());
                return IngestResult.NotANotification;
            case MessageType.Notification:
                return SendNotification(header, payload);
            default:
                return _toLink(header, payload);
        }
    }

    /// <summary>A notification as this firmware sends it: agent_id rewritten where the firmware writes 0, copies where it fans out.</summary>
    private IngestResult SendNotification(uint header, ReadOnlySpan<byte> payload)
    {
        var protocol = ScmiHeader.ProtocolOf(header);
        var eventId = ScmiHeader.MessageIdOf(header);
        var zero = payload.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(payload) != 0 &&
                   ((_profile.LimitsChangedAgentZero && protocol == ScmiProtocolId.Perf && eventId == ScmiEvents.Perf.LimitsChanged) ||
                    (_profile.TripPointAgentZero && protocol == ScmiProtocolId.Sensor && eventId == ScmiEvents.Sensor.TripPointEvent));
        // Large payloads (a BASE_ERROR_EVENT of many reports) on the heap: this is an emulator, not an ISR.
        Span<byte> copy = payload.Length <= 256 ? stackalloc byte[payload.Length] : new byte[payload.Length];
        payload.CopyTo(copy);
        if (zero)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy, 0);
            Interlocked.Increment(ref _zeroed);
        }
        var copies = 1;
        if (_profile.PerfFanOut && protocol == ScmiProtocolId.Perf && _perfSubscribed.ContainsKey(eventId))
            lock (_stateLock) copies = Math.Max(1, _perfSubscribed[eventId].Count);
        var first = _toLink(header, copy);
        for (var i = 1; i < copies; i++)
        {
            Interlocked.Increment(ref _copies);
            _toLink(header, copy);
        }
        return first;
    }

    // ---- in: the agent's commands -------------------------------------------------------------------

    /// <summary>One agent command (the link's receive thread): carried out by the emulator and/or the profile; the reply goes to the link.</summary>
    public void OnCommand(uint header, ReadOnlySpan<byte> payload)
    {
        if (_platform is null) throw new InvalidOperationException("bind the layer to a platform first");
        var protocol = ScmiHeader.ProtocolOf(header);
        var messageId = ScmiHeader.MessageIdOf(header);
        lock (_commandLock)
        {
            if (_profile.LevelSet is { } order && protocol == ScmiProtocolId.Perf)
            {
                if (messageId == PerfLevelSet)
                {
                    LevelSet(header, payload, order);
                    return;
                }
                if (messageId == ScmiCommands.Common.ProtocolMessageAttributes && payload.Length >= 4 && R32(payload, 0) == PerfLevelSet)
                {
                    Reply(header, ScmiStatus.Success, 0);
                    return;
                }
            }

            if (Forward(header, payload) is not { } reply) return; // the emulator withheld it (a missing-response fault)
            var status = StatusOf(reply.Message);
            switch (protocol, messageId)
            {
                case (ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLevel) when status == ScmiStatus.Success && payload.Length >= 8:
                    PerfNotify(ScmiEvents.Perf.LevelChanged, messageId, R32(payload, 0), (R32(payload, 4) & 1) != 0);
                    break;
                case (ScmiProtocolId.Perf, ScmiCommands.Perf.NotifyLimits) when status == ScmiStatus.Success && payload.Length >= 8:
                    PerfNotify(ScmiEvents.Perf.LimitsChanged, messageId, R32(payload, 0), (R32(payload, 4) & 1) != 0);
                    break;
                case (ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointNotify) when status == ScmiStatus.Success && payload.Length >= 8:
                    TripNotify(header, R32(payload, 0), (R32(payload, 4) & 1) != 0);
                    break;
                case (ScmiProtocolId.Sensor, ScmiCommands.Sensor.TripPointConfig) when status == ScmiStatus.Success && payload.Length >= 16:
                    if ((R32(payload, 4) >> 4 & 0xFF) == 0)
                        _trip0[R32(payload, 0)] = ((long)(R32(payload, 8) | (ulong)R32(payload, 12) << 32), (int)(R32(payload, 4) & 3));
                    break;
                case (ScmiProtocolId.Sensor, ScmiCommands.Sensor.ReadingGet) when _profile.TripPointsOnReading && status == ScmiStatus.Success
                                                                                  && reply.Message.Length >= 12 && payload.Length >= 4:
                    TripOnReading(R32(payload, 0), (long)(R32(reply.Message, 4) | (ulong)R32(reply.Message, 8) << 32));
                    break;
            }
            _toLink(reply.Header, reply.Message);
        }
    }

    /// <summary>PERFORMANCE_LEVEL_SET: domain_id, level. The level is taken as asked; LEVEL_CHANGED goes to a subscribed agent in the firmware's order.</summary>
    private void LevelSet(uint header, ReadOnlySpan<byte> p, CommandNotificationOrder order)
    {
        if (p.Length < 8)
        {
            Reply(header, ScmiStatus.ProtocolError);
            return;
        }
        var domain = R32(p, 0);
        var level = R32(p, 4);
        if (domain >= _perfDomains)
        {
            Reply(header, ScmiStatus.NotFound);
            return;
        }
        if (order == CommandNotificationOrder.ReplyFirst) Reply(header, ScmiStatus.Success);
        if (IsPerfSubscribed(ScmiEvents.Perf.LevelChanged, domain))
        {
            Span<byte> changed = stackalloc byte[12];
            W32(changed, 0, _agentId);
            W32(changed, 4, domain);
            W32(changed, 8, level);
            Interlocked.Increment(ref _synthesized);
            SendNotification(ScmiHeader.Notification(ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), changed);
        }
        if (order == CommandNotificationOrder.NotificationFirst) Reply(header, ScmiStatus.Success);
    }

    /// <summary>
    /// After the emulator accepted a perf NOTIFY: the agent's set changes; with fan-out the emulator keeps
    /// every domain enabled while the agent has any, and none once it has none.
    /// </summary>
    private void PerfNotify(byte eventId, byte notifyMessage, uint domain, bool enable)
    {
        int before, after;
        lock (_stateLock)
        {
            var set = _perfSubscribed[eventId];
            before = set.Count;
            if (enable) set.Add(domain);
            else set.Remove(domain);
            after = set.Count;
        }
        if (!_profile.PerfFanOut) return;
        if (after > 0 && (before == 0 || !enable))
        {
            // First subscription: every other domain too. A disable while others remain: this domain stays on.
            for (uint d = 0; d < _perfDomains; d++)
                if (d != domain || !enable)
                    if (Internal(ScmiProtocolId.Perf, notifyMessage, d, 1) == ScmiStatus.Success) Interlocked.Increment(ref _widened);
        }
        else if (after == 0 && before > 0)
        {
            for (uint d = 0; d < _perfDomains; d++)
                if (d != domain) Internal(ScmiProtocolId.Perf, notifyMessage, d, 0);
        }
    }

    /// <summary>After the emulator accepted a trip point NOTIFY; SCP keeps the source on after a disable.</summary>
    private void TripNotify(uint header, uint sensor, bool enable)
    {
        if (enable)
        {
            lock (_stateLock) _tripSubscribed.Add(sensor);
            return;
        }
        if (!_profile.TripEventsAfterDisable)
        {
            lock (_stateLock) _tripSubscribed.Remove(sensor);
            return;
        }
        // The firmware removes the wrong subscription (Q6): the agent stays subscribed, the answer says SUCCESS.
        if (Internal(ScmiProtocolId.Sensor, ScmiHeader.MessageIdOf(header), sensor, 1) == ScmiStatus.Success) Interlocked.Increment(ref _kept);
    }

    /// <summary>SCP evaluates trip point 0 on each reading and sends the event before the reply (Q4, Q7).</summary>
    private void TripOnReading(uint sensor, long reading)
    {
        var hadPrevious = _lastReading.TryGetValue(sensor, out var previous);
        _lastReading[sensor] = reading;
        if (!hadPrevious || !_trip0.TryGetValue(sensor, out var trip)) return;
        bool subscribed;
        lock (_stateLock) subscribed = _tripSubscribed.Contains(sensor);
        var up = previous < trip.Value && reading >= trip.Value && (trip.Mode & 1) != 0;
        var down = previous >= trip.Value && reading < trip.Value && (trip.Mode & 2) != 0;
        if (!subscribed || !(up || down)) return;
        Span<byte> evt = stackalloc byte[12];
        W32(evt, 0, 0);
        W32(evt, 4, sensor);
        W32(evt, 8, up ? 1u << 16 : 0); // trip point 0
        Interlocked.Increment(ref _synthesized);
        SendNotification(ScmiHeader.Notification(ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent), evt);
    }

    /// <summary>Runs a command through the emulator and returns its response instead of sending it.</summary>
    private (uint Header, byte[] Message)? Forward(uint header, ReadOnlySpan<byte> payload)
    {
        _captured = null;
        _captureThread = Environment.CurrentManagedThreadId;
        try
        {
            _platform!(header, payload);
        }
        finally
        {
            _captureThread = -1;
        }
        var captured = _captured;
        _captured = null;
        return captured;
    }

    /// <summary>A NOTIFY (resource, control) of the layer's own; its answer never reaches the agent.</summary>
    private ScmiStatus? Internal(byte protocol, byte messageId, uint resource, uint control)
    {
        Span<byte> p = stackalloc byte[8];
        W32(p, 0, resource);
        W32(p, 4, control);
        return Forward(ScmiHeader.Command(protocol, messageId, 0), p) is { } reply ? StatusOf(reply.Message) : null;
    }

    private void Reply(uint header, ScmiStatus status, params ReadOnlySpan<uint> values)
    {
        Span<byte> message = stackalloc byte[4 + 4 * values.Length];
        W32(message, 0, (uint)status);
        for (var i = 0; i < values.Length; i++) W32(message, 4 + 4 * i, values[i]);
        _toLink(header, message);
    }

    private static ScmiStatus StatusOf(ReadOnlySpan<byte> message) =>
        message.Length >= 4 ? (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(message) : ScmiStatus.ProtocolError;

    private static uint R32(ReadOnlySpan<byte> s, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(offset, 4));

    private static void W32(Span<byte> d, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(d.Slice(offset, 4), value);
}
