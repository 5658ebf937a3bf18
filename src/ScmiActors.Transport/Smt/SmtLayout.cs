namespace ScmiActors.Transport.Smt;

/// <summary>
/// The byte layout of the SMT link between two processes (TRANSPORTS.md §1.1, §1.2): an area of
/// 128-byte slots of little-endian 32-bit words, and 2-byte doorbell packets {kind, slot}.
/// </summary>
public static class SmtLayout
{
    /// <summary>Bytes per slot; the area file is slots × this.</summary>
    public const int SlotSize = 128;

    /// <summary>Reserved word, 0.</summary>
    public const int ReservedOffset = 0;
    /// <summary>channel_status: <see cref="StatusFree"/>, <see cref="StatusError"/>.</summary>
    public const int StatusOffset = 4;
    /// <summary>Reserved in Arm's SMT; NXP's CRC mode (0 on its Linux-like agent's channels).</summary>
    public const int CrcModeOffset = 8;
    /// <summary>Reserved in Arm's SMT; NXP's CRC over header and payload.</summary>
    public const int CrcOffset = 12;
    /// <summary>channel_flags: <see cref="FlagIntrEnabled"/>.</summary>
    public const int FlagsOffset = 16;
    /// <summary>4 + payload bytes: the header counts, status and length do not.</summary>
    public const int LengthOffset = 20;
    /// <summary>The SCMI header word.</summary>
    public const int HeaderOffset = 24;
    /// <summary>First payload byte.</summary>
    public const int PayloadOffset = 28;

    /// <summary>Largest payload a slot holds (slot size − 28).</summary>
    public const int MaxPayload = SlotSize - PayloadOffset;

    /// <summary>Status bit 0: the message was consumed / the slot belongs to its writer again.</summary>
    public const uint StatusFree = 1;
    /// <summary>Status bit 1: channel error.</summary>
    public const uint StatusError = 2;

    /// <summary>Flags bit 0: the writer wants a completion doorbell once the reader is done.</summary>
    public const uint FlagIntrEnabled = 1;

    /// <summary>Doorbell kind agent → platform: "slot k is ready for you" (a command, or a freed P2A slot).</summary>
    public const byte DoorbellToPlatform = 0xA0;
    /// <summary>Doorbell kind platform → agent: "slot k is ready for you" (a response or a notification).</summary>
    public const byte DoorbellToAgent = 0xD0;
    /// <summary>Every doorbell packet is exactly this long; anything else is a protocol error.</summary>
    public const int DoorbellPacketSize = 2;

    /// <summary>A slot index travels in one byte of the doorbell.</summary>
    public const int MaxSlots = 256;

    /// <summary>Default area: slot 0 A2P (commands, responses), slot 1 P2A (notifications, delayed responses).</summary>
    public const int DefaultSlots = 2;
    /// <summary>The default A2P slot.</summary>
    public const int DefaultA2PSlot = 0;
    /// <summary>The default P2A slot.</summary>
    public const int DefaultP2ASlot = 1;
}
