using System.Buffers.Binary;
using Akka.Actor;
using ScmiActors.Ingestion;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Fuzz;

/// <summary>
/// The ingestion gate without an ActorSystem: the platform's protocols installed as the handle
/// actor installs them (size limits per event from the descriptors), small rings for perf and
/// sensor so the queue-full path is reached, a wake-up counter in place of the protocol actor.
/// The input is a program of posts, drains, removals and a close; every result, every drained
/// entry and the counters are checked against a plain model, so the fuzzer finds wrong answers as
/// well as throws. Drained entries are decoded as the protocol actor would.
/// <para>Ops (first byte &amp; 7): 0–2 Post(header, length, payload), 3 PostMessage(length, bytes),
/// 4 drain up to n entries, 5 Post stamped at the gate, 6 remove a protocol, 7 close the gate.</para>
/// </summary>
internal static class GateTarget
{
    private static readonly ProtocolCatalog Catalog = ProtocolCatalogs.Default;

    public static void Run(byte[] input)
    {
        var state = new GateState();
        var reader = new OpReader(input);
        long timestamp = 0;
        while (reader.TryByte(out var op))
        {
            switch (op & 7)
            {
                case 0 or 1 or 2:
                {
                    var header = reader.U32();
                    var payload = reader.Bytes(reader.Length());
                    state.Post(header, payload, ++timestamp, stampAtGate: false);
                    break;
                }
                case 3:
                    state.PostMessage(reader.Bytes(reader.Length()), ++timestamp);
                    break;
                case 4:
                    state.Drain(1 + (reader.Byte() & 31));
                    break;
                case 5:
                {
                    var header = reader.U32();
                    var payload = reader.Bytes(reader.Length());
                    state.Post(header, payload, 0, stampAtGate: true);
                    break;
                }
                case 6:
                    state.Remove(reader.Byte());
                    break;
                default:
                    state.Close();
                    break;
            }
        }
        state.Drain(int.MaxValue);
        state.CheckAccounting();
    }

    private sealed class GateState
    {
        private readonly IngestionGate _gate;
        private readonly ProtocolModel?[] _models = new ProtocolModel?[256];
        private readonly List<(uint Header, byte[] Payload)> _commands = [];
        private int _commandsSeen;
        private bool _closed;
        private long _notRunning, _unknownProtocol, _reserved, _notANotification;

        public GateState()
        {
            _gate = new IngestionGate("fuzz", (h, p) => _commands.Add((h, p)));
            foreach (var (id, protocol) in Targets.DecoderV2.Description.Protocols)
            {
                var descriptor = Catalog.Find(id)!;
                // Perf gets the loader's smallest queue (64 B) and sensor room for one 63-axis update
                // (1032 B), so a few posts fill them; the rest get their defaults.
                var budget = id switch { ScmiProtocolId.Perf => 64, ScmiProtocolId.Sensor => 2048, _ => protocol.QueueBytes ?? descriptor.DefaultQueueSize };
                var ring = new ProtocolRing(budget);
                var counters = new ProtocolCounters(id, ring);
                var wake = new WakeCounter();
                var limits = descriptor.Events.Select(e => e.MaxPayload).ToArray();
                _gate.Install(new GateSlot(limits, counters, wake));
                _models[id] = new ProtocolModel(counters, wake, limits, budget);
            }
            _gate.Open();
        }

        public void Post(uint header, byte[] payload, long timestamp, bool stampAtGate)
        {
            var expected = Expect(header, payload);
            var result = stampAtGate ? _gate.Post(header, payload) : _gate.Post(header, payload, timestamp);
            Targets.Check(result == expected, $"Post(0x{header:X8}, {payload.Length} bytes) = {result}, expected {expected}");
            if (result == IngestResult.Queued) Queued(header, payload, stampAtGate ? -1 : timestamp);
            CheckCommandPath(header, payload, result);
        }

