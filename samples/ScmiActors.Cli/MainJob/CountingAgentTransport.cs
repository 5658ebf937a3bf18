using System.Collections.Immutable;
using ScmiActors.Emulator;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The agent's end of a link (SMT, or Linux raw mode) with the count the in-memory emulator keeps on its
/// side: every notification the link read, by the outcome the gate answered (or posted while the handle
/// had detached, which no gate can count). So the dispatcher reconciles with what crossed the link exactly
/// as with an in-process emulator, and what the link read reconciles with what the platform process wrote.
/// </summary>
public sealed class CountingAgentTransport : IScmiTransport, IScmiReceiver, IDisposable
{
    private static readonly int Outcomes = Enum.GetValues<IngestResult>().Length;

    private readonly IScmiTransport _inner;
    private readonly long[] _outcomes = new long[256 * Outcomes];
    private readonly long[] _detached = new long[256];
    private readonly int[] _touched = new int[256];
    private volatile IScmiReceiver? _gate;

    public CountingAgentTransport(SmtAgentOptions options) : this(new SmtAgentTransport(options))
    {
    }

    /// <summary>Counts what <paramref name="inner"/> reads; disposing this disposes it.</summary>
    public CountingAgentTransport(IScmiTransport inner)
    {
        _inner = inner;
        // Always attached: the handle's Attach and Detach only switch the gate behind this counter.
        _inner.Attach(this);
    }

    public IScmiTransport Inner => _inner;

    public bool HasCommandPath => _inner.HasCommandPath;

    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    public void Attach(IScmiReceiver receiver) => _gate = receiver;

    public void Detach() => _gate = null;

    public void SendCommand(uint header, ReadOnlySpan<byte> payload) => _inner.SendCommand(header, payload);

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload, long timestampNs)
    {
        var gate = _gate; // read once: the outcome and "detached" must be about the same gate
        return Count(header, gate?.Post(header, payload, timestampNs) ?? IngestResult.NotRunning, gate is null);
    }

    public IngestResult Post(uint header, ReadOnlySpan<byte> payload)
    {
        var gate = _gate;
        return Count(header, gate?.Post(header, payload) ?? IngestResult.NotRunning, gate is null);
    }

    // Told to the gate attached now, as SmtAgentTransport tells its receiver: the handle then reconnects.
    public void TransportLost(string reason) => _gate?.TransportLost(reason);

    /// <summary>The notifications read from the link, per protocol by the gate's outcome; <c>Detached</c>: read with no gate attached.</summary>
    public EmulatorStats Posts()
    {
        var protocols = ImmutableSortedDictionary.CreateBuilder<byte, EmulatorProtocolStats>();
        for (var p = 0; p < 256; p++)
        {
            if (Volatile.Read(ref _touched[p]) == 0) continue;
            var outcomes = new long[Outcomes];
            for (var i = 0; i < Outcomes; i++) outcomes[i] = Interlocked.Read(ref _outcomes[p * Outcomes + i]);
            protocols[(byte)p] = EmulatorProtocolStats.Empty((byte)p) with
            {
                ByOutcome = ImmutableArray.Create(outcomes),
                Detached = Interlocked.Read(ref _detached[p]),
            };
        }
        return new EmulatorStats(protocols.ToImmutable(), 0, 0, 0, 0, 0);
    }

    private IngestResult Count(uint header, IngestResult result, bool detached)
    {
        // Responses and delayed responses go to the handle's link through the gate; only notifications are the platform's posts.
        if (ScmiHeader.TypeOf(header) != MessageType.Notification) return result;
        var protocol = ScmiHeader.ProtocolOf(header);
        Volatile.Write(ref _touched[protocol], 1);
        Interlocked.Increment(ref _outcomes[protocol * Outcomes + (int)result]);
        if (detached) Interlocked.Increment(ref _detached[protocol]);
        return result;
    }

    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
