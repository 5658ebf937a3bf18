using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;

namespace ScmiActors.Transport.Smt;

/// <summary>
/// The shared area of an SMT link: a file of <see cref="SmtLayout.SlotSize"/>-byte slots that both
/// processes map shared (TRANSPORTS.md §1.1, §1.5). The platform <see cref="Create"/>s it with FREE
/// in every slot; the agent <see cref="Open"/>s it. Control words go through a pointer acquired once
/// with <see cref="Volatile"/> reads and writes; payload, length, header and flags are plain stores
/// published by the status write. Callers stop every reader before <see cref="Dispose"/>: the
/// pointer dies with the mapping.
/// </summary>
public sealed unsafe class SmtArea : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private SmtArea(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, int slots)
    {
        Path = path;
        _file = file;
        _view = view;
        SlotCount = slots;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        // The view may start before the requested offset (page alignment); PointerOffset says by how much.
        _base = pointer + view.PointerOffset;
    }

    /// <summary>The mode of the area file and of the doorbell socket: the owner alone reads and writes them.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The area file.</summary>
    public string Path { get; }

    /// <summary>Number of slots (file size / 128).</summary>
    public int SlotCount { get; }

    /// <summary>
    /// The platform's side: creates the file, mode 0600 (it must not exist: a live platform's area is never
    /// clobbered), sized <paramref name="slots"/> × 128, with FREE in every slot's status.
    /// </summary>
    public static SmtArea Create(string path, int slots = SmtLayout.DefaultSlots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, SmtLayout.MaxSlots);
        RequireLittleEndian();
        // Unix only (file modes; SOCK_SEQPACKET for the doorbell); the throw is also the analyzer's platform guard.
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the SMT link needs Unix file modes");
        FileStream stream;
        try
        {
            // 0600 from creation (open with O_CREAT's mode, not a chmod after): the area carries every
            // command and notification, so no other user may map it, not even for an instant.
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite,
                UnixCreateMode = OwnerOnly,
            });
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new IOException($"SMT area {path} already exists (another platform, or a stale one to remove): {e.Message}");
        }
        try
        {
            stream.SetLength((long)slots * SmtLayout.SlotSize); // zero-filled: reserved words, flags and length start at 0
            var area = Map(path, stream, slots);
            for (var slot = 0; slot < slots; slot++) area.WriteStatus(slot, SmtLayout.StatusFree);
            return area;
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>The agent's side: maps an existing area; its size must be a whole number of slots.</summary>
    public static SmtArea Open(string path)
    {
        RequireLittleEndian();
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"SMT area {path} not found (the platform creates it before it listens)", path);
        }
        try
        {
            var length = stream.Length;
            if (length == 0 || length % SmtLayout.SlotSize != 0 || length / SmtLayout.SlotSize > SmtLayout.MaxSlots)
                throw new InvalidDataException($"SMT area {path} is {length} bytes, not 1 to {SmtLayout.MaxSlots} slots of {SmtLayout.SlotSize}");
            return Map(path, stream, (int)(length / SmtLayout.SlotSize));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static SmtArea Map(string path, FileStream stream, int slots)
    {
        // Mapped from the file (MAP_SHARED), not by name: named maps are unsupported on Unix.
        var file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.ReadWrite,
            HandleInheritability.None, leaveOpen: false);
        try
        {
            var view = file.CreateViewAccessor(0, (long)slots * SmtLayout.SlotSize, MemoryMappedFileAccess.ReadWrite);
            return new SmtArea(path, file, view, slots);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // The words are the host's uint: the format is little-endian, so a big-endian host cannot share it.
    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the SMT area is little-endian");
    }

    private byte* Slot(int slot)
    {
        if ((uint)slot >= (uint)SlotCount) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"the area has {SlotCount} slots");
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + slot * SmtLayout.SlotSize;
    }

    private ref uint Word(int slot, int offset) => ref Unsafe.AsRef<uint>(Slot(slot) + offset);

    /// <summary>Acquire load of channel_status: what the other side published before it is visible after.</summary>
    public uint ReadStatus(int slot) => Volatile.Read(ref Word(slot, SmtLayout.StatusOffset));

    /// <summary>
    /// Release store of channel_status: publishes the plain stores before it (a message), or frees
    /// the slot only after the copy out is complete. Freeing stores the whole word 1, never an OR.
    /// </summary>
    public void WriteStatus(int slot, uint status) => Volatile.Write(ref Word(slot, SmtLayout.StatusOffset), status);

    /// <summary>
    /// Plain stores of payload, length (4 + n), header and flags. Not visible as a message until the
    /// writer's <see cref="WriteStatus"/>.
    /// </summary>
    public void WriteMessage(int slot, uint header, ReadOnlySpan<byte> payload, uint flags)
    {
        if (payload.Length > SmtLayout.MaxPayload)
            throw new ArgumentException($"payload of {payload.Length} bytes exceeds a slot's {SmtLayout.MaxPayload}", nameof(payload));
        var s = Slot(slot);
        payload.CopyTo(new Span<byte>(s + SmtLayout.PayloadOffset, SmtLayout.MaxPayload));
        Unsafe.AsRef<uint>(s + SmtLayout.LengthOffset) = 4 + (uint)payload.Length;
        Unsafe.AsRef<uint>(s + SmtLayout.HeaderOffset) = header;
        Unsafe.AsRef<uint>(s + SmtLayout.FlagsOffset) = flags;
    }

    /// <summary>
    /// Copies one message out after the caller's <see cref="ReadStatus"/>: header, flags and up to
    /// <paramref name="payload"/>.Length bytes. A length word under 4 means no payload; one past the
    /// slot is cut at <see cref="SmtLayout.MaxPayload"/> (Linux truncates the same way).
    /// Returns the payload bytes copied.
    /// </summary>
    public int ReadMessage(int slot, Span<byte> payload, out uint header, out uint flags)
    {
        var s = Slot(slot);
        var length = Unsafe.AsRef<uint>(s + SmtLayout.LengthOffset);
        header = Unsafe.AsRef<uint>(s + SmtLayout.HeaderOffset);
        flags = Unsafe.AsRef<uint>(s + SmtLayout.FlagsOffset);
        var n = length <= 4 ? 0 : (int)Math.Min(length - 4, (uint)SmtLayout.MaxPayload);
        n = Math.Min(n, payload.Length);
        new ReadOnlySpan<byte>(s + SmtLayout.PayloadOffset, n).CopyTo(payload);
        return n;
    }

    /// <summary>The raw bytes of one slot, for diagnostics and tests (valid until <see cref="Dispose"/>).</summary>
    public Span<byte> SlotBytes(int slot) => new(Slot(slot), SmtLayout.SlotSize);

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
