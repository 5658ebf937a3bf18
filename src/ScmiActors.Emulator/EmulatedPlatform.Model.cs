using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Emulator;

// The simulated world: resources that change on their own, and the notifications those changes
// cause. Everything here runs under _modelLock; values the command path reads (GET commands) are
// published with Volatile writes. Payloads follow DESIGN.md's wire table and are written here,
// independently of the decoders.
public sealed partial class EmulatedPlatform
{
    private const uint PowerOn = 0x0000_0000;
    private const uint PowerOff = 0x4000_0000;

    /// <summary>Largest valid payload per event (DESIGN.md size rules); BASE_ERROR_EVENT with 1024 reports.</summary>
    private const int MaxBaseErrorPayload = 8 + 8 * 1024;
    private const int MaxSensorUpdatePayload = 8 + 16 * PlatformProtocol.MaxSensorAxes;

    private static readonly uint[] PowercapPais = [1_000, 10_000, 100_000];

    private readonly Random _rng;
    private readonly Random _faultRng;
    private readonly Random _commandRng;
    private readonly Dictionary<int, EventSlot> _slots = new();
    private readonly List<EventSlot> _slotOrder = new();
    private readonly byte[] _buffer = new byte[MaxBaseErrorPayload + 16];

    private EmulatorFault[] _payloadFaults = [];
    private byte _unknownProtocol;
    private double _tickSeconds;
    private long _tickNs;
    private long _stormTicks;
    private long _shutdownTick;

    private long _tick;
    private bool _sawAttached;
    private bool _agentStopped;
    private bool _shutdownRequested;

    private EventSlot _baseError = null!;
    private EventSlot? _powerState, _systemPower, _perfLimits, _perfLevel, _clockChanged, _clockRequested;
    private EventSlot? _tripPoint, _sensorUpdate, _resetIssued, _capChanged, _measurements, _bbmRtc, _bbmButton, _miscControl;

    // Resource state. Arrays are sized by the protocol's number of sources.
    private uint[] _powerStates = [];
    private uint[] _perfLevels = [], _perfMins = [], _perfMaxs = [];
    private ulong[] _clockRates = [];
    private long[] _temperatures = [];
    private double[] _sensorPhases = [], _sensorPeriods = [];
    private int[] _sensorAxes = [];
    private TripPoint[][] _tripPoints = [];
    private uint[] _powerMw = [], _capsMw = [], _paisUs = [];
    private double[] _powerPhases = [], _powerPeriods = [];
    private long[] _thresholds = [];

    /// <summary>A configured trip point: value (millidegrees) and mode (bit0 on upward crossings, bit1 on downward).</summary>
    private readonly record struct TripPoint(long Value, int Mode);

    // ---- construction -------------------------------------------------------------------------

