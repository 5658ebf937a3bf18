using Spectre.Console;

namespace ScmiActors.Cli.MainJob;

/// <summary>Prints the main job's summary: per-protocol counts, subscribers, latency, and the verdict.</summary>
public static class SummaryPrinter
{
    public static void Print(MainJobResult result, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // Redirected output (CI, a file) has no terminal width; do not wrap the tables at 80 columns.
        if (Console.IsOutputRedirected || output != Console.Out) console.Profile.Width = 160;

        foreach (var p in result.Platforms)
        {
            var table = new Table().Title($"Platform {Markup.Escape(p.PlatformId)}").Border(TableBorder.Rounded);
            foreach (var column in new[] { "protocol", "received", "queued", "dropped", "rejected", "malformed", "decoded", "delivered", "unmatched", "discarded", "emulator sent" })
                table.AddColumn(new TableColumn(column).RightAligned());
            foreach (var s in p.Dispatcher.Protocols)
            {
                var sent = p.Emulator.For(s.Protocol).Sent;
                table.AddRow(MainJobRunner.ProtocolName(s.Protocol), $"{s.Received}", $"{s.Queued}", $"{s.Dropped}", $"{s.Rejected}",
                    $"{s.Malformed}", $"{s.Decoded}", $"{s.Delivered}", $"{s.Unmatched}", $"{s.Discarded}", $"{sent}");
            }
            var d = p.Dispatcher;
            table.Caption($"gate: {d.UnknownProtocol} unknown protocol, {d.ReservedMessageType} reserved type, {d.NotANotification} responses, {d.NotRunning} not running; " +
                $"emulator: {p.Emulator.Sent} notifications posted");
            console.Write(table);
            foreach (var m in p.Mismatches) console.WriteLine($"  MISMATCH {m}");
        }

        var subscribers = new Table().Title("Subscribers").Border(TableBorder.Rounded);
        foreach (var column in new[] { "subscriber", "reports", "active", "failed", "stopped told", "notes" }) subscribers.AddColumn(column);
        foreach (var s in result.Subscribers)
            subscribers.AddRow(Markup.Escape(s.Name), $"{s.Reports}", $"{s.ActiveSubscriptions}", $"{s.FailedSubscriptions}",
                s.PlatformStopped ? "yes" : "no", Markup.Escape(string.Join("; ", s.Notes)));
        console.Write(subscribers);

        var l = result.Latency;
        double Us(double percentile) => l.TotalCount == 0 ? 0 : l.GetValueAtPercentile(percentile) / 1000.0;
        console.WriteLine($"Ingest-to-delivery latency over {l.TotalCount} reports: p50 {Us(50):F1} us, p90 {Us(90):F1} us, p99 {Us(99):F1} us, p99.9 {Us(99.9):F1} us, max {(l.TotalCount == 0 ? 0 : l.GetValueAtPercentile(100) / 1000.0):F1} us");
        console.WriteLine(result.Shutdown is { } s2
            ? $"Graceful {s2.State} request: served in {s2.TookMs:F0} ms of its {s2.TimeoutMs} ms timeout ({(s2.WithinTimeout ? "in time" : "TOO LATE")})"
            : "No graceful shutdown request was served.");
        console.WriteLine(result.Consistent
            ? "Accounting: adds up (received = queued + dropped + rejected; queued = decoded + malformed + discarded; emulator and dispatcher agree)."
            : "Accounting: DOES NOT add up.");
    }
}
