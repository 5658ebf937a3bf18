using System.Text;
using Akka.Configuration;
using ScmiActors.Platform;

namespace ScmiActors.Cli;

/// <summary>A configuration file that cannot be used: the file, the line when known, and the reason, on one line.</summary>
public sealed class ConfigFileException(string message) : Exception(message);

/// <summary>
/// Reads a HOCON file bounded in size and time. Akka's HOCON parser (1.5.74) never returns on some
/// malformed input (an array element that starts with '}', '=' or ':', e.g. an unclosed '[' followed
/// by '}') and grows without bound while it spins, so brackets and those characters are checked
/// before parsing, and the parse itself runs under a deadline (docs/fuzzing.md has the hang's shape).
/// </summary>
public static class HoconFile
{
    /// <summary>Largest file read: a platform description with every protocol is a few KiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>
    /// How long parsing may take (a platform description parses in milliseconds); the parse thread
    /// keeps spinning until the process exits, so the deadline also bounds the memory a spin takes.
    /// </summary>
    public static readonly TimeSpan ParseTimeout = TimeSpan.FromSeconds(3);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and parses <paramref name="path"/>; <see cref="ConfigFileException"/> for every reason it cannot be used.</summary>
    public static Config Load(string path) => Parse(ReadText(path), path);

    /// <summary>The file's text: at most <see cref="MaxBytes"/>, strict UTF-8 without NUL, a leading BOM dropped.</summary>
    public static string ReadText(string path)
    {
        if (Directory.Exists(path)) throw new ConfigFileException($"{path}: is a directory, not a file");
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.CanSeek && stream.Length > MaxBytes)
                throw new ConfigFileException($"{path}: {stream.Length} bytes, above the limit of {MaxBytes} bytes");
            bytes = ReadBounded(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigFileException($"{path}: cannot read: {e.Message}");
        }
        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new ConfigFileException($"{path}:{LineAt(bytes, start + Math.Max(0, e.Index))}: not UTF-8 text (a binary file?)");
        }
        var nul = text.IndexOf('\0');
        if (nul >= 0) throw new ConfigFileException($"{path}:{LineOf(text, nul)}: a NUL character (a binary file?)");
        return text;
    }

    /// <summary>Parses HOCON <paramref name="text"/> read from <paramref name="path"/> (named in every message).</summary>
    public static Config Parse(string text, string path)
    {
        CheckBrackets(text, path);
        var parse = Task.Run(() => ConfigurationFactory.ParseString(text));
        try
        {
            if (!parse.Wait(ParseTimeout))
                throw new ConfigFileException($"{path}: parsing did not finish within {ParseTimeout.TotalSeconds:0} s (malformed HOCON?)");
            var config = parse.Result;
            // Reading a value that leads back to itself overflows the stack inside Akka: refuse it now.
            if (HoconCycles.FindSubstitutionCycle(config) is { } cycle)
            {
                var at = text.IndexOf(cycle.Length > 0 ? "${" + cycle : "${?", StringComparison.Ordinal);
                var line = at >= 0 ? $":{LineOf(text, at)}" : "";
                throw new ConfigFileException($"{path}{line}: {HoconCycles.Describe(cycle)}");
            }
            return config;
        }
        catch (AggregateException wrapped) when (wrapped.InnerException is { } e)
        {
            throw new ConfigFileException($"{path}: not valid HOCON: {OneLine(e.Message)}");
        }
    }

    /// <summary>
    /// Every '[' and '{' outside strings and comments is closed by its own kind, so the parser never
    /// meets the input it spins on; the message names the line of the unclosed or stray bracket.
    /// </summary>
    public static void CheckBrackets(string text, string path)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n':
                    line++;
                    break;
                case '#':
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                case '"' when string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0:
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) throw new ConfigFileException($"{path}:{line}: a \"\"\" string is never closed");
                    while (end + 3 < text.Length && text[end + 3] == '"') end++; // """ may end with more quotes
                    line += CountLines(text, i, end);
                    i = end + 2;
                    break;
                case '"':
                    var j = i + 1;
                    while (j < text.Length && text[j] != '"' && text[j] != '\n') j += text[j] == '\\' ? 2 : 1;
                    if (j >= text.Length || text[j] != '"') throw new ConfigFileException($"{path}:{line}: a quoted string is never closed");
                    i = j;
                    break;
                case '[' or '{':
                    open.Push((c, line));
                    break;
                // Neither can start an array element (nor appear unquoted in one); Akka's parser adds
                // empty elements forever on them (a = [=], a = [1, :]) while memory grows by GBs.
                case '=' or ':' when open.Count > 0 && open.Peek().Bracket == '[':
                    throw new ConfigFileException($"{path}:{line}: '{c}' inside the array opened on line {open.Peek().Line} (quote it if it is text)");
                case ']' or '}':
                    var expected = c == ']' ? '[' : '{';
                    if (open.Count == 0) throw new ConfigFileException($"{path}:{line}: '{c}' closes nothing");
                    var (bracket, at) = open.Pop();
                    if (bracket != expected)
                        throw new ConfigFileException($"{path}:{at}: '{bracket}' is never closed (line {line} has '{c}')");
                    break;
            }
        }
        if (open.Count > 0)
        {
            var (bracket, at) = open.Peek();
            throw new ConfigFileException($"{path}:{at}: '{bracket}' is never closed");
        }
    }

    /// <summary>
    /// The 1-based line of a dotted key, for messages about a key: each segment is looked for as a
    /// word after the previous one (so <c>a.b.c</c> is found written nested or dotted); the line of the
    /// last segment found, or null when none is.
    /// </summary>
    public static int? LineOfKey(string text, string dottedKey)
    {
        int? line = null;
        var from = 0;
        foreach (var segment in dottedKey.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = IndexOfWord(text, segment.Trim('"'), from);
            if (at < 0) continue;
            line = LineOf(text, at);
            from = at + segment.Length;
        }
        return line;
    }

    private static int IndexOfWord(string text, string word, int from)
    {
        for (var at = text.IndexOf(word, from, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            var before = at == 0 ? ' ' : text[at - 1];
            var after = at + word.Length < text.Length ? text[at + word.Length] : ' ';
            if (!IsKeyChar(before) && !IsKeyChar(after)) return at;
        }
        return -1;

        static bool IsKeyChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_';
    }

    private static byte[] ReadBounded(Stream stream, string path)
    {
        // A pipe or device has no length: read at most one byte past the limit.
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBytes) throw new ConfigFileException($"{path}: more than the limit of {MaxBytes} bytes");
        }
        return buffer.ToArray();
    }

    private static int LineOf(string text, int index) => 1 + CountLines(text, 0, index);

    private static int CountLines(string text, int from, int to)
    {
        var n = 0;
        for (var i = from; i < to && i < text.Length; i++) if (text[i] == '\n') n++;
        return n;
    }

    private static int LineAt(byte[] bytes, int index)
    {
        var n = 1;
        for (var i = 0; i < index && i < bytes.Length; i++) if (bytes[i] == (byte)'\n') n++;
        return n;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