    private void BuildModel()
    {
        var s = Scenario;
        _tickSeconds = s.TickInterval.TotalSeconds;
        _tickNs = s.TickInterval.Ticks * 100;
        _stormTicks = Math.Max(1, s.StormEvery.Ticks / s.TickInterval.Ticks);
        _shutdownTick = s.ShutdownAfter is { } after ? Math.Max(1, (long)Math.Ceiling(after.Ticks / (double)s.TickInterval.Ticks)) : -1;
        _payloadFaults = new[] { EmulatorFault.Malformed, EmulatorFault.Oversized, EmulatorFault.UnknownProtocolsAndEvents, EmulatorFault.OutOfRangeSources }
            .Where(f => s.Faults.HasFlag(f)).ToArray();
        _unknownProtocol = Enumerable.Range(0x1A, 0x7F - 0x1A + 1).Concat(Enumerable.Range(0x80, 0x80).Reverse())
            .Select(p => (byte)p).First(p => Description.Find(p) is null);

        _baseError = Add(new EventSlot(ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent, Names.BaseError, 1, MaxBaseErrorPayload, false, s.BaseErrorPerSecond,
            Can(Description.Find(ScmiProtocolId.Base), ScmiEvents.Base.ErrorEvent)));

        if (Described(ScmiProtocolId.Power, out var power, out var n))
        {
            _powerState = Add(new EventSlot(power.ProtocolId, ScmiEvents.Power.StateChanged, Names.PowerState, n, 12, true, s.PowerStatePerSecond, Can(power, ScmiEvents.Power.StateChanged)));
            _powerStates = new uint[n];
        }

        if (Description.Find(ScmiProtocolId.System) is { } system)
            _systemPower = Add(new EventSlot(system.ProtocolId, ScmiEvents.System.PowerStateNotifier, Names.SystemPower, 1, 16, false, 0, Can(system, ScmiEvents.System.PowerStateNotifier)));

        if (Described(ScmiProtocolId.Perf, out var perf, out n))
        {
            _perfLimits = Add(new EventSlot(perf.ProtocolId, ScmiEvents.Perf.LimitsChanged, Names.PerfLimits, n, 16, true, s.PerfLimitsPerSecond, Can(perf, ScmiEvents.Perf.LimitsChanged)));
            _perfLevel = Add(new EventSlot(perf.ProtocolId, ScmiEvents.Perf.LevelChanged, Names.PerfLevel, n, 12, true, s.PerfLevelPerSecond, Can(perf, ScmiEvents.Perf.LevelChanged)));
            _perfLevels = new uint[n];
            _perfMins = new uint[n];
            _perfMaxs = new uint[n];
            for (var d = 0; d < n; d++)
            {
                _perfMins[d] = s.PerfMinLevel;
                _perfMaxs[d] = s.PerfMaxLevel;
                _perfLevels[d] = Opp(_rng.Next(OppCount));
            }
        }

        if (Described(ScmiProtocolId.Clock, out var clock, out n))
        {
            _clockChanged = Add(new EventSlot(clock.ProtocolId, ScmiEvents.Clock.RateChanged, Names.ClockChanged, n, 16, true, s.ClockRatePerSecond, Can(clock, ScmiEvents.Clock.RateChanged)));
            _clockRequested = Add(new EventSlot(clock.ProtocolId, ScmiEvents.Clock.RateChangeRequested, Names.ClockRequested, n, 16, true, s.ClockRatePerSecond, Can(clock, ScmiEvents.Clock.RateChangeRequested)));
            _clockRates = new ulong[n];
            for (var c = 0; c < n; c++) _clockRates[c] = RandomClockRate();
        }

        if (Described(ScmiProtocolId.Sensor, out var sensor, out n))
        {
            var tripCount = s.TripPoints.IsDefault ? 0 : s.TripPoints.Length;
            _tripPoint = Add(new EventSlot(sensor.ProtocolId, ScmiEvents.Sensor.TripPointEvent, Names.TripPoint, n, 12, true, 0,
                src => tripCount > 0 && sensor.CanNotify(ScmiEvents.Sensor.TripPointEvent, src)));
            _sensorUpdate = Add(new EventSlot(sensor.ProtocolId, ScmiEvents.Sensor.Update, Names.SensorUpdate, n, MaxSensorUpdatePayload, true,
                s.SensorUpdatePerSecond, Can(sensor, ScmiEvents.Sensor.Update)));
            var trips = s.TripPoints.IsDefault ? [] : s.TripPoints.Select(v => new TripPoint(v, 3)).ToArray();
            _temperatures = new long[n];
            _sensorPhases = new double[n];
            _sensorPeriods = new double[n];
            _sensorAxes = new int[n];
            _tripPoints = new TripPoint[n][];
            for (uint i = 0; i < n; i++)
            {
                _sensorPhases[i] = _rng.NextDouble() * 2 * Math.PI;
                _sensorPeriods[i] = s.TemperaturePeriod.TotalSeconds * (0.75 + 0.5 * _rng.NextDouble());
                _sensorAxes[i] = Math.Clamp(sensor.AxesOf(i), 1, PlatformProtocol.MaxSensorAxes);
                _tripPoints[i] = trips;
                _temperatures[i] = Temperature(i, 0);
            }
        }

        if (Described(ScmiProtocolId.Reset, out var reset, out n))
            _resetIssued = Add(new EventSlot(reset.ProtocolId, ScmiEvents.Reset.Issued, Names.ResetIssued, n, 12, true, s.ResetPerSecond, Can(reset, ScmiEvents.Reset.Issued)));

        if (Described(ScmiProtocolId.Powercap, out var powercap, out n))
        {
            _capChanged = Add(new EventSlot(powercap.ProtocolId, ScmiEvents.Powercap.CapChanged, Names.CapChanged, n, 16, true, s.PowercapCapPerSecond, Can(powercap, ScmiEvents.Powercap.CapChanged)));
            _measurements = Add(new EventSlot(powercap.ProtocolId, ScmiEvents.Powercap.MeasurementsChanged, Names.Measurements, n, 12, true, 0, Can(powercap, ScmiEvents.Powercap.MeasurementsChanged)));
            var (low, high) = powercap.MeasurementThresholds ?? s.MeasurementThresholds;
            _powerMw = new uint[n];
            _capsMw = new uint[n];
            _paisUs = new uint[n];
            _powerPhases = new double[n];
            _powerPeriods = new double[n];
            _thresholds = new long[n];
            for (uint d = 0; d < n; d++)
            {
                _capsMw[d] = RandomCap();
                _paisUs[d] = PowercapPais[_rng.Next(PowercapPais.Length)];
                _powerPhases[d] = _rng.NextDouble() * 2 * Math.PI;
                _powerPeriods[d] = s.PowerPeriod.TotalSeconds * (0.75 + 0.5 * _rng.NextDouble());
                _thresholds[d] = PackThresholds(low, high);
                _powerMw[d] = PowerAt(d, 0);
            }
        }

        if (Description.Find(ImxBbm.ProtocolId) is { } bbm)
        {
            // Sources as the plug-in numbers them: rtc_id * 3 + kind, for the description's number of RTCs.
            if (bbm.SourceCount > MaxSources / ImxBbm.KindsPerRtc)
                throw new ArgumentException($"imx-bbm: {bbm.SourceCount} RTCs, the emulator models at most {MaxSources / ImxBbm.KindsPerRtc}");
            _bbmRtc = Add(new EventSlot(ImxBbm.ProtocolId, ImxBbm.Events.Rtc, Names.BbmRtc, bbm.SourceCount * ImxBbm.KindsPerRtc, 4, false,
                s.BbmRtcPerSecond, Can(bbm, ImxBbm.Events.Rtc)));
            _bbmButton = Add(new EventSlot(ImxBbm.ProtocolId, ImxBbm.Events.Button, Names.BbmButton, 1, 4, false, s.BbmButtonPerSecond, Can(bbm, ImxBbm.Events.Button)));
        }

        if (Description.Find(ImxMisc.ProtocolId) is { } misc)
        {
            var controls = ImxMisc.DeviceControls(misc) + ImxMisc.BoardControls(misc);
            if (controls > MaxSources)
                throw new ArgumentException($"imx-misc: {controls} controls, the emulator models at most {MaxSources}");
            _miscControl = Add(new EventSlot(ImxMisc.ProtocolId, ImxMisc.Events.Control, Names.MiscControl, controls, 8, false,
                s.MiscControlPerSecond, Can(misc, ImxMisc.Events.Control)));
        }

        // Random phases, so that sources with the same rate do not all change on the same tick.
        foreach (var slot in _slotOrder)
            for (var i = 0; i < slot.Accumulator.Length; i++) slot.Accumulator[i] = _rng.NextDouble();
    }

