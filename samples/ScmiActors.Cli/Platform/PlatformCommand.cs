using System.CommandLine;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Emulator.Replay;

namespace ScmiActors.Cli.Platform;

/// <summary>
/// <c>scmi-actors platform --link PATH [--config FILE] [--platform-id ID | --platforms N] [--fault MODE]...
/// [--rate X] [--duration D] [--stats-file FILE] [--shutdown-after D] [--ignore-sigint] [--agents-in-turn]</c>: emulated
/// platforms as their own process on SMT links (TRANSPORTS.md §1). One platform creates the area
/// <c>PATH.smt</c> and the doorbell socket <c>PATH.sock</c>; <c>--platforms N</c> serves N from this one
/// process, each on <c>PATH-ID.smt</c> and <c>PATH-ID.sock</c>. Each waits for its agent, answers its
/// commands and sends the scenario's notifications until that agent is gone; the process ends when all
/// are, on a signal, or at --duration, removes the files and prints what it sent and what the busy P2A
/// slot cost (and, with --stats-file, writes it as JSON for the main job to reconcile).
/// </summary>
public static class PlatformCommand
{
    public const string Name = "platform";

    public const string Summary = "Run emulated platforms as their own process on SMT links (PATH.smt + PATH.sock, or PATH-ID.* with --platforms), one agent each";

    /// <summary>Printed after the standard help of <c>platform --help</c>.</summary>
    public const string HelpDetails = """
        The link: the area file PATH.smt (2 slots of 128 bytes: 0 = A2P, 1 = P2A) and the doorbell
        socket PATH.sock, both created here and removed on exit. One agent per link; e.g.
        --link /dev/shm/soc0 gives /dev/shm/soc0.smt and /dev/shm/soc0.sock.
        --platforms N serves N platforms from this one process, with the ids and seeds of the main
        job's --platforms N (soc0, imx95, soc0-2, ...): platform ID's link is PATH-ID.smt and
        PATH-ID.sock, e.g. --link /dev/shm/p --platforms 2 gives /dev/shm/p-soc0.* and /dev/shm/p-imx95.*;
        once all listen it prints "All N platform(s) waiting for their agents.".
        Each platform ends when its agent is gone (end of file on the socket); the process ends when
        every platform has, on SIGINT/SIGTERM, or after --duration (counted from start, waiting for
        the agents included), and prints a summary per platform:
          Notifications: T tried = S sent + L lost at the busy P2A slot + X too large for a slot
        (lost ones are not retried, as firmware does not retry). --stats-file FILE also writes one
        JSON object per platform (tried, sent, lostAtSlot, tooLarge, withoutAgent, leftInSlot,
        commands, per protocol) for the main job to reconcile across the process boundary.
        --ignore-sigint: for a parent that ends the platforms by closing their links (the main job
        does): Ctrl+C at a terminal reaches the whole process group, and the platforms must outlive
        the parent's ordered stop. SIGTERM still stops it.

        A second agent that connects while one is linked is refused at once (its connection is closed
        before any doorbell; an SmtAgentTransport reports "SMT platform at PATH already serves an
        agent"), and counted in the summary. --agents-in-turn: a platform outlives its agents. When
        the agent goes, the area is reset (FREE in every slot, nothing in flight), the emulator
        forgets that agent's notification enables, and the next agent to connect is linked and
        enables what it wants (take-over by another node). Notifications made while no agent is
        linked count as posted with no agent linked. The process then ends only on SIGINT/SIGTERM or
        at --duration. Not with --replay.

        --profile scp|imx-sm makes each emulated platform behave on its link like the firmware
        recorded in shared/peers: scp: token 0, LEVEL_SET answered before its notification,
        LIMITS_SET and SENSOR_READING_GET notify first, fan-out of perf events to every domain,
        LIMITS_CHANGED with agent 0, trip point events after their disable, loss at a busy P2A slot;
        imx-sm: a token counter per channel, notifications before replies, the next notification
        only after the agent's completion doorbell, a queue of 24 words that drops the newest
        (counted: "lost in the platform queue"). Not with --fault slow-responses.

        --replay FILE serves a recording (run --record FILE) or a firmware transcript in JSON lines
        (peers/*/scenario-a.jsonl) as the platform of the one link: a command is answered with the
        response recorded for the same protocol, message id and payload (the agent's token echoed),
        else NOT_SUPPORTED; notifications are played in recorded order, each once the last
        subscription command (a NOTIFY) recorded before it has been answered, before that answer when
        recorded so; a subscription never sent is given up after 2 s without commands. --speed full
        plays each as soon as allowed, recorded keeps the recorded distances. A bad file is one line
        FILE:LINE: reason and exit code 3.

        Exit codes: 0 ran and stopped (agents gone or --duration); 1 the --stats-file could not be
        written; 2 bad command line, a --link whose directory does not exist or whose files already
        exist (another platform, or a stale one to remove), an unknown --platform-id, or
        --platform-id with --platforms, or an emulator option with --replay; 3 configuration error or
        a bad --replay file; 70 internal error;
        130/143 stopped by SIGINT/SIGTERM (the summary is printed, as for the main job).
        """;

