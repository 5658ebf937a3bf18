using System.Buffers.Binary;
using System.Text;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Emulator;

// The command path: what the platform answers to each agent command, with the layouts of DEN0056
// (checked against the behaviour of Linux drivers/firmware/arm_scmi and SCP-firmware). Unknown
// protocol: NOT_SUPPORTED; unknown message id: NOT_FOUND; payload too short: PROTOCOL_ERROR;
// resource id out of range: NOT_FOUND; reserved bits set: INVALID_PARAMETERS.
public sealed partial class EmulatedPlatform
{
    public const string VendorName = "ScmiActors";
    public const string SubVendorName = "emulator";
    public const uint ImplementationVersion = 0x0001_0000;

    /// <summary>Sensor type (attributes_high bits 7:0) the emulated sensors report: degrees Celsius.</summary>
    public const uint SensorTypeDegreesC = 2;

    /// <summary>Sensor scale (attributes_high bits 15:11, 5-bit two's complement): 10^-3, millidegrees.</summary>
    public const int SensorScale = -3;

    private static readonly byte[] Common =
        [ScmiCommands.Common.ProtocolVersion, ScmiCommands.Common.ProtocolAttributes, ScmiCommands.Common.ProtocolMessageAttributes];

    /// <summary>Implemented message ids per protocol (what PROTOCOL_MESSAGE_ATTRIBUTES says exists).</summary>
    private static byte[] ImplementedMessages(byte protocol) => protocol switch
    {
        ScmiProtocolId.Base =>
        [
            .. Common, ScmiCommands.Base.DiscoverVendor, ScmiCommands.Base.DiscoverSubVendor,
            ScmiCommands.Base.DiscoverImplementationVersion, ScmiCommands.Base.DiscoverListProtocols,
            ScmiCommands.Base.DiscoverAgent, ScmiCommands.Base.NotifyErrors,
        ],
        ScmiProtocolId.Power => [.. Common, ScmiCommands.Power.DomainAttributes, ScmiCommands.Power.StateGet, ScmiCommands.Power.StateNotify],
        ScmiProtocolId.System => [.. Common, ScmiCommands.System.PowerStateNotify],
        ScmiProtocolId.Perf =>
        [
            .. Common, ScmiCommands.Perf.DomainAttributes, ScmiCommands.Perf.LimitsSet, ScmiCommands.Perf.LimitsGet,
            ScmiCommands.Perf.LevelGet, ScmiCommands.Perf.NotifyLimits, ScmiCommands.Perf.NotifyLevel,
        ],
        ScmiProtocolId.Clock =>
        [
            .. Common, ScmiCommands.Clock.Attributes, ScmiCommands.Clock.RateGet, ScmiCommands.Clock.RateNotify,
            ScmiCommands.Clock.RateChangeRequestedNotify,
        ],
        ScmiProtocolId.Sensor =>
        [
            .. Common, ScmiCommands.Sensor.DescriptionGet, ScmiCommands.Sensor.TripPointNotify, ScmiCommands.Sensor.TripPointConfig,
            ScmiCommands.Sensor.ReadingGet, ScmiCommands.Sensor.AxisDescriptionGet, ScmiCommands.Sensor.ContinuousUpdateNotify,
        ],
        ScmiProtocolId.Reset => [.. Common, ScmiCommands.Reset.DomainAttributes, ScmiCommands.Reset.Notify],
        ScmiProtocolId.Powercap =>
        [
            .. Common, ScmiCommands.Powercap.DomainAttributes, ScmiCommands.Powercap.CapGet, ScmiCommands.Powercap.PaiGet,
            ScmiCommands.Powercap.MeasurementsGet, ScmiCommands.Powercap.CapNotify, ScmiCommands.Powercap.MeasurementsNotify,
        ],
        ImxBbm.ProtocolId => [.. Common, ImxBbm.Commands.RtcNotify, ImxBbm.Commands.ButtonNotify],
        ImxMisc.ProtocolId => [.. Common, ImxMisc.Commands.ControlNotify],
        _ => Common,
    };