    private bool Described(byte protocolId, out PlatformProtocol protocol, out uint sources)
    {
        protocol = Description.Find(protocolId)!;
        sources = 0;
        if (protocol is null) return false;
        if (protocol.SourceCount > MaxSources)
            throw new ArgumentException($"protocol 0x{protocolId:X2}: {protocol.SourceCount} sources, the emulator models at most {MaxSources}");
        sources = protocol.SourceCount;
        return true;
    }

    private static Func<uint, bool> Can(PlatformProtocol? protocol, byte eventId) =>
        source => protocol?.CanNotify(eventId, source) ?? true;

    private EventSlot Add(EventSlot slot)
    {
        _slots.Add(Key(slot.Protocol, slot.EventId), slot);
        _slotOrder.Add(slot);
        return slot;
    }

    private static int EventCount(byte protocol) => protocol switch
    {
        ScmiProtocolId.Perf or ScmiProtocolId.Clock or ScmiProtocolId.Sensor or ScmiProtocolId.Powercap or ImxBbm.ProtocolId => 2,
        _ => 1,
    };

    // ---- one tick -----------------------------------------------------------------------------

    private void RunTick()
    {
        _tick++;
        var attached = _agentAttached();
        if (attached) _sawAttached = true;
        _agentStopped = _sawAttached && !attached;
        var t = _tick * _tickSeconds;

        TickBase();
        TickPower();
        TickSystem();
        TickPerf();
        TickClock();
        TickSensors(t);
        TickReset();
        TickPowercap(t);
        TickBbm();
        TickMisc();
        TickStorm();
    }

