using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Tests.Support;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Core;

/// <summary>Helpers shared by the actor-core specs.</summary>
public abstract class CoreSpec(ITestOutputHelper output, Config? extra = null) : ScmiTestKit(output, extra)
{
    protected const byte Perf = ScmiProtocolId.Perf;
    protected const byte PerfLevel = ScmiEvents.Perf.LevelChanged;
    protected const byte PerfLevelNotify = ScmiCommands.Perf.NotifyLevel;
    protected const byte Sensor = ScmiProtocolId.Sensor;

    private readonly Dictionary<string, GateCapturingTransport> _captured = new();

    /// <summary>Like <see cref="ScmiTestKit.StartPlatformAsync"/>, but remembers the gate the handle attaches (see <see cref="GateOf"/>).</summary>
    protected async Task<TestPlatform> StartCapturedAsync(string id = "soc0", PlatformDescription? description = null,
        PlatformOptions? options = null, Task? connected = null)
    {
        var transport = InMemoryTransport.Create(connected: connected);
        var firmware = new FakeFirmware(transport.Platform);
        var capturing = new GateCapturingTransport(transport.Agent);
        _captured[id] = capturing;
        description ??= TestPlatforms.Soc0(id);
        // A test that controls the connection drives the initialisation itself: do not wait for ready.
        var handle = connected is null
            ? await Scmi.StartPlatformAsync(id, capturing, description, options)
            : await Scmi.BeginStartPlatformAsync(id, capturing, description, options);
        return new TestPlatform(id, handle, transport, firmware, description);
    }

    /// <summary>The gate of a platform started with <see cref="StartCapturedAsync"/>, once attached.</summary>
    protected IngestionGate GateOf(TestPlatform p)
    {
        var capturing = _captured[p.Id];
        AwaitCondition(() => capturing.Gate is not null, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10));
        return capturing.Gate!;
    }

    /// <summary>StartPlatformAsync returns before the handle connected; this waits until its gate is open.</summary>
    protected PlatformStats AwaitReady(TestPlatform p) => AwaitStats(p, s => Assert.Equal(PlatformState.Ready, s.State));

    protected static IngestResult PostPerfLevel(TestPlatform p, uint domain, uint level, uint agent = 0) =>
        p.Platform.Send(TestPlatforms.PerfLevelHeader, TestPlatforms.PerfLevel(domain, level, agent));

    protected static IngestResult PostVendor(TestPlatform p, uint source, uint value) =>
        p.Platform.Send(TestVendor.Header(), TestVendor.Payload(source, value));

    /// <summary>(source, enable) of every NOTIFY command for PERFORMANCE_LEVEL_CHANGED, in the order the firmware got them.</summary>
    protected static List<(uint Source, bool Enable)> PerfLevelNotifies(TestPlatform p) =>
        p.Firmware.NotifyCommands(Perf, PerfLevelNotify).Select(c => c.Notify).ToList();

    protected static List<(uint Source, bool Enable)> VendorNotifies(TestPlatform p) =>
        p.Firmware.NotifyCommands(TestVendor.Id, TestVendor.NotifyMessageId).Select(c => c.Notify).ToList();

    protected static int Count(IEnumerable<(uint Source, bool Enable)> notifies, uint source, bool enable) =>
        notifies.Count(n => n == (source, enable));

    protected void RegisterVendor(TestPlatform p, ProtocolDescriptor descriptor, PlatformProtocol description)
    {
        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(descriptor, description)), TestActor);
        ExpectMsg<ProtocolRegistered>(r => r.Protocol == descriptor.Id);
    }

    protected void RegisterPerf(TestPlatform p)
    {
        p.Handle.Tell(new RegisterProtocolEvents(p.Id, new ProtocolEvents(StandardProtocols.Perf, p.Description.Protocols[Perf])), TestActor);
        ExpectMsg<ProtocolRegistered>(r => r.Protocol == Perf);
    }

    protected void UnsubscribeExpect(TestPlatform p, SubscriptionId id)
    {
        p.Handle.Tell(new Unsubscribe(p.Id, id), TestActor);
        ExpectMsg<Unsubscribed>(u => u.Id == id);
    }

    /// <summary>Retries until the platform's stats satisfy <paramref name="check"/> (counters settle once the protocol actor finished its batch).</summary>
    protected PlatformStats AwaitStats(TestPlatform p, Action<PlatformStats> check, TimeSpan? max = null)
    {
        PlatformStats? last = null;
        AwaitAssert(() =>
        {
            last = Stats(p);
            check(last);
        }, max ?? TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        return last!;
    }

    protected static void AssertAddsUp(PlatformStats stats) => Assert.True(stats.AddsUp, "accounting does not add up: " + Describe(stats));

    protected static string Describe(PlatformStats s) =>
        $"{s.PlatformId} {s.State} unknownProtocol={s.UnknownProtocol} reserved={s.ReservedMessageType} notANotification={s.NotANotification} " +
        $"notRunning={s.NotRunning} active={s.ActiveSubscriptions} pending={s.PendingSubscriptions} [" +
        string.Join("; ", s.Protocols.Select(p => p.ToString())) + "]";

    protected LinkStats LinkStatsOf(TestPlatform p)
    {
        Sys.ActorSelection(p.Handle.Path / "link").Tell(GetLinkStats.Instance, TestActor);
        return ExpectMsg<LinkStats>();
    }

    /// <summary>Resolves a child of the handle (event-source or protocol actor) by name.</summary>
    protected IActorRef ChildOf(TestPlatform p, string name) =>
        Sys.ActorSelection(p.Handle.Path / name).ResolveOne(TimeSpan.FromSeconds(3)).GetAwaiter().GetResult();

    /// <summary>Receives reports until <paramref name="last"/> arrives; fails on anything that is not a report.</summary>
    protected static List<ScmiReport> ReceiveReportsUntil<T>(TestProbe probe, Predicate<T> last, TimeSpan? max = null)
    {
        var reports = new List<ScmiReport>();
        probe.FishForMessage(m =>
        {
            if (m is T t && last(t)) return true;
            if (m is ScmiReport r)
            {
                reports.Add(r);
                return false;
            }
            throw new Xunit.Sdk.XunitException($"unexpected message {m}");
        }, max ?? TimeSpan.FromSeconds(5));
        return reports;
    }
}
