using System.Runtime.InteropServices;

namespace ScmiActors.Transport.Raw;

/// <summary>
/// The few libc calls raw mode needs. .NET streams cannot be used: a blocking read on a debugfs
/// queue cannot be interrupted, and the files are non-seekable, so the readers open with
/// O_NONBLOCK and wait in poll with a timeout. Constants are Linux's (identical on x86-64 and arm64).
/// </summary>
internal static unsafe partial class LibC
{
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>For the tests' fake debugfs: its queue files are named pipes.</summary>
    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    /// <summary>For the tests' fake debugfs: bytes waiting in a pipe (FIONREAD, 0x541B on x86-64 and arm64).</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoctlFionread(int fd, nuint request, out int available);

    public const nuint FIONREAD = 0x541B;

    public static nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer) return Read(fd, p, buffer.Length);
    }

    public static nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer) return Write(fd, p, buffer.Length);
    }

    /// <summary>Waits for <paramref name="events"/> on one fd; returns poll's result and the reported events.</summary>
    public static int Poll(int fd, short events, int timeoutMs, out short revents)
    {
        var pollFd = new PollFd { Fd = fd, Events = events };
        var result = Poll(&pollFd, 1, timeoutMs);
        revents = pollFd.Revents;
        return result;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>"EAGAIN (Resource temporarily unavailable)": the symbolic name a user can look up, and the text.</summary>
    public static string Describe(int errno) => $"{NameOf(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";

    private static string NameOf(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 4 => "EINTR", 5 => "EIO", 6 => "ENXIO", 9 => "EBADF", 11 => "EAGAIN",
        12 => "ENOMEM", 13 => "EACCES", 16 => "EBUSY", 19 => "ENODEV", 22 => "EINVAL", 28 => "ENOSPC",
        32 => "EPIPE", 34 => "ERANGE", 110 => "ETIMEDOUT",
        _ => $"errno {errno}",
    };
}
