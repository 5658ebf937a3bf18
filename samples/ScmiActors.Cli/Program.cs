using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Microsoft.Win32.SafeHandles;
using ScmiActors.Cli.Decode;
using ScmiActors.Cli.Node;
using ScmiActors.Cli.Platform;

namespace ScmiActors.Cli;

/// <summary>
/// <c>scmi-actors</c>: the root command and its subcommands. Subcommands live in their own folders
/// (Decode/…) and only register here.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var decode = args is [DecodeCommand.Name, ..];
        // First thing, so a signal in the first half second (JIT, parsing, cluster start) already
        // starts the ordered stop. decode has nothing to stop in order: the default termination fits it.
        using var signals = decode ? null : new ShutdownSignals(Console.Error);
        // Console.Out swallows EPIPE; decode must notice a closed output pipe (exit 1, as its help says).
        var output = decode ? StrictStandardOutput() : Console.Out;
        try
        {
            return Run(args, Console.In, output, Console.Error, signals?.Token ?? CancellationToken.None,
                signals is null ? null : () => signals.ExitCode, signals is null ? null : () => signals.IgnoreSigint = true);
        }
        finally
        {
            if (decode) FlushQuietly(output);
        }
    }

    /// <summary>Parses and runs a command line; exit code 2 for a command line that does not parse.</summary>
    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error,
        CancellationToken cancellation = default, Func<int>? interruptedExitCode = null, Action? ignoreSigint = null)
    {
        var parseResult = BuildRootCommand(input, output, error, interruptedExitCode, ignoreSigint).Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            // One line per mistake, nothing else: what is wrong, and where to look.
            foreach (var parseError in parseResult.Errors) error.WriteLine($"scmi-actors: {parseError.Message} (see --help)");
            error.Flush();
            return ExitCodes.Usage;
        }
        try
        {
            // Signals are the host's (Main): no 2 s cut-off of a cancelled command, no stack traces.
            return parseResult.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                ProcessTerminationTimeout = null,
                EnableDefaultExceptionHandler = false,
            }, cancellation).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            error.WriteLine($"scmi-actors: internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            error.Flush();
            return ExitCodes.InternalError;
        }
    }

    public static RootCommand BuildRootCommand(TextReader input, TextWriter output, TextWriter error, Func<int>? interruptedExitCode = null,
        Action? ignoreSigint = null)
    {
        var root = new RootCommand("scmi-actors: SCMI notification dispatcher on Akka.NET, and tools");
        var decode = DecodeCommand.Create(input, output, error);
        root.Add(decode);
        var platform = PlatformCommand.Create(output, error, interruptedExitCode, ignoreSigint);
        root.Add(platform);
        var node = NodeCommand.Create(output, error, interruptedExitCode);
        root.Add(node);
        var chaos = Chaos.ChaosCommand.Create(output, error, interruptedExitCode);
        root.Add(chaos);

        // Subcommands may add a longer text after their standard help (decode: formats, exit codes).
        var helpOption = root.Options.OfType<HelpOption>().Single();
        var help = new HelpWithDetails((SynchronousCommandLineAction)helpOption.Action!);
        help.Add(decode, DecodeCommand.HelpDetails);
        help.Add(platform, PlatformCommand.HelpDetails);
        help.Add(node, NodeCommand.HelpDetails);
        help.Add(chaos, Chaos.ChaosCommand.HelpDetails);
        // `run` is the main job by name (scmi-actors run --raw DIR reads better than a bare option).
        var run = new Command("run", "Run the main job (the same as giving no subcommand)");
        root.Add(run);
        help.Add(root, MainJob.MainJobCommand.HelpDetails);
        help.Add(run, MainJob.MainJobCommand.HelpDetails);
        helpOption.Action = help;

        // Default action (no subcommand): the main job on the embedded default.
        MainJob.MainJobCommand.Configure(root, output, error, interruptedExitCode);
        MainJob.MainJobCommand.Configure(run, output, error, interruptedExitCode);
        return root;
    }

    /// <summary>Standard output as a plain stream: a write to a closed pipe throws (EPIPE) instead of vanishing.</summary>
    private static TextWriter StrictStandardOutput() =>
        new StreamWriter(new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 1),
            new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = false };

    private static void FlushQuietly(TextWriter output)
    {
        try
        {
            output.Flush();
        }
        catch (IOException)
        {
            // The reader is gone; decode already reported it.
        }
    }
}

/// <summary>The standard help, followed by a command's own details text when it has one.</summary>
internal sealed class HelpWithDetails(SynchronousCommandLineAction standard) : SynchronousCommandLineAction
{
    private readonly Dictionary<Command, string> _details = [];

    public void Add(Command command, string details) => _details[command] = details;

    public override int Invoke(ParseResult parseResult)
    {
        var exitCode = standard.Invoke(parseResult);
        if (_details.TryGetValue(parseResult.CommandResult.Command, out var details))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(details);
            output.Flush();
        }
        return exitCode;
    }
}
