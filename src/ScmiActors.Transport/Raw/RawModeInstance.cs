using System.Globalization;

namespace ScmiActors.Transport.Raw;

/// <summary>
/// One SCMI instance as the kernel's raw mode shows it in debugfs:
/// <c>&lt;root&gt;/&lt;N&gt;/transport/*</c> (the transport's limits, one value per file) and
/// <c>&lt;root&gt;/&lt;N&gt;/raw/*</c> (the files a <see cref="RawModeTransport"/> uses). The root is a
/// parameter so tests can point it at a temporary directory laid out the same way.
/// Per-channel files (<c>raw/channels/0xNN/</c>) are not used: replies are matched by token.
/// </summary>
public sealed class RawModeInstance
{
    public const string DefaultRoot = "/sys/kernel/debug/scmi";

    private RawModeInstance(int id, string directory, RawModeLimits limits)
    {
        Id = id;
        Directory = directory;
        Limits = limits;
    }

    public int Id { get; }

    /// <summary><c>&lt;root&gt;/&lt;N&gt;</c>.</summary>
    public string Directory { get; }

    public RawModeLimits Limits { get; }

    /// <summary>Commands are written here; synchronous replies are read from it.</summary>
    public string MessagePath => RawPath("message");

    /// <summary>For asynchronous commands; unused, because <see cref="IScmiTransport.SendCommand"/> does not say which commands are.</summary>
    public string MessageAsyncPath => RawPath("message_async");

    public string NotificationPath => RawPath("notification");

    /// <summary>Late replies and other messages the kernel could not hand to a waiting command.</summary>
    public string ErrorsPath => RawPath("errors");

    /// <summary>Any write flushes the kernel's raw queues.</summary>
    public string ResetPath => RawPath("reset");

    private string RawPath(string name) => Path.Combine(Directory, "raw", name);

    /// <summary>The instance numbers under <paramref name="root"/>, ascending.</summary>
    /// <exception cref="RawModeException">The root does not exist (debugfs not mounted, no raw mode, not root).</exception>
    public static IReadOnlyList<int> List(string root = DefaultRoot)
    {
        if (!System.IO.Directory.Exists(root))
            throw new RawModeException($"SCMI raw mode: {root} does not exist (debugfs mounted? kernel with CONFIG_ARM_SCMI_RAW_MODE_SUPPORT? running as root?)");
        return System.IO.Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .Select(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
            .Where(id => id >= 0)
            .Order()
            .ToList();
    }

    /// <summary>Reads instance <paramref name="id"/>'s limits and checks its raw files are there.</summary>
    /// <exception cref="RawModeException">A one-line message naming the missing directory or file, or the malformed file.</exception>
    public static RawModeInstance Open(int id, string root = DefaultRoot)
    {
        var directory = Path.Combine(root, id.ToString(CultureInfo.InvariantCulture));
        if (!System.IO.Directory.Exists(directory))
            throw new RawModeException($"SCMI raw mode: instance {id} not found: {directory} does not exist");

        var transport = Path.Combine(directory, "transport");
        var limits = new RawModeLimits(
            MaxMsgSize: ReadDecimal(transport, "max_msg_size"),
            MaxRxTimeoutMs: ReadDecimal(transport, "max_rx_timeout_ms"),
            TxMaxMsg: ReadDecimal(transport, "tx_max_msg"),
            RxMaxMsg: ReadDecimal(transport, "rx_max_msg"),
            Type: ReadText(transport, "type"),
            IsAtomic: ReadBool(transport, "is_atomic"));

        var instance = new RawModeInstance(id, directory, limits);
        foreach (var path in new[] { instance.MessagePath, instance.NotificationPath, instance.ErrorsPath, instance.ResetPath })
        {
            if (!File.Exists(path))
                throw new RawModeException($"SCMI raw mode: {path} is missing (kernel without CONFIG_ARM_SCMI_RAW_MODE_SUPPORT?)");
        }
        return instance;
    }

    private static string ReadLine(string directory, string name, out string path)
    {
        path = Path.Combine(directory, name);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RawModeException(e is FileNotFoundException or DirectoryNotFoundException
                ? $"SCMI raw mode: {path} is missing"
                : $"SCMI raw mode: cannot read {path}: {e.Message}", e);
        }
        // debugfs ends every value with one newline; tolerate its absence, nothing else.
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    // debugfs_create_u32: ASCII decimal and a newline.
    private static int ReadDecimal(string directory, string name)
    {
        var text = ReadLine(directory, name, out var path);
        if (text.Length == 0 || text.Length > 10 || !text.All(char.IsAsciiDigit)
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new RawModeException($"SCMI raw mode: {path}: expected an ASCII decimal number and a newline, found \"{Printable(text)}\"");
        return value;
    }

    // debugfs_create_str: the transport's name ("mailbox", "virtio", ...), not a number.
    private static string ReadText(string directory, string name) => ReadLine(directory, name, out _).Trim();

    // debugfs_create_bool prints Y or N; 1 and 0 are accepted too.
    private static bool ReadBool(string directory, string name)
    {
        var text = ReadLine(directory, name, out var path);
        return text switch
        {
            "Y" or "1" => true,
            "N" or "0" => false,
            _ => throw new RawModeException($"SCMI raw mode: {path}: expected Y or N and a newline, found \"{Printable(text)}\""),
        };
    }

    // The message stays one line whatever the file holds.
    private static string Printable(string text)
    {
        var cut = text.Length > 32 ? text[..32] + "..." : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}

/// <summary>
/// The transport limits of one instance (debugfs <c>transport/</c>). <see cref="MaxMsgSize"/> counts
/// payload bytes; the kernel's raw buffers add the 4-byte header, so no message read from a raw file is
/// longer than <see cref="MaxMessageBytes"/>. <see cref="TxMaxMsg"/> is also the depth of each raw queue.
/// </summary>
public readonly record struct RawModeLimits(int MaxMsgSize, int MaxRxTimeoutMs, int TxMaxMsg, int RxMaxMsg, string Type, bool IsAtomic)
{
    /// <summary>Header plus <see cref="MaxMsgSize"/>: the longest message a raw file holds.</summary>
    public int MaxMessageBytes => MaxMsgSize + 4;
}

/// <summary>A raw-mode instance cannot be found or used; the message is one line and names the file.</summary>
public sealed class RawModeException : IOException
{
    public RawModeException(string message) : base(message) { }

    public RawModeException(string message, Exception inner) : base(message, inner) { }
}
