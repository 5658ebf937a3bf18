using ScmiActors.Emulator;
using ScmiActors.Emulator.Profiles;
using ScmiActors.Tests.Emulation;
using ScmiActors.Transport;
using ScmiActors.Transport.Smt;
using ScmiActors.Wire;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Tests.Profiles;

/// <summary>
/// The generic emulator behind a <see cref="ProfileLayer"/>, without a link: commands go in through the
/// layer, and everything the layer sends towards the link is recorded in order (responses answered
/// NotANotification, notifications Queued, as an open gate would).
/// </summary>
internal sealed class ProfiledEmulator
{
    private readonly Lock _lock = new();
    private readonly List<SentMessage> _sent = [];
    private ushort _token;

    public ProfiledEmulator(FirmwareProfile profile, EmulatorScenario? scenario = null)
    {
        Description = EmulatorPlatforms.Emu();
        Layer = new ProfileLayer(profile, Description, (scenario ?? EmulatorPlatforms.Quiet).AgentId, Record);
        Emulator = new EmulatedPlatform(Layer.FromPlatform, Description, scenario ?? EmulatorPlatforms.Quiet);
        Layer.Bind(Emulator.HandleCommand);
    }

    public PlatformDescription Description { get; }
    public ProfileLayer Layer { get; }
    public EmulatedPlatform Emulator { get; }

    public IReadOnlyList<SentMessage> Sent
    {
        get { lock (_lock) return _sent.ToList(); }
    }

    public IReadOnlyList<SentMessage> Notifications => Sent.Where(m => m.IsNotification).ToList();

    public void Clear()
    {
        lock (_lock) _sent.Clear();
    }

    private IngestResult Record(uint header, ReadOnlySpan<byte> payload)
    {
        var message = new SentMessage(header, payload.ToArray());
        lock (_lock) _sent.Add(message);
        return message.IsNotification ? IngestResult.Queued : IngestResult.NotANotification;
    }

    /// <summary>Sends a command through the layer; returns what the agent would see because of it, in order.</summary>
    public IReadOnlyList<SentMessage> Command(byte protocol, byte messageId, params uint[] words)
    {
        var before = Sent.Count;
        Layer.OnCommand(ScmiHeader.Command(protocol, messageId, ++_token), RawPlatform.Words(words));
        return Sent.Skip(before).ToList();
    }

    public ScmiStatus StatusOf(IReadOnlyList<SentMessage> messages) => RawPlatform.ToAnswer(messages.Single(m => !m.IsNotification)).Status;

    public ScmiStatus Notify(byte protocol, byte messageId, uint source, bool enable) =>
        StatusOf(Command(protocol, messageId, source, enable ? 1u : 0u));
}

public sealed class FirmwareProfileTests
{
    [Theory]
    [InlineData("none", "none")]
    [InlineData("scp", "scp")]
    [InlineData("IMX-SM", "imx-sm")]
    [InlineData(" scp ", "scp")]
    public void Parse_knows_the_three_names(string given, string name) => Assert.Equal(name, FirmwareProfile.Parse(given).Name);

    [Fact]
    public void Parse_of_an_unknown_name_fails_with_one_line_naming_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => FirmwareProfile.Parse("linux"));
        Assert.StartsWith("unknown firmware profile 'linux': use one of none, scp, imx-sm", e.Message);
        Assert.DoesNotContain('\n', e.Message.Split(" (Parameter")[0]);
    }

    [Fact]
    public void Link_options_carry_the_firmwares_P2A_flags_and_none_changes_nothing()
    {
        var given = new SmtPlatformOptions { NotificationFlags = SmtLayout.FlagIntrEnabled, Slots = 3 };
        Assert.Same(given, FirmwareProfile.None.LinkOptions(given));
        Assert.Equal(0u, FirmwareProfile.Scp.LinkOptions(given).NotificationFlags);
        Assert.Equal(3, FirmwareProfile.Scp.LinkOptions(given).Slots);
        Assert.Equal(SmtLayout.FlagIntrEnabled, FirmwareProfile.ImxSm.LinkOptions(null).NotificationFlags);
        Assert.True(FirmwareProfile.None.IsNone);
        Assert.False(FirmwareProfile.Scp.IsNone);
    }
}

public sealed class NotificationTokensTests
{
    private static readonly uint Header = new ScmiHeader(1, MessageType.Notification, ScmiProtocolId.Perf, 77).Encode();

    [Fact]
    public void Scp_writes_token_0_and_keeps_the_rest_of_the_header()
    {
        var tokens = new NotificationTokens(NotificationTokenPolicy.Zero);
        var stamped = ScmiHeader.Parse(tokens.Stamp(Header, 1));
        Assert.Equal(new ScmiHeader(1, MessageType.Notification, ScmiProtocolId.Perf, 0), stamped);
    }

    [Fact]
    public void Imx_counts_per_channel_and_only_messages_taken_move_the_counter()
    {
        var tokens = new NotificationTokens(NotificationTokenPolicy.CounterPerChannel);
        Assert.Equal(0, ScmiHeader.TokenOf(tokens.Stamp(Header, 1)));
        Assert.Equal(0, ScmiHeader.TokenOf(tokens.Stamp(Header, 1))); // stamped but never written: no token used
        tokens.Taken(1);
        Assert.Equal(1, ScmiHeader.TokenOf(tokens.Stamp(Header, 1)));
        Assert.Equal(0, ScmiHeader.TokenOf(tokens.Stamp(Header, 2))); // another channel has its own counter
        Assert.Equal(ScmiProtocolId.Perf, ScmiHeader.ProtocolOf(tokens.Stamp(Header, 1)));
    }

