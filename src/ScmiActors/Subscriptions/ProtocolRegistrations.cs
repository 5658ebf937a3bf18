using ScmiActors.Dispatch;
using ScmiActors.Ingestion;
using ScmiActors.Messages;
using ScmiActors.Wire;

namespace ScmiActors.Subscriptions;

/// <summary>One registration of a protocol: its runtime, protocol actor, generation and event-source actors.</summary>
internal sealed record Registration<TRef>(ProtocolRuntime Runtime, TRef Actor, int Generation) where TRef : class
{
    public byte Protocol => Runtime.Protocol;

    /// <summary>The event-source actor of (event, source) and the all-sources actor of (event, all), created on first use.</summary>
    public Dictionary<(byte Event, SourceSelector Key), TRef> EventSources { get; } = new();
}

/// <summary>
/// A handle's protocols: the registered ones by id, and what deregistration leaves behind until it
/// is gone — the protocol actor still discarding (its counters "retiring"), the event-source actors
/// still releasing their enables, and the counters of every ended registration, so stats and
/// metrics never go down. Plain state; creating and stopping actors is the handle's.
/// </summary>
internal sealed class ProtocolRegistrations<TRef> where TRef : class
{
    private readonly Dictionary<byte, Registration<TRef>> _registered = new();
    private readonly Dictionary<TRef, ProtocolCounters> _retiring = new();
    private readonly Dictionary<byte, HashSet<TRef>> _releasingOld = new();
    private readonly Dictionary<byte, ProtocolStats> _retiredStats = new();
    private readonly List<ProtocolCounters> _retiredCounters = new();
    private int _nextGeneration;

    public int Count => _registered.Count;

    public IEnumerable<Registration<TRef>> Registered => _registered.Values;

    public Registration<TRef>? Find(byte protocol) => _registered.GetValueOrDefault(protocol);

    public bool IsRegistered(byte protocol) => _registered.ContainsKey(protocol);

    /// <summary>A deregistered generation's sources still release: a new registration waits, or two generations would enable at once.</summary>
    public bool IsReleasingOld(byte protocol) => _releasingOld.ContainsKey(protocol);

    /// <summary>Every event-source actor of an ended generation that has not stopped yet.</summary>
    public IEnumerable<TRef> OldSources => _releasingOld.Values.SelectMany(olds => olds);

    public IEnumerable<ProtocolCounters> RetiringCounters => _retiring.Values;

    /// <summary>Why this protocol cannot be registered with a queue of <paramref name="queueBytes"/>, or null.</summary>
    public string? Check(ProtocolDescriptor descriptor, PlatformProtocol description, int queueBytes)
    {
        if (descriptor.Id != description.ProtocolId)
            return $"descriptor is for protocol 0x{descriptor.Id:X2}, description for 0x{description.ProtocolId:X2}";
        if (_registered.ContainsKey(descriptor.Id)) return $"protocol 0x{descriptor.Id:X2} is already registered";
        if (queueBytes < ProtocolRing.EntryOverhead * 4) return $"queue of {queueBytes} bytes is too small (at least {ProtocolRing.EntryOverhead * 4})";
        if (queueBytes > ProtocolRing.MaxBudgetBytes) return $"queue of {queueBytes} bytes is too large (at most {ProtocolRing.MaxBudgetBytes})";
        return null;
    }

    /// <summary>Generations number registrations so control messages of an ended one are recognised as stale.</summary>
    public int NextGeneration() => ++_nextGeneration;

    public void Add(Registration<TRef> registration)
    {
        if (IsReleasingOld(registration.Protocol))
            throw new InvalidOperationException($"protocol 0x{registration.Protocol:X2} still releases its previous generation");
        if (!_registered.TryAdd(registration.Protocol, registration))
            throw new InvalidOperationException($"protocol 0x{registration.Protocol:X2} is already registered");
    }

    /// <summary>
    /// Ends a registration: its protocol actor is retiring (until <see cref="ProtocolActorStopped"/>) and its
    /// event sources are releasing (until each is <see cref="OldSourceStopped"/>). Null if it was not registered.
    /// </summary>
    public Registration<TRef>? Deregister(byte protocol)
    {
        if (!_registered.Remove(protocol, out var registration)) return null;
        _retiring[registration.Actor] = registration.Runtime.Counters;
        if (registration.EventSources.Count > 0) _releasingOld[protocol] = registration.EventSources.Values.ToHashSet();
        return registration;
    }

    public bool IsRetiring(TRef actor) => _retiring.ContainsKey(actor);

    /// <summary>A retiring protocol actor stopped: its counters join the retired ones. False if it was not retiring.</summary>
    public bool ProtocolActorStopped(TRef actor)
    {
        if (!_retiring.Remove(actor, out var counters)) return false;
        _retiredCounters.Add(counters);
        var stats = counters.Snapshot(registered: false);
        _retiredStats[counters.Protocol] = _retiredStats.TryGetValue(counters.Protocol, out var earlier) ? earlier + stats : stats;
        return true;
    }

    /// <summary>An old generation's event source stopped. <c>Freed</c>: it was its protocol's last, so a waiting registration may proceed.</summary>
    public (bool WasOld, bool Freed) OldSourceStopped(TRef actor)
    {
        foreach (var (protocol, olds) in _releasingOld)
        {
            if (!olds.Remove(actor)) continue;
            if (olds.Count > 0) return (true, false);
            _releasingOld.Remove(protocol);
            return (true, true);
        }
        return (false, false);
    }

    /// <summary>Per protocol, every registration's counters added up: the ended ones, the retiring ones and the current one.</summary>
    public IReadOnlyList<ProtocolStats> Stats()
    {
        var protocols = new SortedDictionary<byte, ProtocolStats>(_retiredStats);
        foreach (var counters in _retiring.Values) Add(protocols, counters.Snapshot(registered: false));
        foreach (var registration in _registered.Values) Add(protocols, registration.Runtime.Counters.Snapshot(registered: true));
        return protocols.Values.ToList();

        static void Add(SortedDictionary<byte, ProtocolStats> map, ProtocolStats stats) =>
            map[stats.Protocol] = map.TryGetValue(stats.Protocol, out var existing) ? existing + stats : stats;
    }

    /// <summary>Every counter set the meter sums: current, retiring and retired.</summary>
    public ProtocolCounters[] AllCounters() =>
        _registered.Values.Select(r => r.Runtime.Counters).Concat(_retiring.Values).Concat(_retiredCounters).ToArray();
}
