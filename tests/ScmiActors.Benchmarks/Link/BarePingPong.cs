using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ScmiActors.Transport.Smt;

namespace ScmiActors.Benchmarks.Link;

/// <summary>
/// The floor the SMT notification rows are judged against (issue 14: within 1.5× of it): a bare
/// ping-pong of one P2A slot between two threads of this process, over the same kind of mapping and
/// socket as the product's link and with nothing else. The area is a real file of the SMT layout made
/// by <see cref="SmtArea.Create"/> and mapped a second time by <see cref="SmtArea.Open"/> for the agent
/// (two MAP_SHARED views of one file, as the two ends have); the doorbell is a connected Unix-domain
/// SOCK_SEQPACKET pair from <see cref="SmtDoorbell.Listen"/> and a synchronous connect and accept, so
/// both sockets stay blocking, as the product's do. Only the setup uses product code. In the loop the
/// words of the slot are written here, through a span of the slot taken once, with the product's
/// ordering on channel_status (<see cref="Volatile"/> acquire loads and release stores):
/// <list type="bullet">
/// <item>platform thread (the caller): when status has FREE (acquire load; otherwise
/// <c>Thread.SpinWait(20)</c> and look again, as the SMT row's sender retries), plain stores of the
/// 12-byte payload, length 16, the header and the flags, then a release store of status 0 (busy), then
/// one <c>Send</c> of {0xD0, slot}. With flags 1 it then blocks in <c>Receive</c> for the agent's
/// {0xA0, slot} before it looks at the slot again.</item>
/// <item>agent thread: blocks in <c>Receive</c> into a 16-byte buffer as the product's doorbell thread
/// does, checks the packet is {0xD0, slot}, acquire load of status (a FREE slot is counted as spurious
/// and skipped), plain loads of length, header and flags, copies the payload out, release store of
/// FREE (the whole word 1), and with INTR_ENABLED one <c>Send</c> of {0xA0, slot}.</item>
/// </list>
/// No IScmiReceiver, no lock, no counter shared between the threads, no SmtDoorbell or transport
/// send/receive logic. The run ends when the platform, after the last message was freed, shuts its
/// socket down: the agent reads end of file.
/// </summary>
internal static class BarePingPong
{
    private const int Slot = SmtLayout.DefaultP2ASlot;