    /// <summary>
    /// One agent command (a type-0 message): carries it out and answers it — now, after a delay
    /// (<see cref="EmulatorFault.SlowResponses"/>) or never (<see cref="EmulatorFault.MissingResponses"/>).
    /// Thread-safe, never blocks, never throws for any input.
    /// </summary>
    public void HandleCommand(uint header, ReadOnlySpan<byte> payload)
    {
        Interlocked.Increment(ref _counters.CommandsReceived);
        if (ScmiHeader.TypeOf(header) != MessageType.Command) return; // only commands travel agent-to-platform
        Reply reply;
        TimeSpan? delay = null;
        lock (_commandLock)
        {
            try
            {
                reply = Execute(ScmiHeader.ProtocolOf(header), ScmiHeader.MessageIdOf(header), payload);
            }
            catch (Exception)
            {
                reply = Reply.Status(ScmiStatus.GenericError);
            }

            var faults = Scenario.Faults;
            if (faults.HasFlag(EmulatorFault.MissingResponses) && _commandRng.NextDouble() < Scenario.MissingResponseProbability)
            {
                Interlocked.Increment(ref _counters.ResponsesWithheld);
                return;
            }
            if (faults.HasFlag(EmulatorFault.SlowResponses))
            {
                var spread = (Scenario.SlowResponseMax - Scenario.SlowResponseMin).Ticks;
                delay = Scenario.SlowResponseMin + TimeSpan.FromTicks((long)(_commandRng.NextDouble() * spread));
            }
        }

        if (delay is not { } wait)
        {
            Respond(header, reply);
            return;
        }
        Interlocked.Increment(ref _counters.ResponsesDelayed);
        Interlocked.Increment(ref _pendingResponses);
        var token = _disposeCts.Token;
        _ = Task.Delay(wait, token).ContinueWith(t =>
        {
            Interlocked.Decrement(ref _pendingResponses);
            if (!t.IsCanceled) Respond(header, reply);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Respond(uint commandHeader, Reply reply)
    {
        var message = new byte[4 + reply.Values.Length];
        BinaryPrimitives.WriteInt32LittleEndian(message, (int)reply.Code);
        reply.Values.CopyTo(message, 4);
        var header = (ScmiHeader.Parse(commandHeader) with { Type = MessageType.Command }).Encode();
        IngestResult result;
        try
        {
            result = _send(header, message);
        }
        catch (Exception)
        {
            result = IngestResult.NotRunning;
        }
        Interlocked.Increment(ref _counters.ResponsesSent);
        if (result == IngestResult.NotRunning) Interlocked.Increment(ref _counters.ResponsesUndelivered);
    }

    private readonly record struct Reply(ScmiStatus Code, byte[] Values)
    {
        public static Reply Status(ScmiStatus status) => new(status, []);
        public static Reply Ok { get; } = new(ScmiStatus.Success, []);
        public static Reply Words(params uint[] words)
        {
            var values = new byte[4 * words.Length];
            for (var i = 0; i < words.Length; i++) W32(values, 4 * i, words[i]);
            return new Reply(ScmiStatus.Success, values);
        }
    }

    /// <summary>Builds return values: 32-bit words, 16-byte NUL-padded names, packed bytes.</summary>
    private sealed class ReplyBuilder
    {
        private byte[] _buffer = new byte[64];
        private int _length;

        public ReplyBuilder U32(uint value)
        {
            W32(Grow(4), 0, value);
            return this;
        }

        public ReplyBuilder U64(ulong value) => U32((uint)value).U32((uint)(value >> 32));

        /// <summary>A short name: 16 bytes, NUL terminated (at most 15 ASCII characters).</summary>
        public ReplyBuilder Name(string name)
        {
            var field = Grow(16);
            Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(15, name.Length)), field);
            return this;
        }

        /// <summary>Bytes packed four to a word, the last word zero-padded.</summary>
        public ReplyBuilder Packed(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Grow((bytes.Length + 3) / 4 * 4));
            return this;
        }

        public Reply Build() => new(ScmiStatus.Success, _buffer[.._length]);

        private Span<byte> Grow(int count)
        {
            if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            var span = _buffer.AsSpan(_length, count);
            span.Clear();
            _length += count;
            return span;
        }
    }

    /// <summary>The protocols the platform implements besides base, ascending (what DISCOVER_LIST_PROTOCOLS lists).</summary>
    private byte[] ListedProtocols() => Description.Protocols.Keys.Where(p => p != ScmiProtocolId.Base).ToArray();

