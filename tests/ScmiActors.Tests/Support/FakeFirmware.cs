using System.Buffers.Binary;
using System.Collections.Concurrent;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Tests.Support;

/// <summary>A recorded agent command.</summary>
public sealed record RecordedCommand(ScmiHeader Header, byte[] Payload)
{
    public uint Word(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(index * 4));

    /// <summary>For per-source NOTIFY commands: (resource id, enable flag).</summary>
    public (uint Source, bool Enable) Notify => Payload.Length >= 8 ? (Word(0), (Word(1) & 1) != 0) : (0, (Word(0) & 1) != 0);
}

/// <summary>
/// A scriptable platform for tests: records every command and answers with the status
/// <see cref="Answer"/> chooses (SUCCESS by default; null = never answer).
/// </summary>
public sealed class FakeFirmware
{
    private readonly InMemoryTransport.PlatformEnd _platform;

    public FakeFirmware(InMemoryTransport.PlatformEnd platform)
    {
        _platform = platform;
        platform.OnCommand(OnCommand);
    }

    public ConcurrentQueue<RecordedCommand> Commands { get; } = new();

    public Func<RecordedCommand, ScmiStatus?> Answer { get; set; } = _ => ScmiStatus.Success;

    public IReadOnlyList<RecordedCommand> NotifyCommands(byte protocol, byte messageId) =>
        Commands.Where(c => c.Header.ProtocolId == protocol && c.Header.MessageId == messageId).ToList();

    private void OnCommand(uint header, byte[] payload)
    {
        var command = new RecordedCommand(ScmiHeader.Parse(header), payload);
        Commands.Enqueue(command);
        if (Answer(command) is { } status) _platform.Respond(header, status);
    }
}
