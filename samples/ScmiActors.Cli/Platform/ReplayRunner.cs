using System.Diagnostics;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator.Replay;

namespace ScmiActors.Cli.Platform;

/// <summary>
/// <c>platform --replay FILE [--speed recorded|full] --link PATH</c>: serves a recording (<c>run --record</c>)
/// or a firmware transcript (JSON lines) as a platform on one SMT link with <see cref="SmtReplayHost"/>,
/// until its agent is gone, a signal, or --duration; then prints what it answered and played. A bad file is
/// one line (<c>file:line: reason</c>) and exit code 3, as a bad configuration.
/// </summary>
public sealed class ReplayRunner(PlatformProcessOptions options, TextWriter output, TextWriter error)
{
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var file = options.Replay!;
        ReplayScript script;
        try
        {
            script = ReplayScript.Build(ReplayRecording.Load(file));
        }
        catch (ReplayFormatException e)
        {
            return Fail(ExitCodes.ConfigError, e.Message);
        }
        var link = Path.GetFullPath(options.Link);
        if (PlatformRunner.CheckLink(options.Link) is { } linkError) return Fail(ExitCodes.Usage, $"--link: {linkError}");

        SmtReplayHost host;
        try
        {
            host = SmtReplayHost.Create(PlatformRunner.AreaPath(link), PlatformRunner.SocketPath(link), script,
                new ReplayOptions { Speed = options.Speed });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.Usage, $"--link: {e.Message.ReplaceLineEndings(" ")}");
        }

        var clock = Stopwatch.StartNew();
        string ended;
        await using (host)
        {
            output.WriteLine($"Replay of {file}: {script.Commands.Count} recorded commands, {script.Notifications.Count} notifications;" +
                             $" waiting for an agent on {PlatformRunner.SocketPath(link)} (area {PlatformRunner.AreaPath(link)}).");
            output.Flush();
            using var durationCts = options.Duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, durationCts.Token);
            try
            {
                await host.AcceptAsync(stop.Token);
                output.WriteLine($"Agent linked: replaying at {(options.Speed == ReplaySpeed.Full ? "full" : "recorded")} speed.");
                output.Flush();
                await host.AgentGone.WaitAsync(stop.Token);
                ended = "the agent is gone";
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                ended = cancellation.IsCancellationRequested ? "interrupted by a signal" : $"--duration {MainJobRunner.Format(options.Duration!.Value)} reached";
            }
        }

        var s = host.Stats;
        output.WriteLine($"Replay stopped after {MainJobRunner.Format(clock.Elapsed)}: {ended}.");
        output.WriteLine($"Commands: {s.CommandsReceived} received = {s.CommandsAnswered} answered from the recording + {s.CommandsUnmatched} unmatched (NOT_SUPPORTED).");
        output.WriteLine($"Notifications: {s.NotificationsSent} sent, {s.NotificationsLost} lost, {s.NotificationsLeft} not played" +
                         $" (waiting for their subscription); {s.AnchorsGivenUp} subscription(s) never sent and given up.");
        output.Flush();
        if (host.PlayerFault is { } fault)
            return Fail(ExitCodes.InternalError, $"internal error: the replay player failed: {fault.GetType().Name}: {fault.Message.ReplaceLineEndings(" ")}");
        return cancellation.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    private int Fail(int exitCode, string message)
    {
        error.WriteLine($"scmi-actors: platform: {message}");
        error.Flush();
        return exitCode;
    }
}