    [Fact]
    public void The_counter_wraps_at_1024()
    {
        var tokens = new NotificationTokens(NotificationTokenPolicy.CounterPerChannel);
        for (var i = 0; i < 1023; i++) tokens.Taken(1);
        Assert.Equal(1023, ScmiHeader.TokenOf(tokens.Stamp(Header, 1)));
        tokens.Taken(1);
        Assert.Equal(0, ScmiHeader.TokenOf(tokens.Stamp(Header, 1)));
    }

    [Fact]
    public void As_emitted_leaves_the_header_alone() =>
        Assert.Equal(Header, new NotificationTokens(NotificationTokenPolicy.AsEmitted).Stamp(Header, 1));
}

public sealed class P2AQueueTests
{
    private static readonly uint Header = ScmiHeader.Notification(ImxBbm.ProtocolId, ImxBbm.Events.Button);

    [Fact]
    public void Words_count_the_header_word_and_round_the_payload_up() =>
        Assert.Equal((1, 2, 3, 4, 5), (P2AQueue.WordsOf(0), P2AQueue.WordsOf(4), P2AQueue.WordsOf(8), P2AQueue.WordsOf(12), P2AQueue.WordsOf(13)));

    [Fact]
    public void An_idle_slot_takes_the_message_at_once_and_then_waits_for_its_completion()
    {
        var queue = new P2AQueue(24);
        Assert.Equal(P2AOffer.WriteNow, queue.Offer(Header, new byte[4]));
        Assert.Equal(P2ASlotState.Writing, queue.State);
        queue.Written();
        Assert.Equal(P2ASlotState.Busy, queue.State);
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, new byte[4]));
        Assert.False(queue.TryTakeNext(out _, out _)); // busy: nothing leaves before the completion doorbell
        Assert.True(queue.Completed());
        Assert.True(queue.TryTakeNext(out _, out var payload));
        Assert.Equal(4, payload.Length);
        Assert.Equal((0, 0), (queue.Count, queue.Words));
    }

    [Fact]
    public void A_queue_of_24_words_keeps_twelve_BBM_events_behind_the_slot_and_drops_the_newest()
    {
        var queue = new P2AQueue(24);
        Assert.Equal(P2AOffer.WriteNow, queue.Offer(Header, Payload(0)));
        queue.Written(); // the message in the slot is not in the queue
        for (var i = 1; i <= 12; i++) Assert.Equal(P2AOffer.Queued, queue.Offer(Header, Payload((uint)i)));
        Assert.Equal((12, 24), (queue.Count, queue.Words));
        Assert.Equal(P2AOffer.Dropped, queue.Offer(Header, Payload(13)));
        Assert.Equal(P2AOffer.Dropped, queue.Offer(Header, new byte[0]));  // even one word does not fit
        Assert.Equal(2, queue.Dropped);

        // The oldest leaves first; the newest (13) never comes.
        var order = new List<uint>();
        while (queue.Completed() && queue.TryTakeNext(out _, out var p))
        {
            order.Add(BitConverter.ToUInt32(p));
            queue.Written();
        }
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (uint)i), order);
    }

    [Fact]
    public void Freed_words_make_room_again_and_a_message_larger_than_the_queue_is_dropped_even_on_an_idle_slot()
    {
        var queue = new P2AQueue(24);
        Assert.Equal(P2AOffer.Dropped, queue.Offer(Header, new byte[96])); // 25 words
        Assert.Equal(P2AOffer.WriteNow, queue.Offer(Header, new byte[92])); // 24 words fit
        queue.Written();
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, new byte[88]));   // 23 words
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, new byte[0]));    // the 24th
        Assert.Equal(P2AOffer.Dropped, queue.Offer(Header, new byte[0]));
        Assert.True(queue.Completed());
        Assert.True(queue.TryTakeNext(out _, out _));
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, new byte[4]));
    }

    [Fact]
    public void Checked_transitions_throw_and_an_unwanted_completion_is_counted()
    {
        var queue = new P2AQueue(24);
        Assert.Throws<InvalidOperationException>(queue.Written);
        Assert.Throws<InvalidOperationException>(queue.WriteFailed);
        Assert.False(queue.Completed()); // the agent rang with nothing in the slot
        Assert.Equal(1, queue.UnexpectedCompletions);
        Assert.Equal(P2AOffer.WriteNow, queue.Offer(Header, new byte[4]));
        Assert.False(queue.Completed()); // still being written: not a completion of it
        queue.WriteFailed();               // lost at the slot: idle again
        Assert.Equal(P2ASlotState.Idle, queue.State);
        Assert.Equal(P2AOffer.WriteNow, queue.Offer(Header, new byte[4]));
        queue.Written();
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, Payload(7)));
        Assert.True(queue.Completed());
        Assert.True(queue.TryTakeNext(out var h, out var p));
        queue.PutBack(h, p); // no agent to write it to: it stays first
        Assert.Equal((P2ASlotState.Idle, 1, 2), (queue.State, queue.Count, queue.Words));
        Assert.Equal(P2AOffer.Queued, queue.Offer(Header, Payload(8))); // behind the one put back, not written before it
    }

    private static byte[] Payload(uint value) => BitConverter.GetBytes(value);
}
