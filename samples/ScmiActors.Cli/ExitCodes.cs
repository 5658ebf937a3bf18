namespace ScmiActors.Cli;

/// <summary>
/// Process exit codes of <c>scmi-actors</c> (the README's table). Each code has one meaning per
/// command, so a script can tell a broken dispatcher (1) from a typo (2) or a bad file (3).
/// </summary>
public static class ExitCodes
{
    /// <summary>The command ran (main job: the accounting adds up; <c>decode</c>: all of the input was read).</summary>
    public const int Ok = 0;

    /// <summary>Main job: the accounting does not add up, and nothing else.</summary>
    public const int AccountingMismatch = 1;

    /// <summary><c>decode</c> only: reading standard input or writing standard output failed part-way (e.g. a closed pipe).</summary>
    public const int IoFailed = 1;

    /// <summary><c>node</c> only: the cluster downed this node (split-brain resolver or an operator); it did not leave by itself.</summary>
    public const int NodeDowned = 1;

    /// <summary>A bad command line (an unknown option, a value out of its documented range); for <c>decode</c> also a bad description.</summary>
    public const int Usage = 2;

    /// <summary>Main job: the configuration file is missing, unreadable, not HOCON, or describes something invalid.</summary>
    public const int ConfigError = 3;

    /// <summary>Main job: at least one platform never came up (initialisation failed or did not finish during the run).</summary>
    public const int PlatformNotUp = 4;

    /// <summary>A bug: an exception nobody expected (one line on standard error, never a stack trace). EX_SOFTWARE of sysexits.h.</summary>
    public const int InternalError = 70;

    /// <summary>Main job: interrupted by SIGINT (128 + 2); the ordered shutdown ran and the summary was printed.</summary>
    public const int Interrupted = 130;

    /// <summary>Main job: stopped by SIGTERM (128 + 15); the ordered shutdown ran and the summary was printed.</summary>
    public const int Terminated = 143;
}
