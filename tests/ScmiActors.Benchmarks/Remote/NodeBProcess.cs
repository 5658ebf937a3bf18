using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;

namespace ScmiActors.Benchmarks.Remote;

/// <summary>Node B failed: it exited, stopped answering, or answered with an error. The message is one line.</summary>
public sealed class NodeBException(string message) : Exception(message);

/// <summary>
/// Node A's side of node B, the child process (this executable's hidden <c>remote-subscriber</c>
/// mode, <see cref="SubscriberNode"/>). The control plane is text lines on B's stdin and stdout,
/// never Akka messages, so it stays out of the measured path: a command line in, one reply line
/// out (B marks its replies with <see cref="SubscriberNode.ReplyMark"/>; anything else it prints, such
/// as Akka's own log lines, is passed on to this process's stderr). Every wait is bounded. B ends
/// when its stdin closes, so it cannot outlive this process even if this one is killed;
/// <see cref="DisposeAsync"/> asks it to leave the cluster in order and then kills it by its pid if it
/// is still there.
/// </summary>
public sealed class NodeBProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _replies = Channel.CreateUnbounded<string>();
    private readonly Task _stdout;
    private readonly Task _stderr;

    private NodeBProcess(Process process)
    {
        _process = process;
        _stdout = Task.Run(async () =>
        {
            try
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith(SubscriberNode.ReplyMark, StringComparison.Ordinal)) _replies.Writer.TryWrite(line[SubscriberNode.ReplyMark.Length..]);
                    else Console.Error.WriteLine($"[node B] {line}");
                }
            }
            catch (Exception)
            {
                // The pipe broke: B is gone, which the end of the replies says.
            }
            _replies.Writer.TryComplete();
        });
        _stderr = Task.Run(async () =>
        {
            try
            {
                while (await process.StandardError.ReadLineAsync() is { } line) Console.Error.WriteLine($"[node B] {line}");
            }
            catch (Exception)
            {
                // As above.
            }
        });
    }

    public int Pid => _process.Id;

    /// <summary>B's cluster address, once it said it is Up.</summary>
    public Address Address { get; private set; } = Address.AllSystems;

    /// <summary>Starts node B, joining <paramref name="seed"/>, and waits until it is Up (bounded by <paramref name="timeout"/>).</summary>
    public static async Task<NodeBProcess> StartAsync(Address seed, string extraHocon, TimeSpan timeout)
    {
        var self = Environment.ProcessPath ?? throw new NodeBException("cannot tell this process's executable");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // `dotnet ScmiActors.Benchmarks.dll ...`: the same runtime host, with this assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(NodeBProcess).Assembly.Location);
        start.ArgumentList.Add(SubscriberNode.Command);
        start.ArgumentList.Add("--seed");
        start.ArgumentList.Add(seed.ToString());
        if (extraHocon.Length > 0)
        {
            start.ArgumentList.Add("--akka");
            start.ArgumentList.Add(extraHocon);
        }
        var process = Process.Start(start) ?? throw new NodeBException($"could not start {self}");
        var node = new NodeBProcess(process);
        try
        {
            var ready = await node.ReadReplyAsync(timeout, "to come Up");
            var words = ready.Split(' ');
            if (words is not ["ready", var address]) throw new NodeBException($"node B said '{ready}' instead of ready");
            node.Address = Address.Parse(address);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one command line and returns B's reply (without its "ok"), bounded by <paramref name="timeout"/>.</summary>
    public async Task<string> CommandAsync(string command, TimeSpan timeout)
    {
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            throw Exited($"before '{command}'");
        }
        var reply = await ReadReplyAsync(timeout, $"to '{command}'");
        if (reply.StartsWith("error", StringComparison.Ordinal)) throw new NodeBException($"node B: '{command}': {reply}");
        return reply;
    }

    private async Task<string> ReadReplyAsync(TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _replies.Reader.ReadAsync(cancel.Token);
        }
        catch (ChannelClosedException)
        {
            throw Exited($"while waiting for its answer {what}");
        }
        catch (OperationCanceledException)
        {
            throw new NodeBException($"node B (pid {_process.Id}) did not answer {what} within {timeout.TotalSeconds:0.#} s");
        }
    }

    private NodeBException Exited(string when)
    {
        // Its stdout has ended; the exit code follows at once.
        _process.WaitForExit(2000);
        var code = _process.HasExited ? _process.ExitCode.ToString() : "unknown";
        return new NodeBException($"node B (pid {_process.Id}) exited (code {code}) {when}");
    }

    private int _disposed;

    /// <summary>Asks B to leave the cluster and exit; after 20 s, or if that fails, kills it by its pid.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await _process.StandardInput.WriteLineAsync(SubscriberNode.Quit);
                    // Closing stdin is the other way B knows to stop.
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // Gone already.
                }
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine($"remote: node B (pid {_process.Id}) did not exit within 20 s; killing it");
                }
            }
        }
        finally
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // It exited meanwhile.
            }
            await Task.WhenAny(Task.WhenAll(_stdout, _stderr), Task.Delay(TimeSpan.FromSeconds(2)));
            _process.Dispose();
        }
    }
}
