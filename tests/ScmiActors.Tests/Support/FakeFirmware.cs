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
    private readonly object _holdLock = new();
    private readonly Queue<RecordedCommand> _held = new();
    private Func<RecordedCommand, bool>? _hold;

    public FakeFirmware(InMemoryTransport.PlatformEnd platform)
    {
        _platform = platform;
        platform.OnCommand(OnCommand);
    }

    public ConcurrentQueue<RecordedCommand> Commands { get; } = new();

    public Func<RecordedCommand, ScmiStatus?> Answer { get; set; } = _ => ScmiStatus.Success;

    public IReadOnlyList<RecordedCommand> NotifyCommands(byte protocol, byte messageId) =>
        Commands.Where(c => c.Header.ProtocolId == protocol && c.Header.MessageId == messageId).ToList();

    /// <summary>Answers a command that <see cref="Answer"/> held (returned null for) now.</summary>
    public void Respond(RecordedCommand command, ScmiStatus status) => _platform.Respond(command.Header.Encode(), status);

    /// <summary>From now on, commands that match are held (not answered) until <see cref="ReleaseHeld"/>.</summary>
    public void Hold(Func<RecordedCommand, bool> which)
    {
        lock (_holdLock) _hold = which;
    }

    /// <summary>The commands held so far and not released.</summary>
    public int HeldCount
    {
        get
        {
            lock (_holdLock) return _held.Count;
        }
    }

    /// <summary>Stops holding and answers every held command, in arrival order, with <paramref name="status"/>; returns them.</summary>
    public IReadOnlyList<RecordedCommand> ReleaseHeld(ScmiStatus status = ScmiStatus.Success, Action<RecordedCommand>? beforeAnswer = null)
    {
        RecordedCommand[] held;
        lock (_holdLock)
        {
            _hold = null;
            held = _held.ToArray();
            _held.Clear();
        }
        foreach (var command in held)
        {
            beforeAnswer?.Invoke(command);
            Respond(command, status);
        }
        return held;
    }

    private void OnCommand(uint header, byte[] payload)
    {
        var command = new RecordedCommand(ScmiHeader.Parse(header), payload);
        Commands.Enqueue(command);
        lock (_holdLock)
        {
            if (_hold is { } hold && hold(command))
            {
                _held.Enqueue(command);
                return;
            }
        }
        if (Answer(command) is { } status) _platform.Respond(header, status);
    }
}
