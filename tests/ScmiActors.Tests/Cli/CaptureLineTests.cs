using ScmiActors.Cli.Decode;
using Xunit;

namespace ScmiActors.Tests.Cli;

public class CaptureLineTests
{
    private static readonly byte[] PerfLevelPayload = [1, 0, 0, 0, 0, 0, 0, 0, 0xB0, 0x04, 0, 0];

    [Theory]
    [InlineData("0x4F01 01000000 00000000 B0040000")]
    [InlineData("0X4F01 01000000 00000000 B0040000")]
    [InlineData("4F01 01000000 00000000 B0040000")]
    [InlineData("0x4f01 01000000 00000000 b0040000")]
    [InlineData("0x4F01 0100000000000000B0040000")]
    [InlineData("0x4F01 01 00 00 00  00 00 00 00 B0 04 00 00")]
    [InlineData("0x4F01\t01000000\t0000 0000   B004 0000")]
    [InlineData("   0x4F01 01000000 00000000 B0040000   ")]
    [InlineData("0x00004F01 01000000 00000000 B0040000")]
    public void Parses_header_and_payload_in_wire_order(string line)
    {
        Assert.True(CaptureLine.TryParse(line, out var header, out var payload, out var error), error);
        Assert.Equal(0x4F01u, header);
        Assert.Equal(PerfLevelPayload, payload);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("0x4700")]
    [InlineData("4700")]
    [InlineData("0x4700   ")]
    [InlineData("0x4700\t")]
    public void Payload_may_be_empty(string line)
    {
        Assert.True(CaptureLine.TryParse(line, out var header, out var payload, out _));
        Assert.Equal(0x4700u, header);
        Assert.Empty(payload);
    }

    [Fact]
    public void Header_takes_all_32_bits()
    {
        Assert.True(CaptureLine.TryParse("0xFFFFFFFF", out var header, out _, out _));
        Assert.Equal(uint.MaxValue, header);
        Assert.True(CaptureLine.TryParse("0x000000000000F00C4F01 01", out header, out var payload, out _));
        Assert.Equal(0xF00C4F01u, header);
        Assert.Equal(new byte[] { 1 }, payload);
    }

    [Theory]
    [InlineData("hello world", "not hex")]
    [InlineData("0x4G01 01000000", "not hex")]
    [InlineData("0x4F01 0100000z", "not a hex digit")]
    [InlineData("0x4F01 0x01000000", "not a hex digit")]
    [InlineData("0x4F01 01000000,00000000", "not a hex digit")]
    [InlineData("0x4F01 0100000", "odd number of hex digits")]
    [InlineData("0x4F01 01000000 0 00000000", "odd number of hex digits")]
    [InlineData("0x4F01 010 000", "odd number of hex digits")]
    [InlineData("0x100004F01 01000000", "wider than 32 bits")]
    [InlineData("123456789", "wider than 32 bits")]
    [InlineData("0x 01000000", "header missing")]
    [InlineData("0x", "header missing")]
    public void Rejects_lines_that_are_not_header_and_hex_bytes(string line, string reason)
    {
        Assert.False(CaptureLine.TryParse(line, out var header, out var payload, out var error));
        Assert.Contains(reason, error);
        Assert.Equal(0u, header);
        Assert.Empty(payload);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("   ", true)]
    [InlineData("\t", true)]
    [InlineData("# a comment", true)]
    [InlineData("   # indented comment", true)]
    [InlineData("#0x4F01 01000000", true)]
    [InlineData("0x4F01 01000000 # not a comment", false)]
    [InlineData("0x4700", false)]
    public void Blank_and_comment_lines_are_skipped(string line, bool skipped)
    {
        Assert.Equal(skipped, CaptureLine.IsSkipped(line));
        if (skipped) Assert.False(CaptureLine.TryParse(line, out _, out _, out _));
    }
}
