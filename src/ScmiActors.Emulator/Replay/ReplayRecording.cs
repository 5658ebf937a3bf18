using System.Text.Json;
using ScmiActors.Transport.Recording;
using ScmiActors.Wire;

namespace ScmiActors.Emulator.Replay;

/// <summary>What one recorded slot event was.</summary>
public enum ReplayEventKind : byte { Command, Response, Notification, DelayedResponse }

/// <summary>One message of a recording, in recorded order: its file line, time (µs), kind, header and payload.</summary>
public sealed record ReplayEvent(int Line, long TimeUs, ReplayEventKind Kind, uint Header, byte[] Payload);

/// <summary>A recording or a transcript that cannot be read: the message is one line, <c>file:line: reason</c>.</summary>
public sealed class ReplayFormatException(string message) : Exception(message);

/// <summary>
/// A recording in one model, whatever file it came from: the <see cref="RecordingLine"/> format that
/// <see cref="RecordingTransport"/> writes, or a firmware transcript in the peers' JSON-lines format
/// (<c>scenario-a.jsonl</c>: one object per slot event with <c>t_us</c>, <c>dir</c> a2p-cmd / a2p-resp / p2a,
/// <c>flags</c>, <c>header</c> "0x%08x", <c>payload</c> hex). The format is chosen by the first message
/// line: a <c>{</c> means JSON lines. Every mistake is a <see cref="ReplayFormatException"/> naming file and line.
/// </summary>
public sealed class ReplayRecording
{
    private ReplayRecording(string source, IReadOnlyList<ReplayEvent> events, uint? notificationFlags)
    {
        Source = source;
        Events = events;
        NotificationFlags = notificationFlags;
    }

    /// <summary>Where it was read from (for messages).</summary>
    public string Source { get; }

    public IReadOnlyList<ReplayEvent> Events { get; }

    /// <summary>The P2A flags word the transcript's platform used (1: it wants a completion doorbell); null when not recorded.</summary>
    public uint? NotificationFlags { get; }

    /// <summary>Reads <paramref name="path"/>; a file that cannot be opened is a one-line <see cref="ReplayFormatException"/> too.</summary>
    public static ReplayRecording Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ReplayFormatException($"{path}: cannot read: {e.Message.ReplaceLineEndings(" ")}");
        }
        return Parse(lines, path);
    }

    /// <summary>Parses the lines of a recording or a transcript; <paramref name="source"/> names it in errors.</summary>
    public static ReplayRecording Parse(IReadOnlyList<string> lines, string source)
    {
        var first = lines.FirstOrDefault(l => !RecordingLine.IsComment(l));
        if (first is null) throw new ReplayFormatException($"{source}:1: no message in the file");
        return first.TrimStart().StartsWith('{') ? ParseJsonLines(lines, source) : ParseRecording(lines, source);
    }

    private static ReplayRecording ParseRecording(IReadOnlyList<string> lines, string source)
    {
        var events = new List<ReplayEvent>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (RecordingLine.IsComment(lines[i])) continue;
            if (!RecordingLine.TryParse(lines[i], out var m, out var error)) throw new ReplayFormatException($"{source}:{i + 1}: {error}");
            events.Add(new ReplayEvent(i + 1, m.TimeUs, KindOf(m.Direction, m.Header, source, i + 1), m.Header, m.Payload));
        }
        return new ReplayRecording(source, events, null);
    }

    private static ReplayEventKind KindOf(RecordedDirection direction, uint header, string source, int line)
    {
        var type = ScmiHeader.TypeOf(header);
        return (direction, type) switch
        {
            (RecordedDirection.A2P, MessageType.Command) => ReplayEventKind.Command,
            (RecordedDirection.P2A, MessageType.Command) => ReplayEventKind.Response,
            (RecordedDirection.P2A, MessageType.Notification) => ReplayEventKind.Notification,
            (RecordedDirection.P2A, MessageType.DelayedResponse) => ReplayEventKind.DelayedResponse,
            _ => throw new ReplayFormatException($"{source}:{line}: a {RecordingLine.Name(direction)} message of type {(int)type} (header 0x{header:x8})"),
        };
    }

    private static ReplayRecording ParseJsonLines(IReadOnlyList<string> lines, string source)
    {
        var events = new List<ReplayEvent>();
        uint? flags = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = i + 1;
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            JsonElement o;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                o = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new ReplayFormatException($"{source}:{line}: not a JSON object ({e.Message.ReplaceLineEndings(" ")})");
            }
            if (o.ValueKind != JsonValueKind.Object) throw new ReplayFormatException($"{source}:{line}: not a JSON object");
            var dir = String(o, "dir", source, line);
            var headerText = String(o, "header", source, line);
            var payloadText = o.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            if (!o.TryGetProperty("t_us", out var t) || !t.TryGetInt64(out var time) || time < 0)
                throw new ReplayFormatException($"{source}:{line}: \"t_us\" missing or not a whole number of microseconds");
            if (!RecordingLine.TryParseHeader(headerText, out var header, out var error)
                || !RecordingLine.TryParseHex(payloadText, out var payload, out error))
                throw new ReplayFormatException($"{source}:{line}: {error}");
            var kind = dir switch
            {
                "a2p-cmd" => ReplayEventKind.Command,
                "a2p-resp" => ReplayEventKind.Response,
                "p2a" => ScmiHeader.TypeOf(header) == MessageType.DelayedResponse ? ReplayEventKind.DelayedResponse : ReplayEventKind.Notification,
                _ => throw new ReplayFormatException($"{source}:{line}: unknown dir '{dir}' (a2p-cmd, a2p-resp or p2a)"),
            };
            if (kind == ReplayEventKind.Notification && flags is null && o.TryGetProperty("flags", out var f) && f.TryGetUInt32(out var v)) flags = v;
            events.Add(new ReplayEvent(line, time, kind, header, payload));
        }
        return new ReplayRecording(source, events, flags);
    }

    private static string String(JsonElement o, string name, string source, int line) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new ReplayFormatException($"{source}:{line}: \"{name}\" missing or not a string");
}
