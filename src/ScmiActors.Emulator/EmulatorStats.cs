using System.Collections.Immutable;
using System.Numerics;
using ScmiActors.Transport;

namespace ScmiActors.Emulator;

/// <summary>
/// What an emulated platform has sent, counted by what the transport said of each notification
/// (<see cref="IngestResult"/>), per protocol id of the header it sent (so a notification with an
/// unknown protocol id is counted under that id), plus the faults it injected and its command path.
/// Reconciles with the dispatcher: <c>Queued</c>, <c>DroppedQueueFull</c>, <c>DroppedRateLimited</c>, <c>UnknownEvent</c> and
/// <c>PayloadTooLarge</c> of a registered protocol equal the handle's per-protocol counters when the
/// emulator is the only producer.
/// </summary>
public sealed record EmulatorStats(
    ImmutableSortedDictionary<byte, EmulatorProtocolStats> Protocols,
    long CommandsReceived,
    long ResponsesSent,
    long ResponsesDelayed,
    long ResponsesWithheld,
    long ResponsesUndelivered)
{
    /// <summary>The protocol's counters, all zero when nothing was sent for it.</summary>
    public EmulatorProtocolStats For(byte protocol) => Protocols.GetValueOrDefault(protocol) ?? EmulatorProtocolStats.Empty(protocol);

    /// <summary>Notifications posted, over all protocols and outcomes.</summary>
    public long Sent => Protocols.Values.Sum(p => p.Sent);

    public long Count(IngestResult outcome) => Protocols.Values.Sum(p => p[outcome]);

    public long Injected(EmulatorFault fault) => Protocols.Values.Sum(p => p.Injected(fault));

    /// <summary>Notifications posted while no agent was attached (part of NotRunning; no gate ever saw them).</summary>
    public long Detached => Protocols.Values.Sum(p => p.Detached);
}

/// <summary>
/// One protocol id's notifications by transport outcome, and the faults injected into them.
/// <paramref name="Detached"/>: of the <c>NotRunning</c> ones, those posted while the agent's end was
/// detached, which the transport refused without a gate: the dispatcher cannot have counted them.
/// </summary>
public sealed record EmulatorProtocolStats(byte Protocol, ImmutableArray<long> ByOutcome, ImmutableArray<long> ByFault, long Detached = 0)
{
    internal static readonly int Outcomes = Enum.GetValues<IngestResult>().Length;
    internal const int FaultKinds = 9;

    public static EmulatorProtocolStats Empty(byte protocol) =>
        new(protocol, ImmutableArray.Create(new long[Outcomes]), ImmutableArray.Create(new long[FaultKinds]));

    public long this[IngestResult outcome] => ByOutcome[(int)outcome];

    public long Sent => ByOutcome.Sum();
    public long Queued => this[IngestResult.Queued];
    public long DroppedQueueFull => this[IngestResult.DroppedQueueFull];
    public long DroppedRateLimited => this[IngestResult.DroppedRateLimited];
    public long UnknownProtocol => this[IngestResult.UnknownProtocol];
    public long UnknownEvent => this[IngestResult.UnknownEvent];
    public long PayloadTooLarge => this[IngestResult.PayloadTooLarge];
    public long NotRunning => this[IngestResult.NotRunning];

    /// <summary>
    /// How often one fault (a single flag) was injected for this protocol: notifications made
    /// malformed, oversized, sent with an unknown protocol or event id (counted under the protocol the
    /// notification was meant for), with an out-of-range source, sent in storms, posted after the agent
    /// stopped; disables ignored.
    /// </summary>
    public long Injected(EmulatorFault fault)
    {
        if (fault == EmulatorFault.None || !BitOperations.IsPow2((uint)fault)) throw new ArgumentException("one fault flag", nameof(fault));
        return ByFault[BitOperations.Log2((uint)fault)];
    }
}

/// <summary>The live counters behind <see cref="EmulatorStats"/>: lock-free increments from any thread.</summary>
internal sealed class EmulatorCounters
{
    private readonly long[] _outcomes = new long[256 * EmulatorProtocolStats.Outcomes];
    private readonly long[] _faults = new long[256 * EmulatorProtocolStats.FaultKinds];
    private readonly int[] _touched = new int[256];
    private readonly long[] _detached = new long[256];

    public long CommandsReceived;
    public long ResponsesSent;
    public long ResponsesDelayed;
    public long ResponsesWithheld;
    public long ResponsesUndelivered;

    public void Count(byte protocol, IngestResult outcome)
    {
        Volatile.Write(ref _touched[protocol], 1);
        Interlocked.Increment(ref _outcomes[protocol * EmulatorProtocolStats.Outcomes + (int)outcome]);
    }

    /// <summary>A post the transport refused because no agent was attached (also counted as NotRunning).</summary>
    public void Detached(byte protocol) => Interlocked.Increment(ref _detached[protocol]);

    public void Injected(byte protocol, EmulatorFault fault)
    {
        Volatile.Write(ref _touched[protocol], 1);
        Interlocked.Increment(ref _faults[protocol * EmulatorProtocolStats.FaultKinds + BitOperations.Log2((uint)fault)]);
    }

    public EmulatorStats Snapshot()
    {
        var protocols = ImmutableSortedDictionary.CreateBuilder<byte, EmulatorProtocolStats>();
        for (var p = 0; p < 256; p++)
        {
            if (Volatile.Read(ref _touched[p]) == 0) continue;
            var outcomes = new long[EmulatorProtocolStats.Outcomes];
            for (var i = 0; i < outcomes.Length; i++) outcomes[i] = Interlocked.Read(ref _outcomes[p * EmulatorProtocolStats.Outcomes + i]);
            var faults = new long[EmulatorProtocolStats.FaultKinds];
            for (var i = 0; i < faults.Length; i++) faults[i] = Interlocked.Read(ref _faults[p * EmulatorProtocolStats.FaultKinds + i]);
            protocols[(byte)p] = new EmulatorProtocolStats((byte)p, ImmutableArray.Create(outcomes), ImmutableArray.Create(faults),
                Interlocked.Read(ref _detached[p]));
        }
        return new EmulatorStats(protocols.ToImmutable(), Interlocked.Read(ref CommandsReceived), Interlocked.Read(ref ResponsesSent),
            Interlocked.Read(ref ResponsesDelayed), Interlocked.Read(ref ResponsesWithheld), Interlocked.Read(ref ResponsesUndelivered));
    }
}
