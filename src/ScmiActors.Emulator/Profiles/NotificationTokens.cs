using ScmiActors.Wire;

namespace ScmiActors.Emulator.Profiles;

/// <summary>
/// The token a firmware writes into a notification header, per P2A slot. i.MX rewrites the header with
/// a per-channel counter only when it writes the slot (RPC_SCMI_P2aTx), so a message dropped before
/// that takes no token and token gaps never reveal losses; SCP always writes 0. Stamp, then call
/// <see cref="Taken"/> once the message was written. Not thread-safe: the host's P2A lock guards it.
/// </summary>
public sealed class NotificationTokens(NotificationTokenPolicy policy)
{
    private const uint TokenMask = (uint)ScmiHeader.MaxToken << 18;
    private readonly Dictionary<int, uint> _next = new();

    public NotificationTokenPolicy Policy { get; } = policy;

    /// <summary>The header as this firmware writes it into <paramref name="slot"/>.</summary>
    public uint Stamp(uint header, int slot) => Policy switch
    {
        NotificationTokenPolicy.Zero => header & ~TokenMask,
        NotificationTokenPolicy.CounterPerChannel => (header & ~TokenMask) | (Next(slot) << 18),
        _ => header,
    };

    /// <summary>The stamped message was written into <paramref name="slot"/>: the counter moves on (mod 1024).</summary>
    public void Taken(int slot)
    {
        if (Policy == NotificationTokenPolicy.CounterPerChannel) _next[slot] = (Next(slot) + 1) & ScmiHeader.MaxToken;
    }

    /// <summary>The token the next message written into <paramref name="slot"/> gets under the counter policy.</summary>
    public uint Next(int slot) => _next.GetValueOrDefault(slot);
}
