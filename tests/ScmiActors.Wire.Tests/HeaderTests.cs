using Xunit;

namespace ScmiActors.Wire.Tests;

public class HeaderTests
{
    [Fact]
    public void Parse_reads_all_four_fields()
    {
        // id 0xA5, type 2, protocol 0x5A, token 0x2C3
        var raw = 0xA5u | 2u << 8 | 0x5Au << 10 | 0x2C3u << 18;
        var header = ScmiHeader.Parse(raw);
        Assert.Equal(0xA5, header.MessageId);
        Assert.Equal(MessageType.DelayedResponse, header.Type);
        Assert.Equal(0x5A, header.ProtocolId);
        Assert.Equal(0x2C3, header.Token);
        Assert.Equal(raw, header.Encode());
    }

    [Fact]
    public void Encode_places_each_field_in_its_bits()
    {
        Assert.Equal(0x0000_00FFu, new ScmiHeader(0xFF, MessageType.Command, 0, 0).Encode());
        Assert.Equal(0x0000_0300u, new ScmiHeader(0, MessageType.Notification, 0, 0).Encode());
        Assert.Equal(0x0000_0100u, new ScmiHeader(0, MessageType.Reserved, 0, 0).Encode());
        Assert.Equal(0x0003_FC00u, new ScmiHeader(0, MessageType.Command, 0xFF, 0).Encode());
        Assert.Equal(0x0FFC_0000u, new ScmiHeader(0, MessageType.Command, 0, 0x3FF).Encode());
        Assert.Equal(0x0FFF_FFFFu, new ScmiHeader(0xFF, MessageType.Notification, 0xFF, 0x3FF).Encode());
    }

    [Fact]
    public void Reserved_bits_31_to_28_are_ignored_on_parse()
    {
        Assert.Equal(ScmiHeader.Parse(0x0000_4F01), ScmiHeader.Parse(0xF000_4F01));
        Assert.Equal(ScmiHeader.Parse(0x0FFF_FFFF), ScmiHeader.Parse(0xFFFF_FFFF));
        Assert.Equal(0x3FF, ScmiHeader.Parse(0xFFFF_FFFF).Token);
        Assert.Equal(0x0FFF_FFFFu, ScmiHeader.Parse(0xFFFF_FFFF).Encode());
    }

    [Fact]
    public void Token_is_masked_to_10_bits_on_encode()
    {
        var header = new ScmiHeader(1, MessageType.Command, ScmiProtocolId.Perf, 0xFFFF);
        var raw = header.Encode();
        Assert.Equal(0u, raw & 0xF000_0000); // nothing leaks into the reserved bits
        Assert.Equal(0x3FF, ScmiHeader.TokenOf(raw));
        Assert.Equal(0x0FFC_4C01u, raw);
        Assert.Equal(0x0000_4C01u, new ScmiHeader(1, MessageType.Command, ScmiProtocolId.Perf, 0x400).Encode());
    }

    [Fact]
    public void Field_extractors_agree_with_parse()
    {
        const uint raw = 0xF8A7_4F01;
        var header = ScmiHeader.Parse(raw);
        Assert.Equal(header.MessageId, ScmiHeader.MessageIdOf(raw));
        Assert.Equal(header.Type, ScmiHeader.TypeOf(raw));
        Assert.Equal(header.ProtocolId, ScmiHeader.ProtocolOf(raw));
        Assert.Equal(header.Token, ScmiHeader.TokenOf(raw));
        Assert.Equal(0x229, header.Token);
    }

    /// <summary>SCMI-NOTES §1.1 quick reference: notification headers with token 0.</summary>
    [Theory]
    [InlineData(0x10, 0, 0x0000_4300u)]
    [InlineData(0x11, 0, 0x0000_4700u)]
    [InlineData(0x11, 1, 0x0000_4701u)]
    [InlineData(0x12, 0, 0x0000_4B00u)]
    [InlineData(0x13, 0, 0x0000_4F00u)]
    [InlineData(0x13, 1, 0x0000_4F01u)]
    [InlineData(0x14, 0, 0x0000_5300u)]
    [InlineData(0x14, 1, 0x0000_5301u)]
    [InlineData(0x15, 0, 0x0000_5700u)]
    [InlineData(0x15, 1, 0x0000_5701u)]
    [InlineData(0x16, 0, 0x0000_5B00u)]
    [InlineData(0x18, 0, 0x0000_6300u)]
    [InlineData(0x18, 1, 0x0000_6301u)]
    public void Notification_headers_match_the_quick_reference_table(byte protocol, byte eventId, uint expected)
    {
        Assert.Equal(expected, ScmiHeader.Notification(protocol, eventId));
        var parsed = ScmiHeader.Parse(expected);
        Assert.Equal(new ScmiHeader(eventId, MessageType.Notification, protocol, 0), parsed);
    }

    [Fact]
    public void Command_header_carries_the_token()
    {
        var raw = ScmiHeader.Command(ScmiProtocolId.Perf, 0xA, 0x155);
        Assert.Equal(0x0554_4C0Au, raw);
        Assert.Equal(new ScmiHeader(0xA, MessageType.Command, ScmiProtocolId.Perf, 0x155), ScmiHeader.Parse(raw));
    }

    [Fact]
    public void Message_type_values_are_the_wire_values()
    {
        Assert.Equal(0, (int)MessageType.Command);
        Assert.Equal(1, (int)MessageType.Reserved);
        Assert.Equal(2, (int)MessageType.DelayedResponse);
        Assert.Equal(3, (int)MessageType.Notification);
    }

    [Fact]
    public void ToString_names_the_fields_in_hex()
    {
        var text = new ScmiHeader(1, MessageType.Notification, 0x13, 5).ToString();
        Assert.Contains("proto=0x13", text, StringComparison.Ordinal);
        Assert.Contains("msg=0x01", text, StringComparison.Ordinal);
        Assert.Contains("Notification", text, StringComparison.Ordinal);
        Assert.Contains("token=5", text, StringComparison.Ordinal);
    }
}