    private int Due(EventSlot slot, uint source)
    {
        var acc = slot.Accumulator[source] + slot.RatePerSecond * _tickSeconds;
        var n = (int)acc;
        slot.Accumulator[source] = acc - n;
        return n;
    }

    private void TickBase()
    {
        for (var i = Due(_baseError, 0); i > 0; i--) ChangeBaseError();
    }

    private void TickPower()
    {
        if (_powerState is not { } slot) return;
        for (uint d = 0; d < slot.Sources; d++)
            for (var i = Due(slot, d); i > 0; i--) TogglePower(d);
    }

    private void TickSystem()
    {
        if (_systemPower is null || _shutdownRequested || _shutdownTick < 0 || _tick < _shutdownTick) return;
        _shutdownRequested = true;
        EmitShutdownRequest();
    }

    private void TickPerf()
    {
        if (_perfLimits is not { } limits || _perfLevel is not { } level) return;
        for (uint d = 0; d < limits.Sources; d++)
        {
            for (var i = Due(limits, d); i > 0; i--) ChangePerfLimits(d);
            for (var i = Due(level, d); i > 0; i--) ChangePerfLevel(d);
        }
    }

    private void TickClock()
    {
        if (_clockChanged is not { } slot) return;
        for (uint c = 0; c < slot.Sources; c++)
            for (var i = Due(slot, c); i > 0; i--) ChangeClock(c, requested: true, changed: true);
    }

    private void TickSensors(double t)
    {
        if (_sensorUpdate is not { } update) return;
        for (uint s = 0; s < update.Sources; s++)
        {
            var previous = _temperatures[s];
            var current = Temperature(s, t);
            if (Scenario.TemperatureNoise > 0) current += _rng.NextInt64(-Scenario.TemperatureNoise, Scenario.TemperatureNoise + 1);
            Volatile.Write(ref _temperatures[s], current);

            var trips = Volatile.Read(ref _tripPoints[s]);
            for (var k = 0; k < trips.Length; k++)
            {
                var trip = trips[k];
                if (previous < trip.Value && current >= trip.Value && (trip.Mode & 1) != 0) EmitTripPoint(s, k, up: true);
                else if (previous >= trip.Value && current < trip.Value && (trip.Mode & 2) != 0) EmitTripPoint(s, k, up: false);
            }

            for (var i = Due(update, s); i > 0; i--) EmitSensorUpdate(s);
        }
    }

    private void TickReset()
    {
        if (_resetIssued is not { } slot) return;
        for (uint d = 0; d < slot.Sources; d++)
            for (var i = Due(slot, d); i > 0; i--) IssueReset(d);
    }

    private void TickPowercap(double t)
    {
        if (_capChanged is not { } cap) return;
        for (uint d = 0; d < cap.Sources; d++)
        {
            var previous = _powerMw[d];
            var current = PowerAt(d, t);
            if (Scenario.PowerNoiseMw > 0)
                current = (uint)Math.Max(0, current + _rng.NextInt64(-Scenario.PowerNoiseMw, Scenario.PowerNoiseMw + 1));
            Volatile.Write(ref _powerMw[d], current);
            var (low, high) = Thresholds(d);
            if (Crossed(previous, current, low) || Crossed(previous, current, high)) EmitMeasurement(d);

            for (var i = Due(cap, d); i > 0; i--) ChangeCap(d);
        }

        static bool Crossed(uint previous, uint current, uint threshold) => previous < threshold != current < threshold;
    }

