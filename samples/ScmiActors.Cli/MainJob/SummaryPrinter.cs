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
        // Redirected output (CI, a file) has no terminal width: 120 columns, wide enough for the tables.
        if (Console.IsOutputRedirected || output != Console.Out) console.Profile.Width = 120;

        if (result.Interrupted) console.WriteLine("Run interrupted by a signal: the counts below cover the run up to the ordered stop.");
        foreach (var p in result.Platforms)
        {
            var title = (p.NeverUp is null ? $"Platform {p.PlatformId}" : $"Platform {p.PlatformId}: FAILED, never came up") + (p.Link is null ? "" : $" ({p.Link.Kind})");
            var table = new Table().Title(Markup.Escape(title)).Border(TableBorder.Rounded);
            // Two-line headers keep the table within 120 columns.
            foreach (var column in new[] { "protocol", "received", "queued", "dropped", "rejected", "mal-\nformed", "decoded", "deli-\nvered",
                         "un-\nmatched", "dis-\ncarded", "after\nstop", p.Link is null ? "emulator\nsent" : "link\nread" })
                table.AddColumn(new TableColumn(column).RightAligned().Padding(new Padding(1, 0, 0, 0)));
            foreach (var s in p.Dispatcher.Protocols)
            {
                var sent = p.Emulator.For(s.Protocol);
                table.AddRow(MainJobRunner.ProtocolName(s.Protocol), $"{s.Received}", $"{s.Queued}", $"{s.Dropped}", $"{s.Rejected}",
                    $"{s.Malformed}", $"{s.Decoded}", $"{s.Delivered}", $"{s.Unmatched}", $"{s.Discarded}", $"{sent.NotRunning}", $"{sent.Sent}");
            }
            var d = p.Dispatcher;
            var e = p.Emulator;
            var gate = $"gate saw {MainJobResult.NotificationsReceived(d)} " +
                       $"({d.NotRunning + d.Protocols.Sum(x => x.RejectedNotRunning)} after closing, {d.UnknownProtocol} unknown protocol) + {e.Detached} after detach" +
                       (MainJobResult.InFlightAtStop(d, e) is 1 ? " + 1 refused by the closed gate after its final count" : "");
            table.Caption(p.Link switch
            {
                null => $"emulator posted {e.Sent} = {gate}\n" +
                        $"after stop: posts answered NotRunning (gate closed or handle detached); the gate also saw {d.NotANotification} responses",
                { Platform: { } w } =>
                    $"platform wrote {w.Tried} = {w.Sent} sent + {w.LostAtSlot} lost at the busy P2A slot + {w.TooLarge} too large for a slot" +
                    $"{Platform.PlatformRunner.QueueText(w.LostInQueue, w.LeftInQueue)}\n" +
                    $"sent {w.Sent} = link read {e.Sent} + {w.LeftInSlot} left in the slot at the end; link read {e.Sent} = {gate}\n" +
                    $"after stop: read from the link when the gate had closed or the handle detached; the gate also saw {d.NotANotification} responses",
                { Unknown: var unknown } =>
                    $"platform side unknown ({unknown})\nlink read {e.Sent} = {gate}\n" +
                    $"after stop: read from the link when the gate had closed or the handle detached; the gate also saw {d.NotANotification} responses",
            });
            console.Write(table);
            if (p.NeverUp is { } why) console.WriteLine($"  NEVER CAME UP: {why}");
            foreach (var m in p.Mismatches) console.WriteLine($"  MISMATCH {m}");
        }

        var subscribers = new Table().Title("Subscribers").Border(TableBorder.Rounded);
        foreach (var column in new[] { "subscriber", "reports", "active", "failed", "stopped told", "notes" }) subscribers.AddColumn(column);
        foreach (var s in result.Subscribers)
            subscribers.AddRow(Markup.Escape(s.Name), $"{s.Reports}", $"{s.ActiveSubscriptions}", $"{s.FailedSubscriptions}",
                s.PlatformStopped ? "yes" : "no", Markup.Escape(string.Join("; ", s.Notes)));
        console.Write(subscribers);

        if (result.PlatformProcess is { } process) console.WriteLine(process);
        var across = result.Platforms.Where(p => p.Link?.Platform is not null).Select(p => (Side: p.Link!.Platform!, Read: p.Emulator)).ToList();
        if (across.Count > 0)
        {
            // Two lines, each within 120 columns: a wrapped line would split the figures a script looks for.
            console.WriteLine($"Across the link: {across.Count} platform(s) wrote {across.Sum(x => x.Side.Tried)} notifications = " +
                              $"{across.Sum(x => x.Read.Sent)} read by the agent's end + {across.Sum(x => x.Side.LostAtSlot)} lost at the busy P2A slot");
            console.WriteLine($"  + {across.Sum(x => x.Side.TooLarge)} too large for a slot + {across.Sum(x => x.Side.LeftInSlot)} left in the slot at the end" +
                              $"{Platform.PlatformRunner.QueueText(across.Sum(x => x.Side.LostInQueue), across.Sum(x => x.Side.LeftInQueue))}.");
        }

        var l = result.Latency;
        double Us(double percentile) => l.TotalCount == 0 ? 0 : l.GetValueAtPercentile(percentile) / 1000.0;
        console.WriteLine($"Ingest-to-delivery latency over {l.TotalCount} reports: p50 {Us(50):F1} us, p90 {Us(90):F1} us, p99 {Us(99):F1} us, p99.9 {Us(99.9):F1} us, max {(l.TotalCount == 0 ? 0 : l.GetValueAtPercentile(100) / 1000.0):F1} us");
        console.WriteLine(result.Shutdown is { } s2
            ? $"Graceful {s2.State} request: served in {s2.TookMs:F0} ms of its {s2.TimeoutMs} ms timeout ({(s2.WithinTimeout ? "in time" : "TOO LATE")})"
            : "No graceful shutdown request was served.");
        console.WriteLine(result.Consistent
            ? "Accounting: adds up (received = queued + dropped + rejected, queued = decoded + malformed + discarded, posts match)."
            : "Accounting: DOES NOT add up.");
        if (result.Consistent && result.Platforms.Any(p => p.Link is not null))
            console.WriteLine(result.Platforms.All(p => p.Link?.Platform is not null)
                ? "Across the link: adds up (written = read by the agent's end + lost at the busy P2A slot + too large + left in the slot)."
                : "Across the link: the platform side is unknown for some platforms (see above); checked from the agent's end only.");
        var neverUp = result.NeverUp.Select(p => p.PlatformId).ToList();
        if (neverUp.Count > 0) console.WriteLine($"Platforms that never came up: {string.Join(", ", neverUp)}.");
    }
}
