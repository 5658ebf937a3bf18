namespace ScmiActors.Cli.Decode;

/// <summary>
/// One line of a capture file: the 32-bit header in hex (optional <c>0x</c>), whitespace, then the
/// payload bytes in wire order as hex (whitespace between groups allowed, each group whole bytes;
/// the payload may be empty). Lines that are blank or start with <c>#</c> are not messages.
/// </summary>
public static class CaptureLine
{
    /// <summary>True for a line that carries no message: blank, or a <c>#</c> comment.</summary>
    public static bool IsSkipped(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var text = line.AsSpan().Trim();
        return text.IsEmpty || text[0] == '#';
    }

    /// <summary>
    /// Parses a message line. On failure <paramref name="error"/> says what is wrong, and
    /// <paramref name="header"/> is 0 and <paramref name="payload"/> empty. Never throws on any text.
    /// </summary>
    public static bool TryParse(string line, out uint header, out byte[] payload, out string error)
    {
        ArgumentNullException.ThrowIfNull(line);
        header = 0;
        payload = [];
        error = string.Empty;

        var text = line.AsSpan().Trim();
        if (text.IsEmpty || text[0] == '#')
            return Fail("not a message line (blank or comment)", out error);

        var split = text.IndexOfAny(' ', '\t');
        var headerText = split < 0 ? text : text[..split];
        var payloadText = split < 0 ? ReadOnlySpan<char>.Empty : text[(split + 1)..];

        if (headerText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) headerText = headerText[2..];
        if (headerText.IsEmpty) return Fail("header missing", out error);
        ulong value = 0;
        foreach (var c in headerText)
        {
            var digit = HexValue(c);
            if (digit < 0) return Fail($"header '{headerText}' is not hex", out error);
            value = (value << 4) | (uint)digit;
            if (value > uint.MaxValue) return Fail($"header '{headerText}' is wider than 32 bits", out error);
        }

        // Validate first, so the byte count is known: every group is hex and whole bytes.
        var digits = 0;
        var groupStart = 0;
        for (var i = 0; i <= payloadText.Length; i++)
        {
            if (i == payloadText.Length || payloadText[i] is ' ' or '\t')
            {
                var groupLength = i - groupStart;
                if (groupLength % 2 != 0)
                    return Fail($"payload group '{payloadText.Slice(groupStart, groupLength)}' has an odd number of hex digits", out error);
                digits += groupLength;
                groupStart = i + 1;
            }
            else if (HexValue(payloadText[i]) < 0)
            {
                return Fail($"payload character '{payloadText[i]}' is not a hex digit", out error);
            }
        }

        var bytes = new byte[digits / 2];
        var at = 0;
        var high = -1;
        foreach (var c in payloadText)
        {
            if (c is ' ' or '\t') continue;
            var digit = HexValue(c);
            if (high < 0)
            {
                high = digit;
            }
            else
            {
                bytes[at++] = (byte)((high << 4) | digit);
                high = -1;
            }
        }

        header = (uint)value;
        payload = bytes;
        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
