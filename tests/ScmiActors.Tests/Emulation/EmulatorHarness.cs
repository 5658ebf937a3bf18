using System.Buffers.Binary;
using ScmiActors.Emulator;
using ScmiActors.Platform;
using ScmiActors.Transport;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>One platform-to-agent message as the emulator posted it.</summary>
public sealed record SentMessage(uint Raw, byte[] Payload)
{
    public ScmiHeader Header => ScmiHeader.Parse(Raw);
    public bool IsNotification => Header.Type == MessageType.Notification;
    public byte Protocol => Header.ProtocolId;
    public byte Event => Header.MessageId;
    public uint Word(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(index * 4));
    public ulong Word64(int index) => Word(index) | (ulong)Word(index + 1) << 32;
    public uint Source => Word(1);
    public override string ToString() => $"{Header} [{Convert.ToHexString(Payload)}]";
}

/// <summary>A command's answer: the echoed header, the status word, the return values after it.</summary>
public sealed record CommandAnswer(ScmiHeader Header, ScmiStatus Status, byte[] Values)
{
    public uint Word(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Values.AsSpan(index * 4));

    public string Name(int byteOffset)
    {
        var field = Values.AsSpan(byteOffset, 16);
        var end = field.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }
}

/// <summary>
/// Drives an <see cref="EmulatedPlatform"/> with raw commands and captures what it posts, without
/// an ActorSystem: the send delegate records every message and answers like a gate would
/// (notifications Queued, responses NotANotification; NotRunning while <see cref="Attached"/> is false,
/// and notifications NotRunning while <see cref="GateOpen"/> is false, as a closed gate answers).
/// </summary>
public sealed class RawPlatform : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<SentMessage> _sent = new();
    private ushort _token;

    public RawPlatform(EmulatorScenario? scenario = null, PlatformDescription? description = null)
    {
        Description = description ?? EmulatorPlatforms.Emu();
        Emulator = new EmulatedPlatform(Send, Description, scenario ?? EmulatorPlatforms.Quiet, () => Attached);
    }

    public PlatformDescription Description { get; }
    public EmulatedPlatform Emulator { get; }
    public volatile bool Attached = true;

    /// <summary>False: the agent is attached but its gate is closed (shutting down).</summary>
    public volatile bool GateOpen = true;

    /// <summary>Completes with the next response posted (for slow responses).</summary>
    public TaskCompletionSource<SentMessage> NextResponse { get; private set; } = NewSignal();

    public IReadOnlyList<SentMessage> Sent
    {
        get
        {
            lock (_gate) return _sent.ToList();
        }
    }

    public IReadOnlyList<SentMessage> Notifications => Sent.Where(m => m.IsNotification).ToList();

    public IReadOnlyList<SentMessage> Responses => Sent.Where(m => !m.IsNotification).ToList();

    public void Clear()
    {
        lock (_gate) _sent.Clear();
    }

    public void ResetResponseSignal() => NextResponse = NewSignal();

    private static TaskCompletionSource<SentMessage> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private IngestResult Send(uint header, ReadOnlySpan<byte> payload)
    {
        var message = new SentMessage(header, payload.ToArray());
        lock (_gate) _sent.Add(message);
        if (!message.IsNotification)
        {
            NextResponse.TrySetResult(message);
            return Attached ? IngestResult.NotANotification : IngestResult.NotRunning;
        }
        return Attached && GateOpen ? IngestResult.Queued : IngestResult.NotRunning;
    }

    public uint NextHeader(byte protocol, byte messageId) => ScmiHeader.Command(protocol, messageId, ++_token);

    /// <summary>Sends one command and returns its (synchronous) answer, or null if none was posted.</summary>
    public CommandAnswer? TryCommand(byte protocol, byte messageId, byte[] payload)
    {
        var header = NextHeader(protocol, messageId);
        var before = Sent.Count;
        Emulator.HandleCommand(header, payload);
        var response = Sent.Skip(before).LastOrDefault(m => !m.IsNotification);
        return response is null ? null : ToAnswer(response);
    }

    public CommandAnswer Command(byte protocol, byte messageId, params uint[] words) =>
        TryCommand(protocol, messageId, Words(words)) ?? throw new InvalidOperationException("no response");

    public CommandAnswer Command(NotifyCommand notify) =>
        TryCommand(notify.ProtocolId, notify.MessageId, notify.Payload) ?? throw new InvalidOperationException("no response");

    public static CommandAnswer ToAnswer(SentMessage response) => new(response.Header,
        (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(response.Payload), response.Payload[4..]);

    /// <summary>Enables (protocol, event, source) through the event's own NOTIFY command, as the dispatcher encodes it.</summary>
    public ScmiStatus Notify(byte protocol, byte eventId, uint source, bool enable)
    {
        var descriptor = ProtocolCatalogs.Default.Find(protocol)!.FindEvent(eventId)!;
        return Command(descriptor.EncodeNotify(source, enable, Description.Find(protocol)!)).Status;
    }

    /// <summary>Enables every source of every event that can notify.</summary>
    public void EnableEverything()
    {
        foreach (var (id, protocol) in Description.Protocols)
        {
            var descriptor = ProtocolCatalogs.Default.Find(id);
            if (descriptor is null || id == ScmiActors.Wire.Vendor.ImxBbm.ProtocolId) continue;
            foreach (var evt in descriptor.Events)
                for (uint s = 0; s < evt.SourceCount(protocol); s++)
                    if (protocol.CanNotify(evt.EventId, s)) Assert.Equal(ScmiStatus.Success, Notify(id, evt.EventId, s, true));
        }
    }

    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    public ValueTask DisposeAsync() => Emulator.DisposeAsync();
}

public static class EmulatorPlatforms
{
    /// <summary>
    /// The platform the emulator tests use, loaded the way users describe platforms (HOCON), with
    /// one source per event that cannot notify and a three-axis sensor.
    /// </summary>
    public const string EmuHocon = """
        scmi.platforms.emu {
          transport = emulated
          protocols {
            base     { version = "2.0" }
            power    { version = "3.0", domains = 8, no-notify { POWER_STATE_CHANGED = [7] } }
            system   { version = "2.0" }
            perf     { version = "4.0", domains = 4, no-notify { PERFORMANCE_LIMITS_CHANGED = [3] } }
            clock    { version = "3.0", clocks = 8, no-notify { CLOCK_RATE_CHANGE_REQUESTED = [0] } }
            sensor {
              version = "3.0"
              sensors = 8
              axes { "5" = 3 }
              no-notify { SENSOR_TRIP_POINT_EVENT = [6], SENSOR_UPDATE = [7] }
            }
            reset    { version = "3.0", domains = 8, no-notify { RESET_ISSUED = [1] } }
            powercap { version = "2.0", domains = 4, measurement-thresholds = [1000, 5000], no-notify { POWERCAP_CAP_CHANGED = [2] } }
            imx-bbm  { version = "1.0" }
          }
        }
        """;

    public static PlatformDescription Emu(string? hoconOverride = null, string id = "emu") =>
        PlatformDescriptionLoader.Parse(hoconOverride ?? EmuHocon.Replace("platforms.emu", $"platforms.{id}", StringComparison.Ordinal), id);

    /// <summary>The default scenario without the timed shutdown request, so tests see only what they ask for.</summary>
    public static EmulatorScenario Quiet { get; } = EmulatorScenario.Default with { ShutdownAfter = null };
}
