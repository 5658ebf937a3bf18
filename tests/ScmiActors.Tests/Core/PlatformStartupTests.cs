using System.Collections.Immutable;
using ScmiActors.Platform;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using Xunit;
using static ScmiActors.Platform.PlatformStartup;

namespace ScmiActors.Tests.Core;

/// <summary>A start's asynchronous steps become exactly one message each, without an ActorSystem; a failure is an answer, never a faulted task.</summary>
public sealed class PlatformStartupTests
{
    [Fact]
    public async Task A_connection_is_Connected_and_a_failure_or_cancellation_says_why()
    {
        Assert.Same(Connected.Instance, await PlatformStartup.ConnectAsync(new Transport(Task.CompletedTask), TimeSpan.FromSeconds(5), default));
        Assert.Equal(new ConnectFailed("mailbox channel is dead"),
            await PlatformStartup.ConnectAsync(new Transport(Task.FromException(new IOException("mailbox channel is dead"))), TimeSpan.FromSeconds(5), default));
        Assert.Equal(new ConnectFailed("connection cancelled"),
            await PlatformStartup.ConnectAsync(new Transport(Task.FromCanceled(new CancellationToken(true))), TimeSpan.FromSeconds(5), default));
    }

    [Fact]
    public async Task A_connection_that_never_completes_fails_at_its_timeout()
    {
        var never = new TaskCompletionSource();
        var outcome = await PlatformStartup.ConnectAsync(new Transport(never.Task), TimeSpan.FromMilliseconds(1), default);
        Assert.IsType<ConnectFailed>(outcome);
    }

    [Fact]
    public async Task Discovery_gives_the_description_or_its_own_reason()
    {
        var description = new PlatformDescription("soc0", "test", ImmutableSortedDictionary<byte, PlatformProtocol>.Empty);
        Assert.Equal(new Discovered(description), await Outcome(Task.FromResult(description)));
        Assert.Equal(new DiscoveryFailed("base protocol did not answer"),
            await Outcome(Task.FromException<PlatformDescription>(new DiscoveryException("base protocol did not answer"))));
        Assert.Equal(new DiscoveryFailed("discovery failed: boom"),
            await Outcome(Task.FromException<PlatformDescription>(new InvalidOperationException("boom"))));
    }

    [Fact]
    public void The_protocol_list_names_known_protocols_and_numbers_unknown_ones()
    {
        var description = new PlatformDescription("soc0", "test", ImmutableSortedDictionary<byte, PlatformProtocol>.Empty
            .Add(0x13, PlatformProtocol.Create(0x13, new ProtocolVersion(4, 0), 8))
            .Add(0xF0, PlatformProtocol.Create(0xF0, new ProtocolVersion(1, 0), 2)));
        var line = Describe(description, ProtocolCatalogs.Default);
        Assert.StartsWith($"{ProtocolCatalogs.Default.Find(0x13)!.Name} v", line);
        Assert.Contains("(8 sources), 0xF0 v", line);
        Assert.EndsWith("(2 sources)", line);
    }

    private sealed class Transport(Task connect) : IScmiTransport
    {
        public bool HasCommandPath => false;
        public Task ConnectAsync(CancellationToken cancellationToken) => connect;
        public void Attach(IScmiReceiver receiver) { }
        public void Detach() { }
        public void SendCommand(uint header, ReadOnlySpan<byte> payload) { }
    }
}
