using System.Diagnostics.Tracing;

namespace ScmiActors.Benchmarks.Load;

/// <summary>
/// <c>load --alloc-profile</c>: which types a variant allocates while it runs, from the runtime's own
/// sampling (<c>GCAllocationTick</c>: one event per ~100 KB allocated, naming the type whose
/// allocation crossed the mark), listened to in-process so no external tool is needed. The samples
/// are proportional to bytes allocated per type, which is what B/event sums up; the table says where
/// those bytes come from.
/// </summary>
internal sealed class AllocationProfiler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<(string Variant, string Type), (long Samples, long Bytes)> _byType = new();
    private readonly Lock _lock = new();
    private volatile string? _variant; // the variant whose run is being sampled; null between runs

    public void Start(string variant) => _variant = variant;

    public void Stop() => _variant = null;

    protected override void OnEventSourceCreated(EventSource source)
    {
        // Verbose is the level GCAllocationTick is published at; the GC keyword alone keeps the rest quiet.
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (_variant is not { } variant || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
        var type = "?";
        long bytes = 0;
        for (var i = 0; i < e.PayloadNames.Count; i++)
        {
            switch (e.PayloadNames[i])
            {
                case "TypeName": type = e.Payload?[i] as string ?? "?"; break;
                case "AllocationAmount64": bytes = Convert.ToInt64(e.Payload?[i]); break;
            }
        }
        lock (_lock)
        {
            _byType.TryGetValue((variant, type), out var t);
            _byType[(variant, type)] = (t.Samples + 1, t.Bytes + bytes);
        }
    }

    /// <summary>A variant's types by sampled bytes, largest first, with their share of the variant's samples.</summary>
    public IReadOnlyList<(string Type, long Samples, double Share)> Top(string variant, int count)
    {
        lock (_lock)
        {
            var mine = _byType.Where(kv => kv.Key.Variant == variant).ToList();
            var total = mine.Sum(kv => kv.Value.Bytes);
            return mine.OrderByDescending(kv => kv.Value.Bytes).Take(count)
                .Select(kv => (kv.Key.Type, kv.Value.Samples, total == 0 ? 0 : (double)kv.Value.Bytes / total)).ToList();
        }
    }
}