    private void TickBbm()
    {
        if (_bbmRtc is { } rtc)
            for (uint s = 0; s < rtc.Sources; s++)
                for (var i = Due(rtc, s); i > 0; i--) EmitBbmRtc(s);
        if (_bbmButton is { } button)
            for (var i = Due(button, 0); i > 0; i--) EmitBbmButton();
    }

    private void TickMisc()
    {
        if (_miscControl is not { } slot) return;
        for (uint s = 0; s < slot.Sources; s++)
            for (var i = Due(slot, s); i > 0; i--) EmitMiscControl(s);
    }

    /// <summary>A burst of the current state of every enabled source, round robin, far above any queue budget.</summary>
    private void TickStorm()
    {
        if (!Scenario.Faults.HasFlag(EmulatorFault.Storm) || Scenario.StormBurst == 0 || _tick % _stormTicks != 0) return;
        var targets = new List<(EventSlot Slot, uint Source)>();
        foreach (var slot in _slotOrder)
        {
            if (slot == _tripPoint || slot == _systemPower) continue;
            for (uint s = 0; s < slot.Sources; s++)
                if (IsEffectivelyEnabled(slot, s, out _)) targets.Add((slot, s));
        }
        if (targets.Count == 0) return;
        for (var i = 0; i < Scenario.StormBurst; i++)
        {
            var (slot, source) = targets[i % targets.Count];
            var length = WriteCurrentState(slot, source);
            _counters.Injected(slot.Protocol, EmulatorFault.Storm);
            Post(ScmiHeader.Notification(slot.Protocol, slot.EventId), _buffer.AsSpan(0, length));
        }
    }

    /// <summary>One change of one source, for <see cref="EmitOnce"/>.</summary>
    private void ChangeOnce(EventSlot slot, uint source)
    {
        if (slot == _baseError) ChangeBaseError();
        else if (slot == _powerState) TogglePower(source);
        else if (slot == _systemPower)
        {
            _shutdownRequested = true;
            EmitShutdownRequest();
        }
        else if (slot == _perfLimits) ChangePerfLimits(source);
        else if (slot == _perfLevel) ChangePerfLevel(source);
        else if (slot == _clockChanged) ChangeClock(source, requested: false, changed: true);
        else if (slot == _clockRequested) ChangeClock(source, requested: true, changed: false);
        else if (slot == _tripPoint)
        {
            var trips = Volatile.Read(ref _tripPoints[source]);
            if (trips.Length > 0) EmitTripPoint(source, 0, up: _temperatures[source] >= trips[0].Value);
        }
        else if (slot == _sensorUpdate) EmitSensorUpdate(source);
        else if (slot == _resetIssued) IssueReset(source);
        else if (slot == _capChanged) ChangeCap(source);
        else if (slot == _measurements) EmitMeasurement(source);
        else if (slot == _bbmRtc) EmitBbmRtc(source);
        else if (slot == _bbmButton) EmitBbmButton();
        else if (slot == _miscControl) EmitMiscControl(source);
    }

    // ---- changes and their notifications --------------------------------------------------------

    /// <summary>The agent a change is attributed to: 0 (the platform) or, for a share of changes, another agent.</summary>
    private uint Cause() =>
        _rng.NextDouble() < Scenario.AgentCausedShare ? (uint)_rng.Next(1, Scenario.Agents + 1) : 0;

