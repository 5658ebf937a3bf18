namespace ScmiActors.Transport.Smt;

/// <summary>
/// The platform already serves an agent and closed this connection at once, before any doorbell
/// (TRANSPORTS.md §1.2: one agent per link). Retrying makes sense only once that agent is gone, and
/// only with a platform that takes agents in turn.
/// </summary>
public sealed class SmtAgentRefusedException : IOException
{
    public SmtAgentRefusedException(string socketPath)
        : base($"SMT platform at {socketPath} already serves an agent") => SocketPath = socketPath;

    /// <summary>The doorbell socket that refused.</summary>
    public string SocketPath { get; }
}
