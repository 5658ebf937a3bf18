using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The built <c>scmi-actors</c> binary run as a child process, as a user runs it: output captured,
/// every wait bounded, and the child killed by its own id on dispose, pass or fail.
/// </summary>
internal sealed class CliProcess : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Binary => Path.Combine(RepoPaths.Root, "samples", "ScmiActors.Cli", "bin", Configuration, "net10.0", "scmi-actors");

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public static CliProcess Start(params string[] args) => Start(redirectInput: false, readOutput: true, args);

    /// <summary>Starts with these variables added to (or, with a null value, removed from) the child's environment.</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        Start(redirectInput: false, readOutput: true, args, environment);

    /// <param name="readOutput">False: standard output is left to the test (<see cref="Process"/>.StandardOutput).</param>
    public static CliProcess Start(bool redirectInput, bool readOutput, params string[] args) => Start(redirectInput, readOutput, args, null);

    private static CliProcess Start(bool redirectInput, bool readOutput, string[] args, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        var process = new Process { StartInfo = info };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._output, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._error, e.Data);
        process.Start();
        if (readOutput) process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Starts, waits for the exit (bounded), and returns exit code and both outputs.</summary>
    public static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, params string[] args)
    {
        using var cli = Start(args);
        cli.WaitForExit(timeout);
        return (cli.ExitCode, cli.Output, cli.Error);
    }

    public Process Process => _process;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_error) return _error.ToString();
        }
    }

    /// <summary>Waits for the exit and the end of both outputs; throws (and the dispose kills) when it takes longer.</summary>
    public void WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            throw new TimeoutException($"scmi-actors did not exit within {timeout}; output so far:\n{Output}\n{Error}");
        _process.WaitForExit(); // drains the asynchronous readers
    }

    /// <summary>
    /// Waits until standard output has a line containing <paramref name="text"/>; false when the process exits
    /// without printing it or time runs out. An exit is judged on the whole output: the process has exited
    /// before the asynchronous readers have read its last lines (on a loaded machine, seconds before, when
    /// the thread pool they run on is busy), so its end of stream is awaited before the last look.
    /// </summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited)
            {
                using var rest = new CancellationTokenSource(Remaining(deadline));
                try
                {
                    await _process.WaitForExitAsync(rest.Token); // after the exit: returns at the end of both outputs
                }
                catch (OperationCanceledException)
                {
                    // Something else holds the pipe open (a grandchild): judge on what has been read.
                }
                return Output.Contains(text, StringComparison.Ordinal);
            }
            await Task.Delay(10);
        }
        return false;
    }

    private static TimeSpan Remaining(DateTime deadline) => deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    /// <summary>Sends a signal to the child, by its id, as a shell's Ctrl+C or kill does.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Append(StringBuilder to, string? line)
    {
        if (line is null) return;
        lock (to) to.AppendLine(line);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        _process.Dispose();
    }
}
