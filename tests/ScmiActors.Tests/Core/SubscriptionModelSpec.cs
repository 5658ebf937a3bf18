using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ScmiActors.Messages;
using ScmiActors.Platform;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>
/// Model-based: random interleavings of subscribe (handle-numbered, caller-chosen and duplicate
/// ids; one source or all), unsubscribe, subscriber death, protocol deregister/register, NOTIFY
/// failures at the platform and restarts (a new handle on a fresh fake platform) run against the
/// handle and against a plain model of what it must do. A held block keeps one subscribe's enables
/// (one source or all) waiting at the platform while an unsubscribe, the subscriber's death, a
/// deregister/register or a stop happens, then answers them (accepted or refused). After every
/// step: each subscriber got
/// exactly the messages the model predicts (per subscription in order, PlatformStopped last),
/// nothing went to a terminated subscriber, the handle's active/pending counts are the model's, and
/// at the platform every source's enables and disables alternate (never a disable without an
/// enable, never a second enable) and end where the model's counts say.
/// </summary>
public sealed class SubscriptionModelSpec(ITestOutputHelper output) : CoreSpec(output, ConfigurationFactory.ParseString("""
    akka.loglevel = ERROR
    akka.log-dead-letters = off
    scmi.command-timeout = 10s
    scmi.shutdown.drain-deadline = 10s
    scmi.shutdown.disable-deadline = 10s
    """))
{
    private const int Sources = 3;
    private const int All = Sources; // the selector index for all sources
    private const int Slots = 3;

    [Property(MaxTest = 200, EndSize = 100)]
    public Property Subscriptions_follow_the_model() => Prop.ForAll(Arb.From(Scenario, ShrinkBlocks), blocks =>
    {
        var world = new World(this, registerAtStart: blocks.Length % 2 == 0);
        try
        {
            foreach (var step in blocks.SelectMany(b => b)) world.Run(step);
            world.Finish();
        }
        finally
        {
            world.Dispose();
        }
    });

    // ---- steps and their generators ---------------------------------------------------------------

    public abstract record Step;

    /// <summary>IdMode: 0 the handle numbers it, 1 a fresh caller-chosen id, 2 an id in use (refused).</summary>
    public sealed record Sub(int Who, int Sel, int IdMode) : Step;

    /// <summary>Unsubscribes one of the ids this incarnation handed out (live or ended), from its subscriber's slot.</summary>
    public sealed record Unsub(int Pick) : Step;

    public sealed record Kill(int Who) : Step;

    public sealed record Dereg : Step;

    public sealed record Reg : Step;

    /// <summary>From now on the platform refuses (DENIED) or accepts every NOTIFY command.</summary>
    public sealed record Failing(bool On) : Step;

    /// <summary>Ordered stop, then a new handle on a fresh platform.</summary>
    public sealed record Restart(bool RegisterAtStart) : Step;

    /// <summary>
    /// Opens a held block: a subscribe (one source, or all sources) whose enables the platform holds until
    /// <see cref="Release"/>; when nothing needs enabling it is a plain subscribe.
    /// </summary>
    public sealed record HeldSub(int Who, int Sel, bool CallerId) : Step;

    public sealed record UnsubHeld : Step;

    public sealed record KillHeld : Step;

    /// <summary>Asks for the ordered stop inside a held block; the new handle comes when the stop completes.</summary>
    public sealed record StopHeld : Step;

    public sealed record Release(bool Ok) : Step;

    private static readonly Gen<Step> Simple = Gen.Frequency(
        (8, from who in Gen.Choose(0, Slots - 1)
            from sel in Gen.Choose(0, All)
            from idMode in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)))
            select (Step)new Sub(who, sel, idMode)),
        (5, Gen.Choose(0, 1000).Select(p => (Step)new Unsub(p))),
        (1, Gen.Choose(0, Slots - 1).Select(w => (Step)new Kill(w))),
        (1, Gen.Constant<Step>(new Dereg())),
        (1, Gen.Constant<Step>(new Reg())),
        (1, Gen.Elements(true, false, false).Select(on => (Step)new Failing(on))),
        (1, Gen.Elements(true, false).Select(r => (Step)new Restart(r))));

    private static readonly Gen<Step[]> HeldBlock =
        from who in Gen.Choose(0, Slots - 1)
        from sel in Gen.Choose(0, All)
        from callerId in Gen.Elements(true, false)
        from n in Gen.Choose(0, 2)
        from middle in Gen.ArrayOf(Gen.Elements<Step>(new UnsubHeld(), new KillHeld(), new Dereg(), new Reg(), new StopHeld(),
            new Failing(true), new Failing(false)), n)
        from ok in Gen.Elements(true, false)
        select new Step[] { new HeldSub(who, sel, callerId) }.Concat(middle).Append(new Release(ok)).ToArray();

    private static readonly Gen<Step[][]> Scenario =
        from count in Gen.Choose(14, 24)
        from blocks in Gen.ArrayOf(Gen.Frequency((4, Simple.Select(s => new[] { s })), (1, HeldBlock)), count)
        select blocks;

    /// <summary>Shrinks by dropping whole blocks, so a held block always keeps its release.</summary>
    private static IEnumerable<Step[][]> ShrinkBlocks(Step[][] blocks) =>
        Enumerable.Range(0, blocks.Length).Select(i => blocks.Where((_, j) => j != i).ToArray());

    // ---- the world: the system under test and the model, side by side -----------------------------

    private enum S { Pending, Binding, Active, Unbinding }

    private sealed class MSub(long id, int who, int sel)
    {
        public long Id { get; } = id;
        public int Who { get; } = who;
        public int Sel { get; } = sel;
        public S State { get; set; }
        public bool Killed { get; set; }
        /// <summary>The probe an Unsubscribed is owed to while unbinding.</summary>
        public IActorRef? UnsubscribeOwedTo { get; set; }
    }

    private sealed class World : IDisposable
    {
        private readonly SubscriptionModelSpec _kit;
        private readonly string _platformId;
        private readonly ScmiSettings _settings;
        private readonly PlatformDescription _description;
        private readonly TestProbe _control;
        private readonly TestProbe _statsProbe;
        private readonly TestProbe _deadLetters;
        private readonly TestProbe[] _slots = new TestProbe[Slots];
        private readonly List<(long? Id, string Key)>[] _expected = new List<(long?, string)>[Slots];
        private readonly List<string> _expectedControl = new();
        private readonly HashSet<IActorRef> _killed = new();
        private readonly ConcurrentDictionary<RecordedCommand, ScmiStatus> _statuses = new(ReferenceEqualityComparer.Instance);
        private readonly List<FakeFirmware> _retired = new();
        private volatile bool _failing;
        private int _incarnation;

        private IActorRef _handle = ActorRefs.Nobody;
        private FakeFirmware _firmware = null!;

        // model
        private bool _registered;
        private readonly List<MSub> _subs = new();       // live, in creation order
        private readonly List<long> _handedOut = new();  // every id of this incarnation, for Unsub
        private readonly Dictionary<long, int> _owners = new(); // id -> slot, also after it ended
        private readonly int[] _direct = new int[Sources];
        private HashSet<int>? _allHeld;
        private int _allCount;
        private long _counter;
        private long _nextCallerId = 1_000_000;

        // held block
        private MSub? _held;             // the block's subscription, while its enable is held
        private FakeFirmware? _holding;  // where the enable waits
        private bool _heldInOldGeneration; // deregistered meanwhile: the enable waits in a retired event source
        private bool _registerStashed;
        private bool _stopping;
        private (IActorRef To, long Id, string Key)? _deferred;
        private readonly HashSet<int> _stoppedTo = new();

        public World(SubscriptionModelSpec kit, bool registerAtStart)
        {
            _kit = kit;
            _platformId = $"model-{Guid.NewGuid():N}";
            _settings = ScmiSettings.FromConfig(kit.Sys.Settings.Config);
            _description = new PlatformDescription(_platformId, "in-memory", ImmutableSortedDictionary.CreateRange(new[]
            {
                new KeyValuePair<byte, PlatformProtocol>(Perf, PlatformProtocol.Create(Perf, new ProtocolVersion(4, 0), Sources)),
            }));
            _control = kit.CreateTestProbe();
            _statsProbe = kit.CreateTestProbe();
            _deadLetters = kit.CreateTestProbe();
            kit.Sys.EventStream.Subscribe(_deadLetters.Ref, typeof(DeadLetter));
            for (var i = 0; i < Slots; i++)
            {
                _slots[i] = kit.CreateTestProbe();
                _expected[i] = new();
            }
            StartHandle(registerAtStart);
        }

        public void Run(Step step)
        {
            switch (step)
            {
                case Sub s: Subscribe(s.Who, s.Sel, s.IdMode, hold: false); break;
                case HeldSub h: Subscribe(h.Who, h.Sel, h.CallerId ? 1 : 0, hold: true); break;
                case Unsub u:
                    if (_handedOut.Count > 0) Unsubscribe(_handedOut[u.Pick % _handedOut.Count]);
                    break;
                case UnsubHeld:
                    if (_held is { } held) Unsubscribe(held.Id);
                    break;
                case Kill k: KillSlot(k.Who); break;
                case KillHeld:
                    if (_held is { } h2) KillSlot(h2.Who);
                    break;
                case Dereg: Deregister(); break;
                case Reg: Register(); break;
                case Failing f: _failing = f.On; break;
                case Restart r:
                    Stop();
                    Complete(r.RegisterAtStart);
                    break;
                case StopHeld:
                    if (_stopping) break;
                    Stop();
                    if (!HeldInFlight) Complete(registerAtStart: true);
                    break;
                case Release r: ReleaseHeld(r.Ok); break;
            }
            Verify(step);
        }

        public void Finish()
        {
            Stop();
            Complete(registerAtStart: null);
            Verify(new Restart(RegisterAtStart: false));
        }

        public void Dispose()
        {
            _kit.Sys.EventStream.Unsubscribe(_deadLetters.Ref);
            _handle.Tell(PoisonPill.Instance);
            foreach (var slot in _slots) _kit.Sys.Stop(slot.Ref);
            _kit.Sys.Stop(_control.Ref);
            _kit.Sys.Stop(_statsProbe.Ref);
            _kit.Sys.Stop(_deadLetters.Ref);
        }

        // ---- actions: tell the handle, and predict -----------------------------------------------

        private bool Enabled(int s) => _direct[s] > 0 || (_allHeld?.Contains(s) ?? false);

        /// <summary>An enable is held at the platform: a stop waits for it, in whichever generation it is.</summary>
        private bool HeldInFlight => _holding is not null;

        private void Subscribe(int who, int sel, int idMode, bool hold)
        {
            var probe = _slots[who];
            if (idMode == 2 && _subs.Count > 0)
            {
                var inUse = _subs[(who * (All + 1) + sel) % _subs.Count].Id;
                _handle.Tell(new Subscribe(_platformId, Perf, PerfLevel, Selector(sel), probe.Ref, new SubscriptionId(inUse)), probe.Ref);
                Expect(who, inUse, "failed:DuplicateId");
                return;
            }
            SubscriptionId? chosen = idMode == 0 ? null : new SubscriptionId(_nextCallerId++);
            var id = chosen?.Value ?? ++_counter;
            var sub = new MSub(id, who, sel);
            _handedOut.Add(id);
            _owners[id] = who;

            // All sources: held only when every source needs its enable (no hold succeeds without one).
            var needsEnables = sel == All ? _allHeld is null && Enumerable.Range(0, Sources).All(s => !Enabled(s)) : !Enabled(sel);
            if (hold && _registered && needsEnables)
            {
                // The enables this subscription needs wait at the platform until the block's Release.
                _firmware.Hold(c => c.Notify.Enable);
                _holding = _firmware;
                _held = sub;
                _heldInOldGeneration = false;
                sub.State = S.Binding;
                _subs.Add(sub);
                _handle.Tell(new Subscribe(_platformId, Perf, PerfLevel, Selector(sel), probe.Ref, chosen), probe.Ref);
                var enables = sel == All ? Sources : 1;
                _kit.AwaitCondition(() => _firmware.HeldCount >= enables, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(5));
                return;
            }
            if (hold) _held = sub; // nothing to hold: the block acts on a plain subscription
            _handle.Tell(new Subscribe(_platformId, Perf, PerfLevel, Selector(sel), probe.Ref, chosen), probe.Ref);
            if (!_registered)
            {
                sub.State = S.Pending;
                _subs.Add(sub);
                Expect(who, id, "pending");
                return;
            }
            Bind(sub);
        }

        /// <summary>Binds a subscription on the registered protocol, with every command answered at once.</summary>
        private void Bind(MSub sub)
        {
            if (!_subs.Contains(sub)) _subs.Add(sub);
            if (sub.Sel == All)
            {
                if (_allHeld is null)
                {
                    var held = Enumerable.Range(0, Sources).Where(s => Enabled(s) || !_failing).ToHashSet();
                    if (held.Count == 0)
                    {
                        Fail(sub, "failed:PlatformRejected:Denied");
                        return;
                    }
                    _allHeld = held;
                }
                _allCount++;
            }
            else
            {
                if (!Enabled(sub.Sel) && _failing)
                {
                    Fail(sub, "failed:PlatformRejected:Denied");
                    return;
                }
                _direct[sub.Sel]++;
            }
            sub.State = S.Active;
            Expect(sub.Who, sub.Id, "active");
        }

        private void Fail(MSub sub, string key)
        {
            _subs.Remove(sub);
            if (!sub.Killed) Expect(sub.Who, sub.Id, key);
        }

        private void Release(MSub sub)
        {
            _subs.Remove(sub);
            if (sub.State != S.Active) return;
            if (sub.Sel == All)
            {
                if (--_allCount == 0) _allHeld = null;
            }
            else
            {
                _direct[sub.Sel]--;
            }
        }

        private void Unsubscribe(long id)
        {
            var sub = _subs.FirstOrDefault(s => s.Id == id);
            var who = sub?.Who ?? WhoHadId(id);
            var probe = _slots[who];
            _handle.Tell(new Unsubscribe(_platformId, new SubscriptionId(id)), probe.Ref);
            if (_stopping || sub is null || sub.State == S.Unbinding)
            {
                Expect(who, id, "unsubscribe-failed");
                return;
            }
            switch (sub.State)
            {
                case S.Pending:
                case S.Active:
                    Release(sub);
                    Expect(who, id, "unsubscribed");
                    break;
                case S.Binding:
                    // Settled at once; Unsubscribed follows when the held enable is answered (and undone).
                    Expect(who, id, "failed:Cancelled");
                    sub.State = S.Unbinding;
                    sub.UnsubscribeOwedTo = probe.Ref;
                    break;
            }
        }

        private int WhoHadId(long id) => _owners.TryGetValue(id, out var who) ? who : 0;

        private void KillSlot(int who)
        {
            var probe = _slots[who];
            _kit.Watch(probe.Ref);
            _kit.Sys.Stop(probe.Ref);
            // The handle's death notification was sent with ours, and as a system message it is handled
            // before the GetStats of the barrier that follows this step.
            _kit.ExpectTerminated(probe.Ref);
            _killed.Add(probe.Ref);
            _expected[who].Clear();
            _slots[who] = _kit.CreateTestProbe();
            foreach (var sub in _subs.Where(s => s.Who == who).ToList())
            {
                sub.Killed = true;
                if (_stopping)
                {
                    _subs.Remove(sub); // the shutdown releases it; nothing more is sent to it
                    continue;
                }
                switch (sub.State)
                {
                    case S.Pending:
                    case S.Active:
                        Release(sub);
                        break;
                    case S.Binding:
                        sub.State = S.Unbinding; // its SubscriptionActive/Failed was owed to the dead subscriber
                        break;
                }
            }
            if (_deferred is { } d && d.To.Equals(probe.Ref)) _deferred = null;
            _stoppedTo.Remove(who);
        }

        private void Deregister()
        {
            _handle.Tell(new DeregisterProtocolEvents(_platformId, Perf), _control.Ref);
            if (_stopping || !_registered)
            {
                _expectedControl.Add("deregistered:False");
                return;
            }
            _registered = false;
            foreach (var sub in _subs.ToList())
            {
                switch (sub.State)
                {
                    case S.Unbinding:
                        _subs.Remove(sub);
                        if (sub.UnsubscribeOwedTo is { } to && !sub.Killed) Expect(sub.Who, sub.Id, "unsubscribed");
                        break;
                    case S.Binding:
                    case S.Active:
                        sub.State = S.Pending;
                        Expect(sub.Who, sub.Id, "pending");
                        break;
                }
            }
            if (_held is not null && !_heldInOldGeneration && _holding == _firmware && _firmware.HeldCount > 0) _heldInOldGeneration = true;
            Array.Clear(_direct);
            _allHeld = null;
            _allCount = 0;
            _expectedControl.Add("deregistered:True");
        }

        private void Register()
        {
            _handle.Tell(new RegisterProtocolEvents(_platformId, new ProtocolEvents(StandardProtocols.Perf, _description.Protocols[Perf])),
                _control.Ref);
            if (_stopping || _registered)
            {
                _expectedControl.Add("registration-failed");
                return;
            }
            if (_heldInOldGeneration)
            {
                _registerStashed = true; // until the retired event source finished its held enable
                return;
            }
            DoRegister();
        }

        private void DoRegister()
        {
            _registered = true;
            foreach (var sub in _subs.Where(s => s.State == S.Pending).ToList()) Bind(sub);
            _expectedControl.Add("registered");
        }

        private void Stop()
        {
            _handle.Tell(new StopPlatform(_platformId), _control.Ref);
            _stopping = true;
            if (_registerStashed)
            {
                _registerStashed = false;
                _expectedControl.Add("registration-failed");
            }
            // What the shutdown answers at its end: a binding Subscribe is failed Stopped; an unsubscribe
            // in flight is answered; every subscriber with a subscription that is not ending is told once.
            if (_held is { } held && _subs.Contains(held) && !held.Killed)
            {
                if (held.State == S.Binding) _deferred = (_slots[held.Who].Ref, held.Id, "failed:Stopped");
                else if (held.State == S.Unbinding && held.UnsubscribeOwedTo is not null) _deferred = (_slots[held.Who].Ref, held.Id, "unsubscribed");
            }
            _stoppedTo.Clear();
            foreach (var sub in _subs.Where(s => s.State != S.Unbinding && !s.Killed)) _stoppedTo.Add(sub.Who);
        }

        /// <summary>The stop completed: its answers, then a new handle on a fresh platform (or none at the end).</summary>
        private void Complete(bool? registerAtStart)
        {
            if (_deferred is { } d) Expect(Array.FindIndex(_slots, p => p.Ref.Equals(d.To)), d.Id, d.Key);
            foreach (var who in _stoppedTo) Expect(who, null, "platform-stopped");
            _deferred = null;
            _stoppedTo.Clear();
            _expectedControl.Add("shutdown-complete");
            _stopping = false;
            VerifyMessages();
            _kit.Watch(_handle);
            _kit.ExpectTerminated(_handle, TimeSpan.FromSeconds(10));
            _handle = ActorRefs.Nobody;
            _retired.Add(_firmware);
            _subs.Clear();
            _handedOut.Clear();
            Array.Clear(_direct);
            _allHeld = null;
            _allCount = 0;
            _counter = 0;
            _held = null;
            _registerStashed = false;
            if (registerAtStart is { } register) StartHandle(register);
        }

        private void ReleaseHeld(bool ok)
        {
            var status = ok ? ScmiStatus.Success : ScmiStatus.Denied;
            var holding = _holding ?? _firmware;
            var released = holding.ReleaseHeld(status, c => _statuses[c] = status);
            _holding = null;
            var held = _held;
            _held = null;
            var oldGeneration = _heldInOldGeneration;
            _heldInOldGeneration = false;
            if (released.Count == 0) return;

            if (_stopping)
            {
                // The shutdown waited for the held enable; its event source then disables what it enabled.
                Complete(registerAtStart: true);
                return;
            }
            if (held is not null && !oldGeneration && _subs.Contains(held))
            {
                switch (held.State)
                {
                    case S.Binding when ok:
                        if (held.Sel == All)
                        {
                            _allHeld = Enumerable.Range(0, Sources).ToHashSet();
                            _allCount++;
                        }
                        else
                        {
                            _direct[held.Sel]++;
                        }
                        held.State = S.Active;
                        Expect(held.Who, held.Id, "active");
                        break;
                    case S.Binding:
                        Fail(held, "failed:PlatformRejected:Denied");
                        break;
                    case S.Unbinding:
                        _subs.Remove(held);
                        if (held.UnsubscribeOwedTo is not null && !held.Killed) Expect(held.Who, held.Id, "unsubscribed");
                        break;
                }
            }
            if (oldGeneration && _registerStashed)
            {
                _registerStashed = false;
                DoRegister();
            }
        }

        private void StartHandle(bool registerAtStart)
        {
            var transport = InMemoryTransport.Create();
            _firmware = new FakeFirmware(transport.Platform);
            _firmware.Answer = c =>
            {
                var status = _failing ? ScmiStatus.Denied : ScmiStatus.Success;
                _statuses[c] = status;
                return status;
            };
            _handle = _kit.Sys.ActorOf(HandleActor.Props(_platformId, transport.Agent, _description, _settings,
                new PlatformOptions(RegisterDescribedProtocols: registerAtStart)), $"model-handle-{++_incarnation}-{Guid.NewGuid():N}");
            _registered = registerAtStart;
        }

        private static SourceSelector Selector(int sel) => sel == All ? SourceSelector.All : SourceSelector.Id((uint)sel);

        private void Expect(int who, long? id, string key)
        {
            if (id is { } i) _owners[i] = who;
            _expected[who].Add((id, key));
        }

        // ---- checks ----------------------------------------------------------------------------------

        private void Verify(Step step)
        {
            try
            {
                VerifyMessages();
                if (!_stopping)
                {
                    var active = _subs.Count(s => s.State == S.Active);
                    var pending = _subs.Count(s => s.State == S.Pending);
                    if (!_handle.IsNobody())
                    {
                        _kit.AwaitAssert(() =>
                        {
                            _handle.Tell(new GetStats(_platformId), _statsProbe.Ref);
                            var stats = _statsProbe.ExpectMsg<PlatformStats>();
                            Assert.Equal((active, pending), (stats.ActiveSubscriptions, stats.PendingSubscriptions));
                        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(5));
                    }
                }
                _kit.AwaitAssert(() =>
                {
                    var counts = PlatformCounts(_firmware);
                    for (var s = 0; s < Sources && !_stopping; s++)
                        Assert.True(counts[s] == (Enabled(s) ? 1 : 0), $"source {s}: the platform's count is {counts[s]}, the model's {(Enabled(s) ? 1 : 0)}");
                    foreach (var retired in _retired)
                        Assert.True(PlatformCounts(retired).All(c => c == 0), "a stopped platform still has a source enabled");
                }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(5));
                NoMore();
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"after {step}: {e.Message}");
            }
        }

        /// <summary>Every subscriber (and the control probe) got exactly the predicted messages: per subscription in order, PlatformStopped last.</summary>
        private void VerifyMessages()
        {
            for (var who = 0; who < Slots; who++)
            {
                var expected = _expected[who];
                var actual = new List<(long? Id, string Key)>();
                for (var i = 0; i < expected.Count; i++) actual.Add(KeyOf(_slots[who].ExpectMsg<object>(TimeSpan.FromSeconds(5))));
                Assert.True(Same(expected, actual), $"slot {who}: expected [{Show(expected)}], got [{Show(actual)}]");
                expected.Clear();
            }
            foreach (var key in _expectedControl)
            {
                var message = _control.ExpectMsg<object>(TimeSpan.FromSeconds(10));
                Assert.Equal(key, ControlKey(message));
            }
            _expectedControl.Clear();
        }

        /// <summary>A sentinel behind everything the handle has sent so far: nothing unexpected is ahead of it, and nothing reached the dead.</summary>
        private void NoMore()
        {
            foreach (var probe in _slots.Append(_control))
            {
                probe.Ref.Tell("sentinel", ActorRefs.NoSender);
                var next = probe.ExpectMsg<object>(TimeSpan.FromSeconds(3));
                Assert.True("sentinel".Equals(next), $"unexpected {next}");
            }
            _deadLetters.Ref.Tell("sentinel", ActorRefs.NoSender);
            _deadLetters.FishForMessage(m =>
            {
                if (m is DeadLetter d && _killed.Contains(d.Recipient))
                    throw new Xunit.Sdk.XunitException($"{d.Message} was sent to a terminated subscriber");
                return "sentinel".Equals(m);
            }, TimeSpan.FromSeconds(3));
        }

        /// <summary>
        /// Per source, enables accepted minus disables sent (a refused disable counts: the agent treats the
        /// source as disabled); a held command without an answer yet does not count. Throws if a count ever
        /// leaves 0..1.
        /// </summary>
        private int[] PlatformCounts(FakeFirmware firmware)
        {
            var counts = new int[Sources];
            foreach (var command in firmware.NotifyCommands(Perf, PerfLevelNotify))
            {
                if (!_statuses.TryGetValue(command, out var status)) continue;
                var (source, enable) = command.Notify;
                if (enable && status != ScmiStatus.Success) continue;
                counts[source] += enable ? 1 : -1;
                Assert.True(counts[source] is 0 or 1,
                    $"source {source}: {(enable ? "a second enable" : "a disable without an enable")} at the platform");
            }
            return counts;
        }

        private static (long? Id, string Key) KeyOf(object message) => message switch
        {
            SubscriptionActive a => (a.Id.Value, "active"),
            SubscriptionPending p => (p.Id.Value, "pending"),
            SubscriptionFailed { Reason: SubscriptionFailure.PlatformRejected r } f => (f.Id.Value, $"failed:PlatformRejected:{r.Status}"),
            SubscriptionFailed f => (f.Id.Value, $"failed:{f.Reason.GetType().Name}"),
            Unsubscribed u => (u.Id.Value, "unsubscribed"),
            UnsubscribeFailed u => (u.Id.Value, "unsubscribe-failed"),
            PlatformStopped => (null, "platform-stopped"),
            _ => (null, $"unexpected {message}"),
        };

        private static string ControlKey(object message) => message switch
        {
            ProtocolRegistered => "registered",
            ProtocolRegistrationFailed => "registration-failed",
            ProtocolDeregistered d => $"deregistered:{d.WasRegistered}",
            PlatformShutdownComplete => "shutdown-complete",
            _ => $"unexpected {message}",
        };

        private static bool Same(List<(long? Id, string Key)> expected, List<(long? Id, string Key)> actual)
        {
            if (!expected.OrderBy(e => (e.Id, e.Key)).SequenceEqual(actual.OrderBy(a => (a.Id, a.Key)))) return false;
            foreach (var id in expected.Select(e => e.Id).Distinct())
                if (!expected.Where(e => e.Id == id).SequenceEqual(actual.Where(a => a.Id == id))) return false;
            var stopped = actual.FindIndex(a => a.Key == "platform-stopped");
            return stopped < 0 || stopped == actual.Count - 1;
        }

        private static string Show(List<(long? Id, string Key)> messages) => string.Join(", ", messages.Select(m => $"{m.Key}({m.Id})"));
    }
}