    /// <param name="ignoreSigint">Called when --ignore-sigint is given: the host's signal handling then lets SIGINT pass.</param>
    public static Command Create(TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null, Action? ignoreSigint = null)
    {
        var link = new Option<string>("--link")
        {
            Description = "Path prefix of the link: the area is PATH.smt and the socket PATH.sock (the directory must exist)",
            HelpName = "PATH",
            Required = true,
        };
        var config = new Option<string?>("--config")
        {
            Description = "HOCON file with scmi.platforms (and scmi.emulator), as the main job reads it; default: the embedded hocon/platforms.conf",
            HelpName = "FILE",
        };
        var platformId = new Option<string?>("--platform-id")
        {
            Description = "Platform id under scmi.platforms to emulate (default: the first platform in the config)",
            HelpName = "ID",
        };
        var rate = new Option<double>("--rate")
        {
            Description = $"Multiplier of every event rate of the emulator scenario, above 0 and at most {MainJobCommand.MaxRate:G}",
            HelpName = "X",
            DefaultValueFactory = _ => 1,
            CustomParser = MainJobCommand.ParseRate,
        };
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Stop after this long (500ms, 10s, 2m; waiting for the agent included); default: until the agent is gone or a signal",
            HelpName = "D",
            CustomParser = r => MainJobCommand.ParseDuration(r),
        };
        var fault = new Option<string[]>("--fault")
        {
            Description = "Emulator fault mode(s): " + string.Join(", ", MainJobCommand.FaultNames),
            AllowMultipleArgumentsPerToken = true,
        };
        fault.Validators.Add(r =>
        {
            try
            {
                MainJobCommand.ParseFaults(r.GetValueOrDefault<string[]>() ?? []);
            }
            catch (ArgumentException e)
            {
                r.AddError(e.Message);
            }
        });

        var platforms = new Option<int?>("--platforms")
        {
            Description = $"Serve this many platforms from this process, 1..{MainJobCommand.MaxPlatforms}, as the main job's --platforms; each on PATH-ID.smt/.sock",
            HelpName = "N",
        };
        platforms.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is { } v and (< 1 or > MainJobCommand.MaxPlatforms))
                r.AddError($"--platforms: {v} is outside 1..{MainJobCommand.MaxPlatforms}; the limit is {MainJobCommand.MaxPlatforms}");
        });
        var statsFile = new Option<string?>("--stats-file")
        {
            Description = "At exit, write one JSON object per platform (what it tried, sent, lost at the busy slot, ...) to this file",
            HelpName = "FILE",
        };
        var shutdownAfter = new Option<TimeSpan?>("--shutdown-after")
        {
            Description = "Ask the agent for a graceful system shutdown this long after it linked (2 s timeout); default: the config's scenario",
            HelpName = "D",
            CustomParser = r => MainJobCommand.ParseDuration(r),
        };
        var noSigint = new Option<bool>("--ignore-sigint")
        {
            Description = "Let SIGINT pass (a parent stops the platforms by closing their links); SIGTERM still stops it",
        };

        var replay = new Option<string?>("--replay")
        {
            Description = "Serve this recording (run --record) or firmware transcript (JSON lines, e.g. peers/scp-2.14/scenario-a.jsonl) instead of an emulator",
            HelpName = "FILE",
        };
        var speed = new Option<string>("--speed")
        {
            Description = "With --replay: play notifications at full speed or at their recorded distances",
            HelpName = "recorded|full",
            DefaultValueFactory = _ => "full",
        };
        speed.AcceptOnlyFromAmong("recorded", "full");
        var profile = new Option<string>("--profile")
        {
            Description = "Behave on the link like recorded firmware (shared/peers): scp (Arm SCP-firmware 2.14) or imx-sm (NXP i.MX System Manager); none: the plain emulator",
            HelpName = string.Join("|", FirmwareProfile.Names),
            DefaultValueFactory = _ => "none",
        };
        profile.AcceptOnlyFromAmong([.. FirmwareProfile.Names]);

        var agentsInTurn = new Option<bool>("--agents-in-turn")
        {
            Description = "Outlive each agent: reset the link and forget its enables when it goes, then serve the next one; ends only on a signal or --duration",
        };

        var progressEvery = new Option<TimeSpan?>("--progress-every")
        {
            Description = "Print every platform's counts this often (100ms..1h), stamped with the machine's monotonic clock in µs: \"Progress of ID at T us: tried A, sent B, lost at the busy slot C.\"",
            HelpName = "D",
            CustomParser = r => MainJobCommand.ParseDuration(r, "--progress-every", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
        };

        var command = new Command(Name, Summary) { link, config, platformId, platforms, rate, duration, fault, statsFile, shutdownAfter, noSigint, replay, speed, profile, agentsInTurn, progressEvery };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(noSigint)) ignoreSigint?.Invoke();
            var options = new PlatformProcessOptions(parse.GetValue(link)!, parse.GetValue(config), parse.GetValue(platformId),
                parse.GetValue(rate), parse.GetValue(duration), MainJobCommand.ParseFaults(parse.GetValue(fault) ?? []),
                parse.GetValue(platforms), parse.GetValue(statsFile), parse.GetValue(shutdownAfter),
                parse.GetValue(replay), parse.GetValue(speed) == "recorded" ? ReplaySpeed.Recorded : ReplaySpeed.Full, parse.GetValue(profile)!,
                parse.GetValue(agentsInTurn), parse.GetValue(progressEvery));
            var exitCode = await new PlatformRunner(options, output, error, interruptedExitCode).RunAsync(cancellation);
            return exitCode == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : exitCode;
        });
        return command;
    }
}