    /// <summary>Sends for <paramref name="seconds"/>; returns what the agent copied out per second and what was sent but not copied out.</summary>
    public static (double PerSecond, long Lost) Run(double seconds, uint flags, uint header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > SmtLayout.MaxPayload) throw new ArgumentException("payload larger than a slot", nameof(payload));
        // Short, as SmtBenchLink's: a Unix socket path must fit in 108 bytes.
        var directory = Path.Combine(Path.GetTempPath(), "smtb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(directory);
        SmtArea? platformArea = null, agentArea = null;
        Socket? platformSocket = null, agentSocket = null;
        try
        {
            platformArea = SmtArea.Create(Path.Combine(directory, "link.smt"));
            var socketPath = Path.Combine(directory, "link.sock");
            using (var listener = SmtDoorbell.Listen(socketPath))
            {
                agentSocket = SmtDoorbell.NewSocket();
                agentSocket.Connect(new UnixDomainSocketEndPoint(socketPath)); // completes at once on a listening Unix socket
                platformSocket = listener.Accept();
            }
            agentArea = SmtArea.Open(platformArea.Path);

            var agent = new Agent(agentArea, agentSocket, header, payload.Length);
            var thread = new Thread(agent.Run) { IsBackground = true, Name = "bare-agent" };
            thread.Start();
            var (sent, elapsed) = Platform(platformArea, platformSocket, seconds, flags, header, payload);
            if (!thread.Join(TimeSpan.FromSeconds(5))) throw new TimeoutException("the bare agent thread did not end after the platform's end of file");
            if (agent.Error is { } error) throw new InvalidOperationException($"bare ping-pong agent failed: {error.Message}", error);
            if (agent.WrongMessages > 0) throw new InvalidOperationException($"bare ping-pong: {agent.WrongMessages} messages with the wrong header or length");
            return (agent.Received / elapsed, sent - agent.Received);
        }
        finally
        {
            platformSocket?.Dispose();
            agentSocket?.Dispose();
            agentArea?.Dispose();
            platformArea?.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // a directory left in /tmp is harmless
            }
        }
    }

    /// <summary>The platform's loop, on the calling thread; returns the messages sent and the seconds it sent for.</summary>
    private static (long Sent, double Elapsed) Platform(SmtArea area, Socket socket, double seconds, uint flags, uint header, ReadOnlySpan<byte> payload)
    {
        var slot = area.SlotBytes(Slot);
        ref var status = ref Word(slot, SmtLayout.StatusOffset);
        ref var length = ref Word(slot, SmtLayout.LengthOffset);
        ref var headerWord = ref Word(slot, SmtLayout.HeaderOffset);
        ref var flagsWord = ref Word(slot, SmtLayout.FlagsOffset);
        var payloadBytes = slot.Slice(SmtLayout.PayloadOffset, SmtLayout.MaxPayload);
        var tx = new byte[] { SmtLayout.DoorbellToAgent, Slot };
        var rx = new byte[16];
        var wantsCompletion = (flags & SmtLayout.FlagIntrEnabled) != 0;

        var stopwatch = Stopwatch.StartNew();
        long sent = 0;
        while (stopwatch.Elapsed.TotalSeconds < seconds)
        {
            // Acquire load: FREE means the agent's copy out of the last message is complete.
            if ((Volatile.Read(ref status) & SmtLayout.StatusFree) == 0)
            {
                Thread.SpinWait(20);
                continue;
            }
            payload.CopyTo(payloadBytes);
            length = 4 + (uint)payload.Length;
            headerWord = header;
            flagsWord = flags;
            Volatile.Write(ref status, 0); // release store: publishes the message
            if (socket.Send(tx, SocketFlags.None) != SmtLayout.DoorbellPacketSize) throw new IOException("bare ping-pong: short doorbell send");
            sent++;
            if (!wantsCompletion) continue;
            var n = socket.Receive(rx, SocketFlags.None);
            if (n == 0) throw new IOException("bare ping-pong: the agent closed its socket");
            if (n != SmtLayout.DoorbellPacketSize || rx[0] != SmtLayout.DoorbellToPlatform || rx[1] != Slot)
                throw new InvalidDataException($"bare ping-pong: a completion doorbell of {n} bytes {rx[0]:X2} {rx[1]:X2}");
        }
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        // The last message is taken when its slot is FREE again (with flags 1 it already is).
        var deadline = Stopwatch.StartNew();
        while ((Volatile.Read(ref status) & SmtLayout.StatusFree) == 0)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(5)) throw new TimeoutException("bare ping-pong: the agent did not free the last message");
            Thread.Yield();
        }
        socket.Shutdown(SocketShutdown.Both); // the agent reads end of file and stops
        return (sent, elapsed);
    }

    /// <summary>The agent's loop, on its own thread, as the product's doorbell receive thread runs.</summary>
    private sealed class Agent(SmtArea area, Socket socket, uint expectedHeader, int expectedLength)
    {
        public long Received { get; private set; }      // read after Join
        public long WrongMessages { get; private set; } // read after Join
        public long Spurious { get; private set; }      // read after Join
        public Exception? Error { get; private set; }   // read after Join

        public void Run()
        {
            var slot = area.SlotBytes(Slot);
            ref var status = ref Word(slot, SmtLayout.StatusOffset);
            ref var length = ref Word(slot, SmtLayout.LengthOffset);
            ref var headerWord = ref Word(slot, SmtLayout.HeaderOffset);
            ref var flagsWord = ref Word(slot, SmtLayout.FlagsOffset);
            var payloadBytes = slot.Slice(SmtLayout.PayloadOffset, SmtLayout.MaxPayload);
            var copy = new byte[SmtLayout.MaxPayload];
            var rx = new byte[16]; // larger than a packet, as the product's, so that a longer one shows
            var tx = new byte[] { SmtLayout.DoorbellToPlatform, Slot };
            long received = 0, wrong = 0, spurious = 0;
            try
            {
                while (true)
                {
                    var n = socket.Receive(rx, SocketFlags.None);
                    if (n == 0) break; // end of file: the platform is done
                    if (n != SmtLayout.DoorbellPacketSize || rx[0] != SmtLayout.DoorbellToAgent || rx[1] != Slot)
                        throw new InvalidDataException($"a doorbell of {n} bytes {rx[0]:X2} {rx[1]:X2}");
                    // Acquire load: the platform's plain stores before its busy store are visible after it.
                    if ((Volatile.Read(ref status) & SmtLayout.StatusFree) != 0)
                    {
                        spurious++;
                        continue;
                    }
                    var messageLength = length;
                    var header = headerWord;
                    var flags = flagsWord;
                    var count = messageLength <= 4 ? 0 : (int)Math.Min(messageLength - 4, (uint)SmtLayout.MaxPayload);
                    payloadBytes[..count].CopyTo(copy);
                    // Release store of the whole word FREE: the copy out is complete before the platform sees it.
                    Volatile.Write(ref status, SmtLayout.StatusFree);
                    if ((flags & SmtLayout.FlagIntrEnabled) != 0 && socket.Send(tx, SocketFlags.None) != SmtLayout.DoorbellPacketSize)
                        throw new IOException("short completion doorbell send");
                    if (header != expectedHeader || count != expectedLength) wrong++;
                    received++;
                }
            }
            catch (Exception e)
            {
                Error = e;
                try
                {
                    socket.Shutdown(SocketShutdown.Both); // a platform waiting for a completion reads end of file
                }
                catch (SocketException)
                {
                    // already down
                }
            }
            finally
            {
                Received = received;
                WrongMessages = wrong;
                Spurious = spurious;
            }
        }
    }

    /// <summary>A little-endian 32-bit word of the slot (the host is little-endian: SmtArea refuses to map otherwise).</summary>
    private static ref uint Word(Span<byte> slot, int offset) => ref MemoryMarshal.Cast<byte, uint>(slot)[offset / sizeof(uint)];
}