    private Reply Execute(byte protocol, byte messageId, ReadOnlySpan<byte> p)
    {
        var described = Description.Find(protocol);
        if (protocol != ScmiProtocolId.Base && described is null) return Reply.Status(ScmiStatus.NotSupported);
        if (Array.IndexOf(ImplementedMessages(protocol), messageId) < 0) return Reply.Status(ScmiStatus.NotFound);

        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolVersion:
                return Reply.Words((described?.Version ?? new ProtocolVersion(2, 0)).Raw);
            case ScmiCommands.Common.ProtocolMessageAttributes:
                if (p.Length < 4) return Reply.Status(ScmiStatus.ProtocolError);
                return R32(p, 0) is var asked && asked <= 0xFF && Array.IndexOf(ImplementedMessages(protocol), (byte)asked) >= 0
                    ? Reply.Words(0)
                    : Reply.Status(ScmiStatus.NotFound);
        }

        return protocol switch
        {
            ScmiProtocolId.Base => Base(messageId, p),
            ScmiProtocolId.Power => Power(described!, messageId, p),
            ScmiProtocolId.System => System(messageId, p),
            ScmiProtocolId.Perf => Perf(described!, messageId, p),
            ScmiProtocolId.Clock => Clock(described!, messageId, p),
            ScmiProtocolId.Sensor => Sensor(described!, messageId, p),
            ScmiProtocolId.Reset => Reset(described!, messageId, p),
            ScmiProtocolId.Powercap => Powercap(described!, messageId, p),
            ImxBbm.ProtocolId => Bbm(described!, messageId, p),
            ImxMisc.ProtocolId => Misc(described!, messageId, p),
            ScmiProtocolId.Voltage => Reply.Words(described!.SourceCount & 0xFFFF), // PROTOCOL_ATTRIBUTES: num_domains 15:0
            ScmiProtocolId.Pinctrl => Reply.Words(0, 0),                             // pins/groups, functions: none modelled
            _ => Reply.Words(0),                                                    // a vendor protocol the emulator does not model
        };
    }

    // ---- base (0x10) ------------------------------------------------------------------------------

    private Reply Base(byte messageId, ReadOnlySpan<byte> p)
    {
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // num_protocols bits 7:0 (base not counted), num_agents bits 15:8.
                return Reply.Words((uint)ListedProtocols().Length & 0xFF | ((uint)Scenario.Agents & 0xFF) << 8);
            case ScmiCommands.Base.DiscoverVendor:
                return new ReplyBuilder().Name(VendorName).Build();
            case ScmiCommands.Base.DiscoverSubVendor:
                return new ReplyBuilder().Name(SubVendorName).Build();
            case ScmiCommands.Base.DiscoverImplementationVersion:
                return Reply.Words(ImplementationVersion);
            case ScmiCommands.Base.DiscoverListProtocols:
            {
                if (p.Length < 4) return Reply.Status(ScmiStatus.ProtocolError);
                var skip = R32(p, 0);
                var all = ListedProtocols();
                if (skip > all.Length) return Reply.Status(ScmiStatus.InvalidParameters);
                var count = Math.Min(Scenario.ItemsPerResponse, all.Length - (int)skip);
                return new ReplyBuilder().U32((uint)count).Packed(all.AsSpan((int)skip, count)).Build();
            }
            case ScmiCommands.Base.DiscoverAgent:
            {
                if (p.Length < 4) return Reply.Status(ScmiStatus.ProtocolError);
                var agent = R32(p, 0);
                if (agent == 0xFFFF_FFFF) agent = Scenario.AgentId;
                if (agent > (uint)Scenario.Agents) return Reply.Status(ScmiStatus.NotFound);
                return new ReplyBuilder().U32(agent).Name(agent == 0 ? "platform" : $"agent{agent}").Build();
            }
            case ScmiCommands.Base.NotifyErrors: // BASE_NOTIFY_ERRORS
            default:
                return NotifyGlobal(_baseError, p);
        }
    }

    // ---- power (0x11) -----------------------------------------------------------------------------

    private Reply Power(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var slot = _powerState!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // num_domains 15:0, then statistics address low/high and length (none).
                return Reply.Words(d.SourceCount & 0xFFFF, 0, 0, 0);
            case ScmiCommands.Power.DomainAttributes: // POWER_DOMAIN_ATTRIBUTES: flags (bit31 state-change notifications, bit29 sync set), name
                if (!Domain(p, slot, out var domain, out var error)) return error;
                return new ReplyBuilder().U32((slot.CanNotify[domain] ? 1u << 31 : 0) | 1u << 29).Name($"pd{domain}").Build();
            case ScmiCommands.Power.StateGet: // POWER_STATE_GET
                if (!Domain(p, slot, out domain, out error)) return error;
                return Reply.Words(Volatile.Read(ref _powerStates[domain]));
            case ScmiCommands.Power.StateNotify: // POWER_STATE_NOTIFY
            default:
                return NotifyPerSource(slot, p);
        }
    }

    // ---- system power (0x12) ----------------------------------------------------------------------

    private Reply System(byte messageId, ReadOnlySpan<byte> p) => messageId switch
    {
        // attributes: bit31 warm reset supported, bit30 suspend supported.
        ScmiCommands.Common.ProtocolAttributes => Reply.Words(0xC000_0000),
        _ => NotifyGlobal(_systemPower!, p), // ScmiCommands.System.PowerStateNotify, the only other implemented id
    };

    // ---- performance (0x13) -----------------------------------------------------------------------

    private Reply Perf(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var limits = _perfLimits!;
        var level = _perfLevel!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // num_domains 15:0, flags 31:16 (bit0: power in mW); statistics address low/high and length (none).
                return Reply.Words(d.SourceCount & 0xFFFF | 1u << 16, 0, 0, 0);
            case ScmiCommands.Perf.DomainAttributes: // PERFORMANCE_DOMAIN_ATTRIBUTES
            {
                if (!Domain(p, limits, out var domain, out var error)) return error;
                var flags = (limits.CanNotify[domain] ? 1u << 29 : 0) | (level.CanNotify[domain] ? 1u << 28 : 0);
                var sustained = Opp(OppCount * 3 / 4);
                return new ReplyBuilder()
                    .U32(flags)
                    .U32(1_000)               // rate_limit_us
                    .U32(sustained * 1_000)   // sustained_freq_khz (1 level = 1 MHz)
                    .U32(sustained)           // sustained_perf_level
                    .Name($"perf{domain}")
                    .Build();
            }
            case ScmiCommands.Perf.LimitsSet: // PERFORMANCE_LIMITS_SET: domain_id, range_max, range_min (a thermal governor throttling)
            {
                if (p.Length < 12) return Reply.Status(ScmiStatus.ProtocolError);
                if (!Domain(p, limits, out var domain, out var error)) return error;
                var max = R32(p, 4);
                var min = R32(p, 8);
                // 0 means "no limit" on that side; the emulator's levels are OPPs between its min and max.
                max = max == 0 ? Scenario.PerfMaxLevel : Math.Clamp(max, Scenario.PerfMinLevel, Scenario.PerfMaxLevel);
                min = min == 0 ? Scenario.PerfMinLevel : Math.Clamp(min, Scenario.PerfMinLevel, Scenario.PerfMaxLevel);
                if (min > max) return Reply.Status(ScmiStatus.InvalidParameters);
                SetPerfLimits(domain, Opp(OppIndex(max)), Opp(OppIndex(min)), Scenario.AgentId);
                return Reply.Ok;
            }
            case ScmiCommands.Perf.LimitsGet: // PERFORMANCE_LIMITS_GET: range_max, range_min
            {
                if (!Domain(p, limits, out var domain, out var error)) return error;
                return Reply.Words(Volatile.Read(ref _perfMaxs[domain]), Volatile.Read(ref _perfMins[domain]));
            }
            case ScmiCommands.Perf.LevelGet: // PERFORMANCE_LEVEL_GET
            {
                if (!Domain(p, level, out var domain, out var error)) return error;
                return Reply.Words(Volatile.Read(ref _perfLevels[domain]));
            }
            case ScmiCommands.Perf.NotifyLimits: // PERFORMANCE_NOTIFY_LIMITS
                return NotifyPerSource(limits, p);
            case ScmiCommands.Perf.NotifyLevel: // PERFORMANCE_NOTIFY_LEVEL
            default:
                return NotifyPerSource(level, p);
        }
    }

    // ---- clock (0x14) -----------------------------------------------------------------------------

    private Reply Clock(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var changed = _clockChanged!;
        var requested = _clockRequested!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // num_clocks 15:0, max_async_req 23:16 (none).
                return Reply.Words(d.SourceCount & 0xFFFF);
            case ScmiCommands.Clock.Attributes: // CLOCK_ATTRIBUTES: attributes (bit31 rate changed, bit30 rate change requested, bit0 enabled), name, enable latency (v2+)
            {
                if (!Domain(p, changed, out var clock, out var error)) return error;
                var attributes = (changed.CanNotify[clock] ? 1u << 31 : 0) | (requested.CanNotify[clock] ? 1u << 30 : 0) | 1u;
                var reply = new ReplyBuilder().U32(attributes).Name($"clk{clock}");
                if (d.Version.Major >= 2) reply.U32(0);
                return reply.Build();
            }
            case ScmiCommands.Clock.RateGet: // CLOCK_RATE_GET: rate low, high
            {
                if (!Domain(p, changed, out var clock, out var error)) return error;
                return new ReplyBuilder().U64(Volatile.Read(ref _clockRates[clock])).Build();
            }
            case ScmiCommands.Clock.RateNotify: // CLOCK_RATE_NOTIFY
                return NotifyPerSource(changed, p);
            case ScmiCommands.Clock.RateChangeRequestedNotify: // CLOCK_RATE_CHANGE_REQUESTED_NOTIFY
            default:
                return NotifyPerSource(requested, p);
        }
    }

    // ---- sensor (0x15) ----------------------------------------------------------------------------

    private static uint ScaleAndType => (unchecked((uint)SensorScale) & 0x1F) << 11 | SensorTypeDegreesC;

    /// <summary>Timestamp exponent (attributes_low bits 14:10): 10^-9 s, the readings carry nanoseconds.</summary>
    private const int TimestampExponent = -9;

    private Reply Sensor(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var trip = _tripPoint!;
        var update = _sensorUpdate!;
        var count = update.Sources;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // num_sensors 15:0, max_requests 23:16; sensor register address low/high and length (none).
                return Reply.Words(count & 0xFFFF, 0, 0, 0);
            case ScmiCommands.Sensor.DescriptionGet: // SENSOR_DESCRIPTION_GET: desc_index -> num_returned 15:0 | num_remaining 31:16, descriptors
            {
                if (p.Length < 4) return Reply.Status(ScmiStatus.ProtocolError);
                var first = R32(p, 0);
                if (first > count) return Reply.Status(ScmiStatus.InvalidParameters);
                var returned = (uint)Math.Min(Scenario.ItemsPerResponse, count - first);
                var reply = new ReplyBuilder().U32(returned | (count - first - returned) << 16);
                for (var s = first; s < first + returned; s++)
                {
                    var trips = trip.CanNotify[s] ? (uint)Volatile.Read(ref _tripPoints[s]).Length : 0;
                    // attributes_low: bit30 continuous update notifications, bits 7:0 trip points; from
                    // sensor protocol v2.0: bit9 timestamps, bits 14:10 their exponent (10^-9 s).
                    var low = (update.CanNotify[s] ? 1u << 30 : 0) | (trips & 0xFF);
                    if (d.Version.Major >= 2) low |= 1u << 9 | (unchecked((uint)TimestampExponent) & 0x1F) << 10;
                    // attributes_high: type 7:0, scale 15:11, bit8 multi-axis with the count in 21:16.
                    var high = ScaleAndType;
                    var axes = _sensorAxes[s];
                    if (axes > 1) high |= 1u << 8 | ((uint)axes & 0x3F) << 16;
                    reply.U32(s).U32(low).U32(high).Name($"temp{s}");
                }
                return reply.Build();
            }
            case ScmiCommands.Sensor.TripPointNotify: // SENSOR_TRIP_POINT_NOTIFY: sensor_id, event_control (bit0 all trip points)
                return NotifyPerSource(trip, p);
            case ScmiCommands.Sensor.TripPointConfig: // SENSOR_TRIP_POINT_CONFIG: sensor_id, event_control (1:0 mode, 11:4 trip id), value low/high
            {
                if (p.Length < 16) return Reply.Status(ScmiStatus.ProtocolError);
                var sensor = R32(p, 0);
                var control = R32(p, 4);
                if (sensor >= count) return Reply.Status(ScmiStatus.NotFound);
                var trips = Volatile.Read(ref _tripPoints[sensor]);
                var tripId = (int)(control >> 4 & 0xFF);
                if ((control & ~0xFF3u) != 0 || tripId >= trips.Length) return Reply.Status(ScmiStatus.InvalidParameters);
                var value = (long)(R32(p, 8) | (ulong)R32(p, 12) << 32);
                var updated = (TripPoint[])trips.Clone();
                updated[tripId] = new TripPoint(value, (int)(control & 0x3));
                Volatile.Write(ref _tripPoints[sensor], updated);
                return Reply.Ok;
            }
            case ScmiCommands.Sensor.ReadingGet: // SENSOR_READING_GET: sensor_id, flags (bit0 async: not supported)
            {
                if (p.Length < 8) return Reply.Status(ScmiStatus.ProtocolError);
                var sensor = R32(p, 0);
                var flags = R32(p, 4);
                if (sensor >= count) return Reply.Status(ScmiStatus.NotFound);
                if ((flags & ~1u) != 0) return Reply.Status(ScmiStatus.InvalidParameters);
                if ((flags & 1) != 0) return Reply.Status(ScmiStatus.NotSupported);
                var reply = new ReplyBuilder();
                if (d.Version.Major < 2) return reply.U64((ulong)AxisValue(sensor, 0)).Build();
                var timestamp = (ulong)(Volatile.Read(ref _tick) * _tickNs);
                for (var a = 0; a < _sensorAxes[sensor]; a++) reply.U64((ulong)AxisValue(sensor, a)).U64(timestamp);
                return reply.Build();
            }
            case ScmiCommands.Sensor.AxisDescriptionGet: // SENSOR_AXIS_DESCRIPTION_GET: sensor_id, axis_desc_index -> returned 5:0 | remaining 31:26, descriptors
            {
                if (p.Length < 8) return Reply.Status(ScmiStatus.ProtocolError);
                var sensor = R32(p, 0);
                var first = R32(p, 4);
                if (sensor >= count) return Reply.Status(ScmiStatus.NotFound);
                var axes = (uint)_sensorAxes[sensor];
                if (axes <= 1) return Reply.Status(ScmiStatus.NotSupported);
                if (first > axes) return Reply.Status(ScmiStatus.InvalidParameters);
                var returned = (uint)Math.Min(Scenario.ItemsPerResponse, axes - first);
                var reply = new ReplyBuilder().U32(returned & 0x3F | (axes - first - returned) << 26);
                for (var a = first; a < first + returned; a++) reply.U32(a).U32(0).U32(ScaleAndType).Name($"temp{sensor}.{a}");
                return reply.Build();
            }
            case ScmiCommands.Sensor.ContinuousUpdateNotify: // SENSOR_CONTINUOUS_UPDATE_NOTIFY
            default:
                return NotifyPerSource(update, p);
        }
    }

    // ---- reset (0x16) -----------------------------------------------------------------------------

    private Reply Reset(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var slot = _resetIssued!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                return Reply.Words(d.SourceCount & 0xFFFF);
            case ScmiCommands.Reset.DomainAttributes: // RESET_DOMAIN_ATTRIBUTES: attributes (bit30 notifications), latency, name
                if (!Domain(p, slot, out var domain, out var error)) return error;
                return new ReplyBuilder().U32(slot.CanNotify[domain] ? 1u << 30 : 0).U32(0).Name($"rst{domain}").Build();
            case ScmiCommands.Reset.Notify: // RESET_NOTIFY
            default:
                return NotifyPerSource(slot, p);
        }
    }

    // ---- powercap (0x18) --------------------------------------------------------------------------

    private Reply Powercap(PlatformProtocol d, byte messageId, ReadOnlySpan<byte> p)
    {
        var cap = _capChanged!;
        var measurements = _measurements!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                return Reply.Words(d.SourceCount & 0xFFFF);
            case ScmiCommands.Powercap.DomainAttributes: // POWERCAP_DOMAIN_ATTRIBUTES
            {
                if (!Domain(p, cap, out var domain, out var error)) return error;
                // bit31 cap notifications, bit30 measurement notifications, bit27 cap configuration,
                // bit26 monitoring, bits 24:23 unit (2 = mW).
                var attributes = (cap.CanNotify[domain] ? 1u << 31 : 0) | (measurements.CanNotify[domain] ? 1u << 30 : 0)
                    | 1u << 27 | 1u << 26 | 2u << 23;
                return new ReplyBuilder()
                    .U32(attributes).Name($"pcap{domain}")
                    .U32(PowercapPais[0]).U32(PowercapPais[^1]).U32(PowercapPais[0])    // min_pai, max_pai, pai_step (µs)
                    .U32(Scenario.CapMinMw).U32(Scenario.CapMaxMw).U32(Scenario.CapStepMw)
                    .U32(Scenario.CapMaxMw / 4 * 3)                                       // sustainable_power
                    .U32(0)                                                               // accuracy
                    .U32(0xFFFF_FFFF)                                                     // parent_id: root
                    .Build();
            }
            case ScmiCommands.Powercap.CapGet: // POWERCAP_CAP_GET
            {
                if (!Domain(p, cap, out var domain, out var error)) return error;
                return Reply.Words(Volatile.Read(ref _capsMw[domain]));
            }
            case ScmiCommands.Powercap.PaiGet: // POWERCAP_PAI_GET
            {
                if (!Domain(p, cap, out var domain, out var error)) return error;
                return Reply.Words(Volatile.Read(ref _paisUs[domain]));
            }
            case ScmiCommands.Powercap.MeasurementsGet: // POWERCAP_MEASUREMENTS_GET: power, pai
            {
                if (!Domain(p, cap, out var domain, out var error)) return error;
                return Reply.Words(Volatile.Read(ref _powerMw[domain]), Volatile.Read(ref _paisUs[domain]));
            }
            case ScmiCommands.Powercap.CapNotify: // POWERCAP_CAP_NOTIFY
                return NotifyPerSource(cap, p);
            case ScmiCommands.Powercap.MeasurementsNotify: // POWERCAP_MEASUREMENTS_NOTIFY: domain_id, notify_enable, thresh_low, thresh_high
            default:
            {
                if (p.Length < 16) return Reply.Status(ScmiStatus.ProtocolError);
                var low = R32(p, 8);
                var high = R32(p, 12);
                var enable = (R32(p, 4) & 1) != 0;
                var reply = NotifyPerSource(measurements, p, validateOnly: true);
                if (reply.Code != ScmiStatus.Success) return reply;
                if (enable && low > high) return Reply.Status(ScmiStatus.InvalidParameters);
                var domain = R32(p, 0);
                if (enable) Volatile.Write(ref _thresholds[domain], PackThresholds(low, high));
                Apply(measurements, domain, enable);
                return Reply.Ok;
            }
        }
    }

    // ---- i.MX BBM (0x81) ----------------------------------------------------------------------------

    private Reply Bbm(PlatformProtocol described, byte messageId, ReadOnlySpan<byte> p)
    {
        var rtc = _bbmRtc!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // Number of RTCs in bits 23:16, GPR words in 15:0 (none modelled); imx-sm answers 0x00020004.
                return Reply.Words((described.SourceCount & 0xFF) << 16);
            case ImxBbm.Commands.RtcNotify: // BBM_RTC_NOTIFY: rtc_id, flags (bit0 alarm, bit1 rollover, bit2 updated)
            {
                if (p.Length < 8) return Reply.Status(ScmiStatus.ProtocolError);
                var rtcId = R32(p, 0);
                if (rtcId >= described.SourceCount) return Reply.Status(ScmiStatus.NotFound);
                var flags = R32(p, 4);
                if ((flags & ~0x7u) != 0) return Reply.Status(ScmiStatus.InvalidParameters);
                for (var kind = 0u; kind < ImxBbm.KindsPerRtc; kind++)
                    if ((flags & 1u << (int)kind) != 0 && !rtc.CanNotify[rtcId * ImxBbm.KindsPerRtc + kind]) return Reply.Status(ScmiStatus.NotSupported);
                // As imx-sm: each call sets all three enables of the RTC, it does not add to them.
                for (var kind = 0u; kind < ImxBbm.KindsPerRtc; kind++)
                    Apply(rtc, rtcId * ImxBbm.KindsPerRtc + kind, (flags & 1u << (int)kind) != 0);
                return Reply.Ok;
            }
            case ImxBbm.Commands.ButtonNotify: // BBM_BUTTON_NOTIFY: flags (bit0)
            default:
                return NotifyGlobal(_bbmButton!, p);
        }
    }

    // ---- i.MX MISC (0x84) ---------------------------------------------------------------------------

    private Reply Misc(PlatformProtocol described, byte messageId, ReadOnlySpan<byte> p)
    {
        var controls = _miscControl!;
        switch (messageId)
        {
            case ScmiCommands.Common.ProtocolAttributes:
                // Board controls in bits 31:24, reset reasons in 23:16 (none modelled), device controls in 15:0 (imx-sm: 0x04060002).
                return Reply.Words((ImxMisc.BoardControls(described) & 0xFF) << 24 | (ImxMisc.DeviceControls(described) & 0xFFFF));
            case ImxMisc.Commands.ControlNotify: // MISC_CONTROL_NOTIFY: ctrl_id, flags (non-zero enables)
            default:
            {
                if (p.Length < 8) return Reply.Status(ScmiStatus.ProtocolError);
                if (ImxMisc.SourceOf(R32(p, 0), described) is not { } source) return Reply.Status(ScmiStatus.NotFound);
                var enable = R32(p, 4) != 0;
                if (enable && !controls.CanNotify[source]) return Reply.Status(ScmiStatus.NotSupported);
                Apply(controls, source, enable);
                return Reply.Ok;
            }
        }
    }

    // ---- shared -----------------------------------------------------------------------------------

    /// <summary>Reads the resource id at +0: PROTOCOL_ERROR when missing, NOT_FOUND when out of range.</summary>
    private static bool Domain(ReadOnlySpan<byte> p, EventSlot slot, out uint id, out Reply error)
    {
        id = 0;
        error = default;
        if (p.Length < 4)
        {
            error = Reply.Status(ScmiStatus.ProtocolError);
            return false;
        }
        id = R32(p, 0);
        if (id < slot.Sources) return true;
        error = Reply.Status(ScmiStatus.NotFound);
        return false;
    }

    /// <summary><c>resource_id, notify_enable</c>: NOT_FOUND, INVALID_PARAMETERS (bits 31:1), NOT_SUPPORTED, else applied.</summary>
    private Reply NotifyPerSource(EventSlot slot, ReadOnlySpan<byte> p, bool validateOnly = false)
    {
        if (p.Length < 8) return Reply.Status(ScmiStatus.ProtocolError);
        var source = R32(p, 0);
        var control = R32(p, 4);
        if (source >= slot.Sources) return Reply.Status(ScmiStatus.NotFound);
        if ((control & ~1u) != 0) return Reply.Status(ScmiStatus.InvalidParameters);
        if (!slot.CanNotify[source]) return Reply.Status(ScmiStatus.NotSupported);
        if (!validateOnly) Apply(slot, source, (control & 1) != 0);
        return Reply.Ok;
    }

    /// <summary><c>notify_enable</c> only (base errors, system power, BBM button).</summary>
    private Reply NotifyGlobal(EventSlot slot, ReadOnlySpan<byte> p)
    {
        if (p.Length < 4) return Reply.Status(ScmiStatus.ProtocolError);
        var control = R32(p, 0);
        if ((control & ~1u) != 0) return Reply.Status(ScmiStatus.InvalidParameters);
        if (!slot.CanNotify[0]) return Reply.Status(ScmiStatus.NotSupported);
        Apply(slot, 0, (control & 1) != 0);
        return Reply.Ok;
    }

    private void Apply(EventSlot slot, uint source, bool enable)
    {
        if (!enable && Scenario.Faults.HasFlag(EmulatorFault.IgnoreDisable) && slot.IsEnabled(source))
        {
            _counters.Injected(slot.Protocol, EmulatorFault.IgnoreDisable);
            return;
        }
        slot.Set(source, enable);
    }
}
