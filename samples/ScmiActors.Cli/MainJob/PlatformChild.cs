using System.Diagnostics;
using System.Reflection;
using ScmiActors.Cli.Platform;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The main job's platform process: this same executable run as <c>scmi-actors platform --platforms N
/// --ignore-sigint ...</c>, its output kept (not shown: the main job's summary speaks for it). Every
/// wait is bounded; whoever owns it ends it by its own process id if it outlives its links.
/// </summary>
internal sealed class PlatformChild : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _error = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PlatformChild(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the child; throws <see cref="System.ComponentModel.Win32Exception"/> when the executable cannot be run.</summary>
    public static PlatformChild Start(IEnumerable<string> platformArgs)
    {
        // `dotnet scmi-actors.dll` runs under the muxer: the child then needs the assembly as its first argument.
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never read: the terminal's input stays the main job's
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(path) == "dotnet") info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        info.ArgumentList.Add(PlatformCommand.Name);
        foreach (var arg in platformArgs) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var child = new PlatformChild(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._output) child._output.Add(e.Data);
            if (e.Data.Contains(PlatformRunner.AllWaitingLine, StringComparison.Ordinal)) child._ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._error) child._error.Add(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Null once every platform listens; otherwise why they never will (the child ended, or the bound passed).</summary>
    public async Task<string?> WaitReadyAsync(TimeSpan bound, CancellationToken cancellation)
    {
        var exited = _process.WaitForExitAsync(cancellation);
        var done = await Task.WhenAny(_ready.Task, exited, Task.Delay(bound, cancellation));
        if (done == _ready.Task) return null;
        cancellation.ThrowIfCancellationRequested();
        return done == exited
            ? $"the platform process ended before its platforms listened ({ExitDescription()}){LastError()}"
            : $"the platform process did not listen within {MainJobRunner.Format(bound)}{LastError()}";
    }

    /// <summary>Waits for the child to exit (its links closed); kills it by its own id when it does not within <paramref name="bound"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    /// <summary>"exit code 0", or "killed by signal 9" (the runtime reports a signal as 128 + its number).</summary>
    public string ExitDescription()
    {
        if (!_process.HasExited) return "still running";
        var code = _process.ExitCode;
        return code > 128 && code is not (ExitCodes.Interrupted or ExitCodes.Terminated) ? $"killed by signal {code - 128}"
            : code == ExitCodes.Interrupted ? "stopped by SIGINT"
            : code == ExitCodes.Terminated ? "stopped by SIGTERM"
            : $"exit code {code}";
    }

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    private string LastError()
    {
        lock (_error) return _error.Count == 0 ? "" : $": {_error[^1]}";
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
