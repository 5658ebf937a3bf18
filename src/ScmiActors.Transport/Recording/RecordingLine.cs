using System.Globalization;
using System.Text;

namespace ScmiActors.Transport.Recording;

/// <summary>Which way a recorded message went on the link.</summary>
public enum RecordedDirection : byte
{
    /// <summary>Agent to platform: a command.</summary>
    A2P,
    /// <summary>Platform to agent: a response, a delayed response or a notification.</summary>
    P2A,
}

/// <summary>One recorded message: when (µs since the recording started), which way, the header and the payload in wire order.</summary>
public sealed record RecordedMessage(long TimeUs, RecordedDirection Direction, uint Header, byte[] Payload);

/// <summary>
/// The recording line format, shared by <see cref="RecordingTransport"/>, the decode CLI and the replay
/// platform. One message per line:
/// <code>
/// T_US DIR HEADER [PAYLOAD]
/// 1779540 p2a 0x00004f01 0100000000000000703a0f00
/// </code>
/// <c>T_US</c> is decimal microseconds on a monotonic clock since the recording started; <c>DIR</c> is
/// <c>a2p</c> (a command the agent sent) or <c>p2a</c> (a response, delayed response or notification it
/// received; the header's type field says which); <c>HEADER</c> the 32-bit SCMI header in hex with
/// <c>0x</c> (as the decode CLI reads it); <c>PAYLOAD</c> the bytes after the header in wire order as hex
/// (a response's starts with its int32 status), absent when empty. Blank lines and lines starting with
/// <c>#</c> are comments (the writer records the link's loss and its own drops that way). The last two
/// columns are exactly the decode CLI's <c>HEADER PAYLOAD</c> line.
/// </summary>
public static class RecordingLine
{
    public const string A2P = "a2p";
    public const string P2A = "p2a";

    /// <summary>The first line a <see cref="RecordingWriter"/> writes.</summary>
    public const string FileHeader = "# scmi-actors recording v1: T_US DIR(a2p|p2a) HEADER PAYLOAD";

    public static string Name(RecordedDirection direction) => direction == RecordedDirection.A2P ? A2P : P2A;

    /// <summary>Appends one message line (no newline).</summary>
    public static void Append(StringBuilder builder, long timeUs, RecordedDirection direction, uint header, ReadOnlySpan<byte> payload)
    {
        builder.Append(timeUs.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Name(direction))
            .Append(" 0x").Append(header.ToString("x8", CultureInfo.InvariantCulture));
        if (payload.IsEmpty) return;
        builder.Append(' ').Append(Convert.ToHexStringLower(payload));
    }

    public static string Format(long timeUs, RecordedDirection direction, uint header, ReadOnlySpan<byte> payload)
    {
        var builder = new StringBuilder(32 + payload.Length * 2);
        Append(builder, timeUs, direction, header, payload);
        return builder.ToString();
    }

    /// <summary>True for a line that carries no message: blank, or a <c>#</c> comment.</summary>
    public static bool IsComment(string line) => line.AsSpan().Trim() is var t && (t.IsEmpty || t[0] == '#');

    /// <summary>
    /// True when the line has the recording's shape (a decimal first column and a second column that is
    /// not hex, so it cannot be a plain <c>HEADER PAYLOAD</c> line); such a line is then parsed with
    /// <see cref="TryParse"/>, which names a wrong direction.
    /// </summary>
    public static bool LooksLikeRecording(string line)
    {
        var fields = Fields(line);
        return fields.Count >= 3 && IsDecimal(fields[0]) && !IsHex(fields[1]);
    }

    /// <summary>Parses one message line; false with a one-line reason otherwise. Never throws on any text.</summary>
    public static bool TryParse(string line, out RecordedMessage message, out string error)
    {
        ArgumentNullException.ThrowIfNull(line);
        message = null!;
        error = string.Empty;
        var fields = Fields(line);
        if (fields.Count == 0 || fields[0].StartsWith('#')) return Fail("not a message line (blank or comment)", out error);
        if (fields.Count < 3) return Fail($"expected T_US DIR HEADER [PAYLOAD], got {fields.Count} column(s)", out error);
        if (!IsDecimal(fields[0]) || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var time))
            return Fail($"time '{Clip(fields[0])}' is not a decimal number of microseconds", out error);
        RecordedDirection direction;
        if (fields[1] == A2P) direction = RecordedDirection.A2P;
        else if (fields[1] == P2A) direction = RecordedDirection.P2A;
        else return Fail($"unknown direction '{Clip(fields[1])}' (a2p or p2a)", out error);
        if (!TryParseHeader(fields[2], out var header, out error)) return false;
        if (!TryParseHex(string.Concat(fields.Skip(3)), out var payload, out error)) return false;
        message = new RecordedMessage(time, direction, header, payload);
        return true;
    }

    /// <summary>A 32-bit header in hex, <c>0x</c> optional.</summary>
    public static bool TryParseHeader(string text, out uint header, out string error)
    {
        header = 0;
        error = string.Empty;
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (digits.Length is 0 or > 8 || !IsHex(digits)) return Fail($"header '{Clip(text)}' is not a 32-bit hex number", out error);
        header = uint.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Bytes as hex digits (whole bytes); empty text is an empty payload.</summary>
    public static bool TryParseHex(string text, out byte[] bytes, out string error)
    {
        bytes = [];
        error = string.Empty;
        if (text.Length % 2 != 0) return Fail($"payload '{Clip(text)}' has an odd number of hex digits", out error);
        if (!IsHex(text)) return Fail($"payload '{Clip(text)}' is not hex", out error);
        bytes = Convert.FromHexString(text);
        return true;
    }

    private static List<string> Fields(string line) =>
        [.. line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static bool IsDecimal(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static bool IsHex(string s) => s.All(char.IsAsciiHexDigit);

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