    private void ChangeBaseError()
    {
        var count = _rng.Next(1, 4);
        var fatal = _rng.NextDouble() < 0.02;
        var agent = (uint)_rng.Next(1, Scenario.Agents + 1);
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, (fatal ? 0x8000_0000u : 0) | (uint)count);
        for (var i = 0; i < count; i++) W64(b, 8 + 8 * i, (ulong)_rng.NextInt64());
        Emit(_baseError, 0, 8 + 8 * count);
    }

    private void TogglePower(uint domain)
    {
        var agent = Cause();
        var state = _powerStates[domain] == PowerOn ? PowerOff : PowerOn;
        Volatile.Write(ref _powerStates[domain], state);
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, domain);
        W32(b, 8, state);
        Emit(_powerState!, domain, 12);
    }

    private void EmitShutdownRequest()
    {
        var v2 = Description.Find(ScmiProtocolId.System)!.Version.Major >= 2;
        var b = _buffer.AsSpan();
        W32(b, 0, 0);
        W32(b, 4, 1); // graceful
        W32(b, 8, 0); // shutdown
        if (v2) W32(b, 12, (uint)Scenario.ShutdownTimeout.TotalMilliseconds);
        Emit(_systemPower!, 0, v2 ? 16 : 12);
    }

    private int OppCount => (int)((Scenario.PerfMaxLevel - Scenario.PerfMinLevel) / Scenario.PerfLevelStep) + 1;

    private uint Opp(int index) => Scenario.PerfMinLevel + (uint)index * Scenario.PerfLevelStep;

    private int OppIndex(uint level) => (int)((level - Scenario.PerfMinLevel) / Scenario.PerfLevelStep);

    private void ChangePerfLimits(uint domain)
    {
        var middle = OppCount / 2;
        var min = Opp(_rng.Next(0, middle + 1));
        var max = Opp(_rng.Next(middle, OppCount));
        ApplyPerfLimits(domain, max, min, Cause());
    }

    /// <summary>PERFORMANCE_LIMITS_SET from an agent: same change, caused by that agent.</summary>
    private void SetPerfLimits(uint domain, uint max, uint min, uint agent)
    {
        lock (_modelLock) ApplyPerfLimits(domain, max, min, agent);
    }

    private void ApplyPerfLimits(uint domain, uint max, uint min, uint agent)
    {
        Volatile.Write(ref _perfMins[domain], min);
        Volatile.Write(ref _perfMaxs[domain], max);
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, domain);
        W32(b, 8, max);
        W32(b, 12, min);
        Emit(_perfLimits!, domain, 16);

        // The level follows its new limits, as firmware would: that is a level change too.
        var level = _perfLevels[domain];
        var clamped = Math.Clamp(level, min, max);
        if (clamped != level)
        {
            Volatile.Write(ref _perfLevels[domain], clamped);
            EmitPerfLevel(domain, agent);
        }
    }

    private void ChangePerfLevel(uint domain)
    {
        var low = OppIndex(_perfMins[domain]);
        var high = OppIndex(_perfMaxs[domain]);
        var index = _rng.Next(low, high + 1);
        if (Opp(index) == _perfLevels[domain] && high > low) index = index == high ? low : index + 1;
        Volatile.Write(ref _perfLevels[domain], Opp(index));
        EmitPerfLevel(domain, Cause());
    }

    private void EmitPerfLevel(uint domain, uint agent)
    {
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, domain);
        W32(b, 8, _perfLevels[domain]);
        Emit(_perfLevel!, domain, 12);
    }

    private ulong RandomClockRate()
    {
        var steps = (long)((Scenario.ClockMaxHz - Scenario.ClockMinHz) / Scenario.ClockStepHz);
        return Scenario.ClockMinHz + (ulong)_rng.NextInt64(0, steps + 1) * Scenario.ClockStepHz;
    }

    /// <summary>An agent (or the platform) asks for a new rate, then the clock runs at it.</summary>
    private void ChangeClock(uint clock, bool requested, bool changed)
    {
        var rate = RandomClockRate();
        var agent = Cause();
        var b = _buffer.AsSpan();
        if (requested)
        {
            W32(b, 0, agent);
            W32(b, 4, clock);
            W64(b, 8, rate);
            Emit(_clockRequested!, clock, 16);
        }
        Volatile.Write(ref _clockRates[clock], rate);
        if (changed)
        {
            W32(b, 0, agent);
            W32(b, 4, clock);
            W64(b, 8, rate);
            Emit(_clockChanged!, clock, 16);
        }
    }

    /// <summary>Millidegrees: each sensor swings between the scenario's limits with its own phase and period.</summary>
    private long Temperature(uint sensor, double t)
    {
        var middle = (Scenario.TemperatureMin + Scenario.TemperatureMax) / 2.0;
        var amplitude = (Scenario.TemperatureMax - Scenario.TemperatureMin) / 2.0;
        return (long)Math.Round(middle + amplitude * Math.Sin(2 * Math.PI * t / _sensorPeriods[sensor] + _sensorPhases[sensor]));
    }

    private long AxisValue(uint sensor, int axis) => Volatile.Read(ref _temperatures[sensor]) - 1_500L * axis;

    private void EmitTripPoint(uint sensor, int tripId, bool up)
    {
        var b = _buffer.AsSpan();
        W32(b, 0, 0);
        W32(b, 4, sensor);
        W32(b, 8, (uint)tripId | (up ? 1u << 16 : 0));
        Emit(_tripPoint!, sensor, 12);
    }

    private void EmitSensorUpdate(uint sensor) => Emit(_sensorUpdate!, sensor, WriteSensorUpdate(sensor));

    private int WriteSensorUpdate(uint sensor)
    {
        var b = _buffer.AsSpan();
        var axes = _sensorAxes[sensor];
        W32(b, 0, 0);
        W32(b, 4, sensor);
        var timestamp = (ulong)(_tick * _tickNs);
        for (var a = 0; a < axes; a++)
        {
            W64(b, 8 + 16 * a, (ulong)AxisValue(sensor, a));
            W64(b, 16 + 16 * a, timestamp);
        }
        return 8 + 16 * axes;
    }

    private void IssueReset(uint domain)
    {
        var agent = Cause();
        var state = _rng.NextDouble() < 0.8 ? 0u : 0x8000_0000u | (uint)_rng.Next(1, 16);
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, domain);
        W32(b, 8, state);
        Emit(_resetIssued!, domain, 12);
    }

    private uint RandomCap() =>
        Scenario.CapMinMw + (uint)_rng.Next(0, (int)((Scenario.CapMaxMw - Scenario.CapMinMw) / Scenario.CapStepMw) + 1) * Scenario.CapStepMw;

    private uint PowerAt(uint domain, double t)
    {
        var middle = (Scenario.PowerMinMw + (double)Scenario.PowerMaxMw) / 2;
        var amplitude = (Scenario.PowerMaxMw - (double)Scenario.PowerMinMw) / 2;
        return (uint)Math.Max(0, Math.Round(middle + amplitude * Math.Sin(2 * Math.PI * t / _powerPeriods[domain] + _powerPhases[domain])));
    }

    private static long PackThresholds(uint low, uint high) => (long)(((ulong)high << 32) | low);

    private (uint Low, uint High) Thresholds(uint domain)
    {
        var packed = (ulong)Volatile.Read(ref _thresholds[domain]);
        return ((uint)packed, (uint)(packed >> 32));
    }

    private void ChangeCap(uint domain)
    {
        var cap = RandomCap();
        var pai = PowercapPais[_rng.Next(PowercapPais.Length)];
        var agent = Cause();
        Volatile.Write(ref _capsMw[domain], cap);
        Volatile.Write(ref _paisUs[domain], pai);
        var b = _buffer.AsSpan();
        W32(b, 0, agent);
        W32(b, 4, domain);
        W32(b, 8, cap);
        W32(b, 12, pai);
        Emit(_capChanged!, domain, 16);
    }

    private void EmitMeasurement(uint domain)
    {
        var b = _buffer.AsSpan();
        W32(b, 0, 0);
        W32(b, 4, domain);
        W32(b, 8, _powerMw[domain]);
        Emit(_measurements!, domain, 12);
    }

    /// <summary>i.MX BBM RTC as imx-sm sends it: one <c>flags</c> word, the rtc id in bits 31:24 and one event bit.</summary>
    private void EmitBbmRtc(uint source)
    {
        W32(_buffer, 0, BbmRtcFlags(source));
        Emit(_bbmRtc!, source, 4);
    }

    private static uint BbmRtcFlags(uint source) => (source / ImxBbm.KindsPerRtc) << 24 | 1u << (int)(source % ImxBbm.KindsPerRtc);

    /// <summary>i.MX MISC control event: <c>ctrl_id, flags</c> (flags 1, as the imx-sm controls raise it).</summary>
    private void EmitMiscControl(uint source)
    {
        W32(_buffer, 0, ImxMisc.ControlIdOf(source, Description.Find(ImxMisc.ProtocolId)!));
        W32(_buffer, 4, 1);
        Emit(_miscControl!, source, 8);
    }

    private void EmitBbmButton()
    {
        W32(_buffer, 0, 1);
        Emit(_bbmButton!, 0, 4);
    }

    /// <summary>The current state of a source as a notification payload in the buffer (storms repeat it).</summary>
    private int WriteCurrentState(EventSlot slot, uint source)
    {
        var b = _buffer.AsSpan();
        W32(b, 0, 0);
        W32(b, 4, source);
        if (slot == _baseError)
        {
            W32(b, 4, 0);
            return 8;
        }
        if (slot == _powerState)
        {
            W32(b, 8, _powerStates[source]);
            return 12;
        }
        if (slot == _perfLimits)
        {
            W32(b, 8, _perfMaxs[source]);
            W32(b, 12, _perfMins[source]);
            return 16;
        }
        if (slot == _perfLevel)
        {
            W32(b, 8, _perfLevels[source]);
            return 12;
        }
        if (slot == _clockChanged || slot == _clockRequested)
        {
            W64(b, 8, _clockRates[source]);
            return 16;
        }
        if (slot == _sensorUpdate) return WriteSensorUpdate(source);
        if (slot == _resetIssued)
        {
            W32(b, 8, 0);
            return 12;
        }
        if (slot == _capChanged)
        {
            W32(b, 8, _capsMw[source]);
            W32(b, 12, _paisUs[source]);
            return 16;
        }
        if (slot == _measurements)
        {
            W32(b, 8, _powerMw[source]);
            return 12;
        }
        if (slot == _bbmRtc)
        {
            W32(b, 0, BbmRtcFlags(source));
            return 4;
        }
        if (slot == _miscControl)
        {
            W32(b, 0, ImxMisc.ControlIdOf(source, Description.Find(ImxMisc.ProtocolId)!));
            W32(b, 4, 1);
            return 8;
        }
        W32(b, 0, 1); // BBM button
        return 4;
    }

    // ---- sending with enable state and faults ----------------------------------------------------

    /// <summary>Enabled by the agent, or (KeepSendingAfterStop) ever enabled by an agent that has gone.</summary>
    private bool IsEffectivelyEnabled(EventSlot slot, uint source, out bool afterStop)
    {
        afterStop = false;
        if (slot.IsEnabled(source)) return true;
        if (_agentStopped && Scenario.Faults.HasFlag(EmulatorFault.KeepSendingAfterStop) && slot.WasEverEnabled(source))
        {
            afterStop = true;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Sends the payload in the buffer if the source is enabled. The fault dice are rolled for every
    /// change, sent or not, so the simulated world does not depend on what the agent enabled.
    /// </summary>
    private void Emit(EventSlot slot, uint source, int length)
    {
        var roll = _faultRng.NextDouble();
        var pick = _faultRng.Next(1 << 30);
        if (!IsEffectivelyEnabled(slot, source, out var afterStop)) return;

        var header = ScmiHeader.Notification(slot.Protocol, slot.EventId);
        if (_payloadFaults.Length > 0 && roll < Scenario.FaultProbability)
        {
            var fault = _payloadFaults[pick % _payloadFaults.Length];
            var detail = (uint)(pick >> 4);
            switch (fault)
            {
                case EmulatorFault.Malformed:
                    length = Math.Max(0, length - 4);
                    break;
                case EmulatorFault.Oversized:
                    _buffer.AsSpan(length, slot.MaxPayload + 4 - length).Clear();
                    length = slot.MaxPayload + 4;
                    break;
                case EmulatorFault.OutOfRangeSources when slot.PerSource:
                    W32(_buffer, 4, slot.Sources + detail % 4);
                    break;
                case EmulatorFault.OutOfRangeSources:
                    fault = EmulatorFault.None; // no source field to corrupt
                    break;
                case EmulatorFault.UnknownProtocolsAndEvents:
                    header = (detail & 1) == 0
                        ? ScmiHeader.Notification(_unknownProtocol, slot.EventId)
                        : ScmiHeader.Notification(slot.Protocol, (byte)(EventCount(slot.Protocol) + (detail >> 1) % 4));
                    break;
            }
            if (fault != EmulatorFault.None) _counters.Injected(slot.Protocol, fault);
        }
        if (afterStop) _counters.Injected(slot.Protocol, EmulatorFault.KeepSendingAfterStop);
        Post(header, _buffer.AsSpan(0, length));
    }
}