        /// <summary>The model's side of a queued entry; a wake-up is sent only when none is pending.</summary>
        private void Queued(uint header, byte[] payload, long timestamp)
        {
            var model = _models[ScmiHeader.ProtocolOf(header)]!;
            model.Entries.Enqueue((header, payload, timestamp));
            var expectedWakes = model.Scheduled ? model.Wakes : model.Wakes + 1;
            Targets.Check(model.Wake.Count == expectedWakes, $"{model.Wake.Count} wake-ups, expected {expectedWakes}");
            model.Wakes = expectedWakes;
            model.Scheduled = true;
        }

        public void PostMessage(byte[] message, long timestamp)
        {
            if (message.Length < 4)
            {
                var r = _gate.PostMessage(message, timestamp);
                Targets.Check(r == IngestResult.ReservedMessageType, $"PostMessage of {message.Length} bytes = {r}");
                _reserved++;
                return;
            }
            var header = BinaryPrimitives.ReadUInt32LittleEndian(message);
            var payload = message[4..];
            var expected = Expect(header, payload);
            var result = _gate.PostMessage(message, timestamp);
            Targets.Check(result == expected, $"PostMessage(0x{header:X8}, {payload.Length} bytes) = {result}, expected {expected}");
            if (result == IngestResult.Queued) Queued(header, payload, timestamp);
            CheckCommandPath(header, payload, result);
        }

        /// <summary>The result the gate's contract gives, and the model's counters for it.</summary>
        private IngestResult Expect(uint header, byte[] payload)
        {
            switch (ScmiHeader.TypeOf(header))
            {
                case MessageType.Reserved: _reserved++; return IngestResult.ReservedMessageType;
                case MessageType.Command or MessageType.DelayedResponse: _notANotification++; return IngestResult.NotANotification;
            }
            if (_closed) { _notRunning++; return IngestResult.NotRunning; }
            var model = _models[ScmiHeader.ProtocolOf(header)];
            if (model is null) { _unknownProtocol++; return IngestResult.UnknownProtocol; }
            var eventId = ScmiHeader.MessageIdOf(header);
            if (eventId >= model.Limits.Length) { model.UnknownEvent++; return IngestResult.UnknownEvent; }
            if (payload.Length > model.Limits[eventId]) { model.TooLarge++; return IngestResult.PayloadTooLarge; }
            var cost = ProtocolRing.EntryOverhead + payload.Length;
            if (model.UsedBytes + cost > model.Budget) { model.Full++; return IngestResult.DroppedQueueFull; }
            model.UsedBytes += cost;
            return IngestResult.Queued;
        }

        private void CheckCommandPath(uint header, byte[] payload, IngestResult result)
        {
            if (result != IngestResult.NotANotification)
            {
                Targets.Check(_commands.Count == _commandsSeen, "a command-path message from a notification");
                return;
            }
            Targets.Check(_commands.Count == _commandsSeen + 1, "a response did not reach the command path");
            var (h, p) = _commands[_commandsSeen++];
            Targets.Check(h == header && p.AsSpan().SequenceEqual(payload), "the command path got another message");
        }

        /// <summary>The protocol actor's side: take up to <paramref name="max"/> entries per protocol, in order, and decode them.</summary>
        public void Drain(int max)
        {
            foreach (var model in _models)
            {
                if (model is null) continue;
                var ring = model.Counters.Ring;
                for (var n = 0; n < max && ring.TryPeek(out var header, out var timestamp, out var payload); n++)
                {
                    Targets.Check(model.Entries.TryDequeue(out var expected), "the ring holds an entry nobody queued");
                    Targets.Check(header == expected.Header && payload.SequenceEqual(expected.Payload) && (expected.Timestamp < 0 || timestamp == expected.Timestamp),
                        $"ring entry 0x{header:X8} ({payload.Length} bytes) is not the queued 0x{expected.Header:X8} ({expected.Payload.Length} bytes)");
                    Targets.CheckDecode(Targets.DecoderV2, header, payload);
                    ring.Release();
                    model.UsedBytes -= ProtocolRing.EntryOverhead + expected.Payload.Length;
                }
                // As the protocol actor ends each turn: released bytes go back to the producers in one batch.
                ring.ReturnReleased();
                if (model.Entries.Count == 0)
                {
                    Targets.Check(!ring.HasPublished, "the ring has an entry the model does not");
                    // As the protocol actor does once its ring is empty: clear the flag, nothing to re-wake.
                    Targets.Check(!ring.UnscheduleAndRecheck(), "an empty ring asked for a wake-up");
                    model.Scheduled = false;
                }
            }
        }

