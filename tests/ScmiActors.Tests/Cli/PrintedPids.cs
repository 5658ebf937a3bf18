using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// The harnesses (<c>chaos</c>, <c>chaos --soak</c>) end their children themselves and print every child's pid; a test
/// kills each printed pid as well, so nothing is left running when the harness itself fails or hangs.
/// </summary>
public static partial class PrintedPids
{
    public static void KillAll(string output)
    {
        foreach (Match m in Pid().Matches(output))
        {
            try
            {
                using var process = Process.GetProcessById(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone, as it should be.
            }
        }
    }

    [GeneratedRegex(@"\(pid (\d+)\)")]
    private static partial Regex Pid();
}
