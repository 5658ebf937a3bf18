using System.Runtime.InteropServices;

namespace ScmiActors.Cli;

/// <summary>
/// SIGINT and SIGTERM for the main job: the first one cancels <see cref="Token"/> (the job then
/// stops in order and prints its summary) and arms a deadline after which the process exits
/// anyway; a second one exits at once. Registered at the top of Main, so no signal is lost to
/// start-up, and instead of the runtime's default (terminate) and System.CommandLine's (cut after 2 s).
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    /// <summary>How long the ordered stop and the summary may take after the first signal.</summary>
    public static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _cts = new();
    private readonly TextWriter _error;
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;
    private Timer? _deadline;

    public ShutdownSignals(TextWriter error)
    {
        _error = error;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>
    /// SIGINT is let pass (the platform process under a main job: Ctrl+C reaches the whole process
    /// group, and the parent ends it by closing its links after its own ordered stop).
    /// </summary>
    public bool IgnoreSigint { get; set; }

    /// <summary>130 after SIGINT, 143 after SIGTERM (128 + the signal number), as a shell reports a killed process.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Interrupted;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // ours to handle: no default termination
        if (IgnoreSigint && context.Signal == PosixSignal.SIGINT) return;
        var code = context.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
        if (Interlocked.Increment(ref _signals) > 1)
        {
            _error.WriteLine($"scmi-actors: {context.Signal} again: exiting at once, without the summary.");
            _error.Flush();
            Environment.Exit(ExitCode);
        }
        ExitCode = code;
        _error.WriteLine($"scmi-actors: {context.Signal}: stopping in order (send it again to exit at once).");
        _error.Flush();
        _deadline = new Timer(_ =>
        {
            _error.WriteLine($"scmi-actors: the ordered stop did not finish within {StopDeadline.TotalSeconds:0} s: exiting.");
            _error.Flush();
            Environment.Exit(ExitCode);
        }, null, StopDeadline, Timeout.InfiniteTimeSpan);
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _deadline?.Dispose();
        _cts.Dispose();
    }
}
