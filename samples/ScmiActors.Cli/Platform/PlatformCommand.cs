using System.CommandLine;
using ScmiActors.Cli.MainJob;

namespace ScmiActors.Cli.Platform;

/// <summary>
/// <c>scmi-actors platform --link PATH [--config FILE] [--platform-id ID] [--fault MODE]... [--rate X]
/// [--duration D]</c>: the emulated platform as its own process on an SMT link (TRANSPORTS.md §1). It
/// creates the area <c>PATH.smt</c> and the doorbell socket <c>PATH.sock</c>, waits for one agent,
/// answers its commands and sends the scenario's notifications until the agent is gone, a signal, or
/// --duration; then it removes both files and prints what it sent and what the busy P2A slot cost.
/// </summary>
public static class PlatformCommand
{
    public const string Name = "platform";

    public const string Summary = "Run one emulated platform as its own process on an SMT link (PATH.smt + PATH.sock) for one agent";

    /// <summary>Printed after the standard help of <c>platform --help</c>.</summary>
    public const string HelpDetails = """
        The link: the area file PATH.smt (2 slots of 128 bytes: 0 = A2P, 1 = P2A) and the doorbell
        socket PATH.sock, both created here and removed on exit. One agent per link; e.g.
        --link /dev/shm/soc0 gives /dev/shm/soc0.smt and /dev/shm/soc0.sock.
        It ends when the agent is gone (end of file on the socket), on SIGINT/SIGTERM, or after
        --duration (counted from start, waiting for the agent included), and prints a summary:
          Notifications: T tried = S sent + L lost at the busy P2A slot + X too large for a slot
        (lost ones are not retried, as firmware does not retry).

        Exit codes: 0 ran and stopped (agent gone or --duration); 2 bad command line, a --link whose
        directory does not exist or whose files already exist (another platform, or a stale one to
        remove), or an unknown --platform-id; 3 configuration error; 70 internal error;
        130/143 stopped by SIGINT/SIGTERM (the summary is printed, as for the main job).
        """;

    public static Command Create(TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null)
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

        var command = new Command(Name, Summary) { link, config, platformId, rate, duration, fault };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new PlatformProcessOptions(parse.GetValue(link)!, parse.GetValue(config), parse.GetValue(platformId),
                parse.GetValue(rate), parse.GetValue(duration), MainJobCommand.ParseFaults(parse.GetValue(fault) ?? []));
            var exitCode = await new PlatformRunner(options, output, error, interruptedExitCode).RunAsync(cancellation);
            return exitCode == ExitCodes.Interrupted && interruptedExitCode is not null ? interruptedExitCode() : exitCode;
        });
        return command;
    }
}
