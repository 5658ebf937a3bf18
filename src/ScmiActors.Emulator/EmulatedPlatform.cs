using System.Buffers.Binary;
using System.Diagnostics;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Emulator;

/// <summary>Where an emulated platform posts its platform-to-agent messages (notifications and responses), as an ISR would.</summary>
public delegate IngestResult EmulatorSend(uint header, ReadOnlySpan<byte> payload);

/// <summary>
/// An emulated SCMI platform: a firmware model that speaks only raw SCMI messages. It answers the
/// agent's commands (discovery, attributes, NOTIFY) with the layouts of DEN0056, keeps the enable
/// state of every (protocol, event, source), simulates its resources from a seeded
/// <see cref="EmulatorScenario"/> and sends a notification only where the agent enabled one (or
/// where a configured <see cref="EmulatorFault"/> says otherwise).
/// <para>Drive it in real time with <see cref="Start"/> / <see cref="StopAsync"/> (a background task
/// runs one tick per <see cref="EmulatorScenario.TickInterval"/>, catching up when late), or
/// deterministically with <see cref="Step"/> and <see cref="EmitOnce"/>. For one seed, tick n
/// produces the same notifications whatever drives it, given the same enable state.</para>
/// <para>Commands arrive through <see cref="HandleCommand"/> (the <see cref="InMemoryTransport.PlatformEnd"/>
/// constructor wires it up) on the agent's thread; it never blocks: answers go out at once, after a
/// timer (<see cref="EmulatorFault.SlowResponses"/>) or never (<see cref="EmulatorFault.MissingResponses"/>).</para>
/// </summary>
public sealed partial class EmulatedPlatform : IAsyncDisposable
{
    /// <summary>The background loop runs at most this many overdue ticks per wake-up, then drops the backlog.</summary>
    public const int MaxCatchUpTicks = 1_000;

    /// <summary>Largest number of sources per protocol the emulator models.</summary>
    public const uint MaxSources = 65_536;

    private readonly EmulatorSend _send;
    private readonly Func<bool> _agentAttached;
    private readonly Action? _detachCommands;
    private readonly EmulatorCounters _counters = new();
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly object _modelLock = new();
    private readonly object _commandLock = new();
    private readonly object _lifecycleLock = new();

    private Task? _loop;
    private CancellationTokenSource? _loopCts;
    private int _pendingResponses;
    private bool _disposed;

    /// <summary>Emulates <paramref name="description"/> on the platform end of an in-memory transport: answers its commands and posts to it.</summary>
    public EmulatedPlatform(InMemoryTransport.PlatformEnd platform, PlatformDescription description, EmulatorScenario? scenario = null)
        : this(Sender(platform), description, scenario, () => platform.IsAttached)
    {
        // The in-memory end says which NotRunning answers came from no handle being attached, exactly.
        _send = (header, payload) =>
        {
            var result = platform.Send(header, payload, out var detached);
            t_lastSendDetached = detached;
            return result;
        };
        _sendTellsDetached = true;
        platform.OnCommand((header, payload) => HandleCommand(header, payload));
        _detachCommands = () => platform.OnCommand(null);
    }

    /// <summary>
    /// Emulates <paramref name="description"/> posting through <paramref name="send"/>; feed it commands
    /// with <see cref="HandleCommand"/>. <paramref name="isAgentAttached"/> tells whether the agent's end
    /// is up (used by <see cref="EmulatorFault.KeepSendingAfterStop"/>); by default it always is.
    /// </summary>
    public EmulatedPlatform(EmulatorSend send, PlatformDescription description, EmulatorScenario? scenario = null, Func<bool>? isAgentAttached = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(description);
        scenario ??= EmulatorScenario.Default;
        scenario.Validate();
        _send = send;
        _agentAttached = isAgentAttached ?? (() => true);
        Description = description;
        Scenario = scenario;
        _rng = new Random(scenario.Seed);
        _faultRng = new Random(unchecked(scenario.Seed * 31 + 17));
        _commandRng = new Random(unchecked(scenario.Seed * 131 + 71));
        BuildModel();
    }

    private static EmulatorSend Sender(InMemoryTransport.PlatformEnd platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return (header, payload) => platform.Send(header, payload);
    }

    public PlatformDescription Description { get; }

    public EmulatorScenario Scenario { get; }

    /// <summary>Ticks simulated so far.</summary>
    public long Tick
    {
        get
        {
            lock (_modelLock) return _tick;
        }
    }

    /// <summary>Simulated time: <see cref="Tick"/> × <see cref="EmulatorScenario.TickInterval"/>.</summary>
    public TimeSpan SimulatedTime => Scenario.TickInterval * Tick;

