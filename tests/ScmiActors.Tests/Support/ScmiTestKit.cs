using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ScmiActors.Hosting;
using ScmiActors.Messages;
using ScmiActors.Transport;
using ScmiActors.Wire;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Support;

/// <summary>
/// TestKit base for dispatcher tests: both the TestEventListener (for EventFilter) and the
/// Serilog logger are installed, as in production; timeouts are short so failures show fast.
/// </summary>
public abstract class ScmiTestKit : TestKit
{
    public static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit", "Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.actor.debug.unhandled = on
        scmi.command-timeout = 500ms
        scmi.shutdown.drain-deadline = 1s
        scmi.shutdown.disable-deadline = 1s
        scmi.drop-log-interval = 200ms
        """);

    protected ScmiTestKit(ITestOutputHelper output, Config? extra = null)
        : base((extra ?? Config.Empty).WithFallback(TestConfig), "scmi-test", output)
    {
        Scmi = ScmiNotifications.Get(Sys);
    }

    protected ScmiNotifications Scmi { get; }

    /// <summary>Starts a platform on a fresh in-memory transport with a fake firmware answering commands.</summary>
    protected async Task<TestPlatform> StartPlatformAsync(string id = "soc0", PlatformDescription? description = null,
        PlatformOptions? options = null, Task? connected = null, bool hasCommandPath = true)
    {
        var transport = InMemoryTransport.Create(hasCommandPath, connected);
        var firmware = new FakeFirmware(transport.Platform);
        description ??= TestPlatforms.Soc0(id);
        // A test that controls the connection drives the initialisation itself: do not wait for ready.
        var handle = connected is null
            ? await Scmi.StartPlatformAsync(id, transport.Agent, description, options)
            : await Scmi.BeginStartPlatformAsync(id, transport.Agent, description, options);
        return new TestPlatform(id, handle, transport, firmware, description);
    }

    /// <summary>Subscribes and expects the immediate answer of the given type.</summary>
    protected T SubscribeExpect<T>(TestPlatform platform, byte protocol, byte evt, SourceSelector source, IActorRef subscriber)
    {
        platform.Handle.Tell(new Subscribe(platform.Id, protocol, evt, source, subscriber), TestActor);
        return ExpectMsg<T>();
    }

    protected SubscriptionId SubscribeActive(TestPlatform platform, byte protocol, byte evt, SourceSelector source, IActorRef subscriber) =>
        SubscribeExpect<SubscriptionActive>(platform, protocol, evt, source, subscriber).Id;

    protected PlatformStats Stats(TestPlatform platform)
    {
        platform.Handle.Tell(new GetStats(platform.Id), TestActor);
        return ExpectMsg<PlatformStats>();
    }
}

public sealed record TestPlatform(string Id, IActorRef Handle, InMemoryTransport Transport, FakeFirmware Firmware, PlatformDescription Description)
{
    public InMemoryTransport.PlatformEnd Platform => Transport.Platform;
}
