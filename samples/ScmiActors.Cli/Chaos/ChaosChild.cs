using System.Diagnostics;

namespace ScmiActors.Cli.Chaos;

/// <summary>
/// A child process of the chaos harness: this same program with other arguments (a node or the platform).
/// Every output line gets a number in the harness's arrival order (shared by all children, so the ledger can
/// order lines of different processes without clocks) and goes to the child's log file. Ended by its own id.
/// </summary>
public sealed class ChaosChild : IDisposable
{
    private static long _arrivals;
    private readonly Process _process;
    private readonly List<(long Seq, string Line)> _lines = [];
    private readonly StreamWriter _log;

    private ChaosChild(string name, IReadOnlyList<string> args, string logPath, Action<string>? echo)
    {
        Name = name;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var (file, prefix) = Self();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Concat(args)) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        void OnLine(string? line, bool isError)
        {
            if (line is null) return;
            lock (_lines)
            {
                if (!isError) _lines.Add((Interlocked.Increment(ref _arrivals), line));
                _log.WriteLine(isError ? "stderr: " + line : line);
            }
            echo?.Invoke($"[{Name}] {line}");
        }
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, false);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, true);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = _process.Id;
    }

    public string Name { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChaosChild Start(string name, IReadOnlyList<string> args, string logPath, Action<string>? echo) => new(name, args, logPath, echo);

    /// <summary>The next arrival number: lines that arrive after this call have larger ones.</summary>
    public static long Now => Interlocked.Read(ref _arrivals) + 1;

    /// <summary>The lines so far, with their arrival numbers.</summary>
    public IReadOnlyList<(long Seq, string Line)> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    /// <summary>The first line at or after <paramref name="since"/> that <paramref name="match"/> accepts, or null.</summary>
    public (long Seq, string Line)? Find(Func<string, bool> match, long since = 0)
    {
        lock (_lines)
            foreach (var l in _lines)
                if (l.Seq >= since && match(l.Line)) return l;
        return null;
    }

    /// <summary>Waits (polling: output arrives on the process's reader threads) until a line matches, the child exits, or the time is up.</summary>
    public async Task<(long Seq, string Line)?> WaitForAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellation, long since = 0)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Find(match, since) is { } found) return found;
            if (_process.HasExited || deadline.Elapsed > timeout) return Find(match, since);
            await Task.Delay(50, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL: the process dies at once, without a word to anyone (its sockets close with it).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }

    public void Terminate() => Signals.Terminate(Pid);

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // the reader threads have delivered the last lines
        return true;
    }

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
        lock (_lines) _log.Dispose();
    }

    /// <summary>How to start this program again: its apphost, or <c>dotnet</c> with its assembly.</summary>
    private static (string File, string[] Prefix)
        Self()
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is not known");
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? (path, [typeof(ChaosChild).Assembly.Location])
            : (path, []);
    }

    private static class Signals
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        public static void Terminate(int pid) => kill(pid, 15);
    }
}