        /// <summary>Deregistration: the gate forgets the protocol and seals its ring; the handle discards what is queued.</summary>
        public void Remove(byte protocol)
        {
            _gate.Remove(protocol);
            _models[protocol] = null;
        }

        public void Close()
        {
            _gate.Close();
            _closed = true;
        }

        /// <summary>The design's accounting: every post is counted in exactly one outcome.</summary>
        public void CheckAccounting()
        {
            var gate = _gate.Counters;
            Targets.Check(Interlocked.Read(ref gate.NotRunning) == _notRunning, "NotRunning count");
            Targets.Check(Interlocked.Read(ref gate.UnknownProtocol) == _unknownProtocol, "UnknownProtocol count");
            Targets.Check(Interlocked.Read(ref gate.ReservedMessageType) == _reserved, "ReservedMessageType count");
            Targets.Check(Interlocked.Read(ref gate.NotANotification) == _notANotification, "NotANotification count");
            foreach (var model in _models)
            {
                if (model is null) continue;
                var c = model.Counters;
                Targets.Check(c.Ring.Written == c.Ring.Taken && c.Ring.Count == 0, "entries left after the final drain");
                Targets.Check(c.DroppedQueueFull == model.Full && c.RejectedUnknownEvent == model.UnknownEvent
                    && c.RejectedPayloadTooLarge == model.TooLarge && c.RejectedNotRunning == 0, $"protocol 0x{c.Protocol:X2} counters");
            }
        }
    }

    private sealed class ProtocolModel(ProtocolCounters counters, WakeCounter wake, int[] limits, int budget)
    {
        public readonly ProtocolCounters Counters = counters;
        public readonly WakeCounter Wake = wake;
        public readonly int[] Limits = limits;
        public readonly int Budget = budget;
        public readonly Queue<(uint Header, byte[] Payload, long Timestamp)> Entries = new();
        public int UsedBytes;
        public long Full, UnknownEvent, TooLarge;
        public int Wakes;
        public bool Scheduled;
    }

    /// <summary>Stands in for the protocol actor: counts wake-ups.</summary>
    private sealed class WakeCounter : MinimalActorRef
    {
        private static readonly ActorPath FuzzPath = new RootActorPath(new Address("akka", "fuzz")) / "protocol";
        public int Count;
        public override ActorPath Path => FuzzPath;
        public override IActorRefProvider Provider => throw new NotSupportedException();
        protected override void TellInternal(object message, IActorRef sender) => Count++;
    }

    /// <summary>Reads the op program; past the end every read yields zeros.</summary>
    private ref struct OpReader(byte[] input)
    {
        private int _at;

        public bool TryByte(out byte value)
        {
            value = _at < input.Length ? input[_at] : (byte)0;
            return _at++ < input.Length;
        }

        public byte Byte() => TryByte(out var b) ? b : (byte)0;

        /// <summary>One byte below 0xF0; else 12 bits from its low nibble and the next byte (up to 4095: a 63-axis sensor update is 1016).</summary>
        public int Length()
        {
            var b = Byte();
            return b < 0xF0 ? b : (b & 0xF) << 8 | Byte();
        }

        public uint U32() => (uint)(Byte() | Byte() << 8 | Byte() << 16 | Byte() << 24);

        public byte[] Bytes(int count)
        {
            var start = Math.Min(_at, input.Length);
            var n = Math.Min(count, input.Length - start);
            _at = start + n;
            return input.AsSpan(start, n).ToArray();
        }
    }
}