    /// <summary>True while the background loop runs.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_lifecycleLock) return _loop is { IsCompleted: false };
        }
    }

    /// <summary>The exception that ended the background loop, if one did.</summary>
    public Exception? LoopFault
    {
        get => Volatile.Read(ref _loopFault);
        private set => Volatile.Write(ref _loopFault, value);
    }

    private Exception? _loopFault;

    /// <summary>Answers scheduled by <see cref="EmulatorFault.SlowResponses"/> and not sent yet.</summary>
    public int PendingResponses => Volatile.Read(ref _pendingResponses);

    /// <summary>True once the scenario's graceful shutdown request was made (sent if the agent had enabled it).</summary>
    public bool ShutdownRequested
    {
        get
        {
            lock (_modelLock) return _shutdownRequested;
        }
    }

    /// <summary>What was sent so far, by protocol and outcome, the faults injected, and the command path.</summary>
    public EmulatorStats GetStats() => _counters.Snapshot();

    /// <summary>Whether the agent has (protocol, event, source) enabled at the platform.</summary>
    public bool IsEnabled(byte protocol, byte eventId, uint source) =>
        _slots.TryGetValue(Key(protocol, eventId), out var slot) && slot.IsEnabled(source);

    /// <summary>
    /// The agent went and the next one starts from nothing, as after an agent reset: every notification
    /// enable is cleared (what an agent once enabled is kept for <see cref="EmulatorFault.KeepSendingAfterStop"/>).
    /// The simulated world (levels, readings, trip points) goes on. Serialized with commands.
    /// </summary>
    public void ForgetEnables()
    {
        lock (_commandLock)
            foreach (var slot in _slotOrder)
                for (uint source = 0; source < slot.Sources; source++)
                    if (slot.IsEnabled(source)) Volatile.Write(ref slot.Enabled[source], 0);
    }

    // ---- driving ----------------------------------------------------------------------------------

    /// <summary>Starts the background loop (idempotent while it runs).</summary>
    public void Start()
    {
        lock (_lifecycleLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loop is { IsCompleted: false }) return;
            LoopFault = null;
            _loopCts = new CancellationTokenSource();
            var token = _loopCts.Token;
            _loop = Task.Run(() => RunLoopAsync(token), CancellationToken.None);
        }
    }

    /// <summary>Stops the background loop and waits for its current tick to finish. The command path keeps answering.</summary>
    public async Task StopAsync()
    {
        Task? loop;
        CancellationTokenSource? cts;
        lock (_lifecycleLock)
        {
            loop = _loop;
            cts = _loopCts;
            _loop = null;
            _loopCts = null;
        }
        if (loop is null) return;
        await cts!.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        cts.Dispose();
    }

    /// <summary>Simulates <paramref name="ticks"/> ticks at once on the caller's thread and returns the notifications posted.</summary>
    public int Step(int ticks = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ticks);
        lock (_modelLock)
        {
            var before = _posted;
            for (var i = 0; i < ticks; i++) RunTick();
            return (int)(_posted - before);
        }
    }

    /// <summary>
    /// Makes one change of (protocol, event, source) now, as a tick would (a new perf level, a power
    /// toggle, a clock rate, a sensor reading, …), and sends its notification if the agent enabled it.
    /// Returns the transport's answer, or null when nothing was sent. For a trip point event the
    /// sensor's current temperature is reported against trip point 0; for the i.MX BBM RTC event the
    /// source is the plug-in's <c>rtc_id * 3 + kind</c> (kind 0 alarm, 1 rollover, 2 updated); for the
    /// i.MX MISC control event the dense source (device controls, then board controls).
    /// </summary>
    public IngestResult? EmitOnce(byte protocol, byte eventId, uint source)
    {
        if (!_slots.TryGetValue(Key(protocol, eventId), out var slot))
            throw new ArgumentException($"the emulated platform has no event {eventId} of protocol 0x{protocol:X2}");
        if (source >= slot.Sources)
            throw new ArgumentOutOfRangeException(nameof(source), $"{slot.Name} has {slot.Sources} sources");
        lock (_modelLock)
        {
            var before = _posted;
            ChangeOnce(slot, source);
            return _posted == before ? null : _lastResult;
        }
    }

    private async Task RunLoopAsync(CancellationToken token)
    {
        var interval = Scenario.TickInterval;
        var period = interval < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : interval;
        using var timer = new PeriodicTimer(period);
        var clock = Stopwatch.StartNew();
        long done = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                var due = clock.Elapsed.Ticks / interval.Ticks;
                var overdue = due - done;
                if (overdue <= 0) continue;
                var run = (int)Math.Min(overdue, MaxCatchUpTicks);
                for (var i = 0; i < run && !token.IsCancellationRequested; i++) Step();
                done = due;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LoopFault = e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lifecycleLock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        await StopAsync().ConfigureAwait(false);
        _detachCommands?.Invoke();
        // Not disposed: a late HandleCommand may still read its token (a slow answer is then dropped).
        await _disposeCts.CancelAsync().ConfigureAwait(false);
    }

    // ---- sending ----------------------------------------------------------------------------------

    private IngestResult _lastResult;
    private long _posted;

    /// <summary>Set by the in-memory end's send (<see cref="_sendTellsDetached"/>): the last send on this thread found no handle attached.</summary>
    [ThreadStatic]
    private static bool t_lastSendDetached;

    private readonly bool _sendTellsDetached;

    private void Post(uint header, ReadOnlySpan<byte> payload)
    {
        // A detached agent's transport answers NotRunning without any gate counting it, and the reconciliation
        // with the dispatcher needs those apart. The in-memory end says so itself, from the same read of its
        // receiver that decided the answer. Other links are asked before the post: a detach that lands between
        // that read and the transport's own, a few instructions, is counted as a gate's NotRunning.
        var attached = _agentAttached();
        t_lastSendDetached = false;
        var result = _send(header, payload);
        var detached = _sendTellsDetached ? t_lastSendDetached : !attached;
        var protocol = ScmiHeader.ProtocolOf(header);
        _counters.Count(protocol, result);
        if (detached && result == IngestResult.NotRunning) _counters.Detached(protocol);
        _lastResult = result;
        _posted++;
    }

    private static int Key(byte protocol, byte eventId) => (protocol << 8) | eventId;

    private static void W32(Span<byte> destination, int offset, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(offset, 4), value);

    private static void W64(Span<byte> destination, int offset, ulong value)
    {
        W32(destination, offset, (uint)value);
        W32(destination, offset + 4, (uint)(value >> 32));
    }

    private static uint R32(ReadOnlySpan<byte> source, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(offset, 4));

    /// <summary>One notification of the platform: its wire limits and, per source, capability and enable state.</summary>
    private sealed class EventSlot
    {
        public EventSlot(byte protocol, byte eventId, string name, uint sources, int maxPayload, bool perSource, double ratePerSecond,
            Func<uint, bool> canNotify)
        {
            Protocol = protocol;
            EventId = eventId;
            Name = name;
            Sources = sources;
            MaxPayload = maxPayload;
            PerSource = perSource;
            RatePerSecond = ratePerSecond;
            Enabled = new int[sources];
            EverEnabled = new int[sources];
            CanNotify = new bool[sources];
            Accumulator = new double[sources];
            for (uint s = 0; s < sources; s++) CanNotify[s] = canNotify(s);
        }

        public byte Protocol { get; }
        public byte EventId { get; }
        public string Name { get; }
        public uint Sources { get; }

        /// <summary>The largest valid payload (DESIGN.md's size rule); Oversized sends one word more.</summary>
        public int MaxPayload { get; }

        /// <summary>True when the payload carries the source id at +4 (so it can be out of range).</summary>
        public bool PerSource { get; }

        public double RatePerSecond { get; }
        public int[] Enabled { get; }
        public int[] EverEnabled { get; }
        public bool[] CanNotify { get; }

        /// <summary>Fractional changes due per source (owned by the model lock).</summary>
        public double[] Accumulator { get; }

        public bool IsEnabled(uint source) => source < Sources && Volatile.Read(ref Enabled[source]) != 0;

        public bool WasEverEnabled(uint source) => source < Sources && Volatile.Read(ref EverEnabled[source]) != 0;

        public void Set(uint source, bool enable)
        {
            Volatile.Write(ref Enabled[source], enable ? 1 : 0);
            if (enable) Volatile.Write(ref EverEnabled[source], 1);
        }

        public override string ToString() => $"{Name} (0x{Protocol:X2}/{EventId})";
    }

    /// <summary>Event names as in DESIGN.md; the i.MX BBM ones as its plug-in names them.</summary>
    private static class Names
    {
        public const string BaseError = "BASE_ERROR_EVENT";
        public const string PowerState = "POWER_STATE_CHANGED";
        public const string SystemPower = "SYSTEM_POWER_STATE_NOTIFIER";
        public const string PerfLimits = "PERFORMANCE_LIMITS_CHANGED";
        public const string PerfLevel = "PERFORMANCE_LEVEL_CHANGED";
        public const string ClockChanged = "CLOCK_RATE_CHANGED";
        public const string ClockRequested = "CLOCK_RATE_CHANGE_REQUESTED";
        public const string TripPoint = "SENSOR_TRIP_POINT_EVENT";
        public const string SensorUpdate = "SENSOR_UPDATE";
        public const string ResetIssued = "RESET_ISSUED";
        public const string CapChanged = "POWERCAP_CAP_CHANGED";
        public const string Measurements = "POWERCAP_MEASUREMENTS_CHANGED";
        public const string BbmRtc = ImxBbm.RtcEvent;
        public const string BbmButton = ImxBbm.ButtonEvent;
        public const string MiscControl = ImxMisc.ControlEvent;
    }
}
