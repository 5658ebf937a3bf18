using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using ScmiActors.Cli.Decode;

namespace ScmiActors.Cli;

/// <summary>
/// <c>scmi-actors</c>: the root command and its subcommands. Subcommands live in their own folders
/// (Decode/…) and only register here.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.In, Console.Out, Console.Error);

    /// <summary>Parses and runs a command line; exit code 2 for a command line that does not parse.</summary>
    public static int Run(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        var parseResult = BuildRootCommand(input, output, error).Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var parseError in parseResult.Errors) error.WriteLine(parseError.Message);
            error.WriteLine("Run 'scmi-actors --help' for usage.");
            error.Flush();
            return ExitCodes.Usage;
        }
        return parseResult.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    public static RootCommand BuildRootCommand(TextReader input, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("scmi-actors: SCMI notification dispatcher on Akka.NET, and tools");
        var decode = DecodeCommand.Create(input, output, error);
        root.Add(decode);

        // Subcommands may add a longer text after their standard help (decode: formats, exit codes).
        var helpOption = root.Options.OfType<HelpOption>().Single();
        var help = new HelpWithDetails((SynchronousCommandLineAction)helpOption.Action!);
        help.Add(decode, DecodeCommand.HelpDetails);
        helpOption.Action = help;

        // Default action (no subcommand): the main job on the embedded default.
        MainJob.MainJobCommand.Configure(root, output, error);
        return root;
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
