using System.Text.Json;

namespace ScmiActors.Wire;

/// <summary>
/// One decoded notification, immutable, delivered to every matching subscriber. Derived records
/// add the event's fields; <see cref="WriteFields"/> writes them by their snake_case wire names.
/// </summary>
public abstract record ScmiReport(string PlatformId, byte Protocol, byte Event, uint Source, long TimestampNs, uint AgentId)
{
    /// <summary>Writes the event's fields (agent_id first) as properties of the current JSON object.</summary>
    public virtual void WriteFields(Utf8JsonWriter writer) => writer.WriteNumber("agent_id", AgentId);
}
