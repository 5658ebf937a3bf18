using System.Collections.Immutable;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator;
using ScmiActors.Messages;
using ScmiActors.Transport;
using Xunit;

namespace ScmiActors.Tests.MainJob;

/// <summary>
/// The main job's reconciliation accepts exactly one post the closed gate counted after the handle's final counters
/// (the emulator posts from one thread, so at most one is in flight at a stop), names it, and nothing more.
/// </summary>
public sealed class InFlightAtStopTests
{
    private const byte Power = 0x11;

    /// <summary>The emulator sent 10 the gate queued and <paramref name="notRunning"/> answered NotRunning, <paramref name="detached"/> of them with no handle attached.</summary>
    private static EmulatorStats Emulator(long notRunning, long detached = 0)
    {
        var outcomes = new long[Enum.GetValues<IngestResult>().Length];
        outcomes[(int)IngestResult.Queued] = 10;
        outcomes[(int)IngestResult.NotRunning] = notRunning;
        var power = EmulatorProtocolStats.Empty(Power) with { ByOutcome = [.. outcomes], Detached = detached };
        return new EmulatorStats(ImmutableSortedDictionary<byte, EmulatorProtocolStats>.Empty.Add(Power, power), 0, 0, 0, 0, 0);
    }

    /// <summary>The gate saw 10 it queued (counted as unknown-protocol here: only the totals matter) and <paramref name="notRunning"/> after closing.</summary>
    private static PlatformStats Dispatcher(long notRunning) =>
        new("soc0", PlatformState.Stopped, null, UnknownProtocol: 10, 0, 0, NotRunning: notRunning, [], 0, 0);

    [Fact]
    public void One_NotRunning_the_gate_counted_after_its_final_count_is_in_flight_and_named()
    {
        Assert.Equal(1, MainJobResult.InFlightAtStop(Dispatcher(notRunning: 1), Emulator(notRunning: 2)));
        Assert.Equal(0, MainJobResult.InFlightAtStop(Dispatcher(notRunning: 2), Emulator(notRunning: 2)));
        // Posts after the detach are the emulator's own, not in flight.
        Assert.Equal(0, MainJobResult.InFlightAtStop(Dispatcher(notRunning: 1), Emulator(notRunning: 2, detached: 1)));
    }

    [Fact]
    public void Two_unseen_or_the_gate_seeing_more_are_left_to_the_checks_as_mismatches()
    {
        Assert.Equal(0, MainJobResult.InFlightAtStop(Dispatcher(notRunning: 0), Emulator(notRunning: 2)));
        Assert.Equal(0, MainJobResult.InFlightAtStop(Dispatcher(notRunning: 3), Emulator(notRunning: 2)));
        Assert.Contains(MainJobResult.Reconcile(Dispatcher(notRunning: 0), Emulator(notRunning: 2)), m => m.StartsWith("not running (gate closed)", StringComparison.Ordinal));
    }
}
