namespace ScmiActors.Wire;

/// <summary>SCMI message type, header bits 9:8.</summary>
public enum MessageType : byte
{
    /// <summary>A command, or the synchronous response that echoes its header.</summary>
    Command = 0,
    /// <summary>Not defined by the specification; dropped with a warning.</summary>
    Reserved = 1,
    /// <summary>A delayed response: completes a pending asynchronous command.</summary>
    DelayedResponse = 2,
    /// <summary>A notification: the only type that is an event.</summary>
    Notification = 3,
}

/// <summary>
/// The 32-bit SCMI message header: bits 7:0 message id, 9:8 type, 17:10 protocol id,
/// 27:18 token, 31:28 reserved (ignored on parse, zero on encode).
/// </summary>
public readonly record struct ScmiHeader(byte MessageId, MessageType Type, byte ProtocolId, ushort Token)
{
    public const int MaxToken = 0x3FF;

    public static ScmiHeader Parse(uint raw) => new(
        (byte)(raw & 0xFF),
        (MessageType)((raw >> 8) & 0x3),
        (byte)((raw >> 10) & 0xFF),
        (ushort)((raw >> 18) & MaxToken));

    /// <summary>Packs the fields; a token wider than 10 bits is masked.</summary>
    public uint Encode() =>
        MessageId | (((uint)Type & 0x3) << 8) | ((uint)ProtocolId << 10) | ((uint)(Token & MaxToken) << 18);

    /// <summary>The header of a notification; notifications carry token 0.</summary>
    public static uint Notification(byte protocolId, byte eventId) =>
        new ScmiHeader(eventId, MessageType.Notification, protocolId, 0).Encode();

    /// <summary>The header of a command with the given token.</summary>
    public static uint Command(byte protocolId, byte messageId, ushort token) =>
        new ScmiHeader(messageId, MessageType.Command, protocolId, token).Encode();

    // Field extractors for hot paths that must not build the struct.
    public static byte MessageIdOf(uint raw) => (byte)(raw & 0xFF);
    public static MessageType TypeOf(uint raw) => (MessageType)((raw >> 8) & 0x3);
    public static byte ProtocolOf(uint raw) => (byte)((raw >> 10) & 0xFF);
    public static ushort TokenOf(uint raw) => (ushort)((raw >> 18) & MaxToken);

    public override string ToString() =>
        $"proto=0x{ProtocolId:X2} msg=0x{MessageId:X2} type={Type} token={Token}";
}
