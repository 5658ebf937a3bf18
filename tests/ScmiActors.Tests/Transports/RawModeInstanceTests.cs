using ScmiActors.Transport.Raw;
using Xunit;

namespace ScmiActors.Tests.Transports;

/// <summary>Finding raw-mode instances under a debugfs-like root and reading their transport limits.</summary>
public sealed class RawModeInstanceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("scmi-raw-instance-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string LayOut(int id, Dictionary<string, string>? transport = null)
    {
        var directory = Path.Combine(_root, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var values = new Dictionary<string, string>
        {
            ["max_msg_size"] = "128\n", ["max_rx_timeout_ms"] = "30\n", ["tx_max_msg"] = "20\n",
            ["rx_max_msg"] = "10\n", ["type"] = "mailbox\n", ["is_atomic"] = "N\n",
        };
        foreach (var (name, value) in transport ?? []) values[name] = value;
        Directory.CreateDirectory(Path.Combine(directory, "transport"));
        foreach (var (name, value) in values) File.WriteAllText(Path.Combine(directory, "transport", name), value);
        Directory.CreateDirectory(Path.Combine(directory, "raw"));
        foreach (var name in new[] { "message", "message_async", "notification", "errors", "reset" })
            File.WriteAllBytes(Path.Combine(directory, "raw", name), []);
        return directory;
    }

    private static void AssertOneLine(Exception e) => Assert.DoesNotContain('\n', e.Message);

    [Fact]
    public void Instances_are_listed_in_order_and_their_limits_parsed()
    {
        LayOut(1, new() { ["max_msg_size"] = "4096\n", ["type"] = "virtio\n", ["is_atomic"] = "Y\n" });
        var zero = LayOut(0);
        Directory.CreateDirectory(Path.Combine(_root, "not-an-instance"));

        Assert.Equal([0, 1], RawModeInstance.List(_root));

        var instance = RawModeInstance.Open(0, _root);
        Assert.Equal(new RawModeLimits(128, 30, 20, 10, "mailbox", false), instance.Limits);
        Assert.Equal(132, instance.Limits.MaxMessageBytes);
        Assert.Equal(Path.Combine(zero, "raw", "message"), instance.MessagePath);
        Assert.Equal(Path.Combine(zero, "raw", "notification"), instance.NotificationPath);
        Assert.Equal(Path.Combine(zero, "raw", "errors"), instance.ErrorsPath);
        Assert.Equal(Path.Combine(zero, "raw", "reset"), instance.ResetPath);
        Assert.Equal(Path.Combine(zero, "raw", "message_async"), instance.MessageAsyncPath);

        Assert.Equal(new RawModeLimits(4096, 30, 20, 10, "virtio", true), RawModeInstance.Open(1, _root).Limits);
    }

    [Theory]
    [InlineData("tx_max_msg", "twenty\n")]
    [InlineData("max_msg_size", "\n")]
    [InlineData("max_rx_timeout_ms", "-1\n")]
    [InlineData("rx_max_msg", "99999999999\n")]
    [InlineData("is_atomic", "maybe\n")]
    public void A_malformed_limits_file_is_a_one_line_error_naming_it(string file, string content)
    {
        var directory = LayOut(0, new() { [file] = content });

        var error = Assert.Throws<RawModeException>(() => RawModeInstance.Open(0, _root));

        Assert.Contains(Path.Combine(directory, "transport", file), error.Message, StringComparison.Ordinal);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public void A_missing_limits_file_is_a_one_line_error_naming_it()
    {
        var path = Path.Combine(LayOut(0), "transport", "tx_max_msg");
        File.Delete(path);

        var error = Assert.Throws<RawModeException>(() => RawModeInstance.Open(0, _root));

        Assert.Equal($"SCMI raw mode: {path} is missing", error.Message);
    }

    [Fact]
    public void A_missing_raw_file_is_a_one_line_error_naming_it()
    {
        var path = Path.Combine(LayOut(0), "raw", "notification");
        File.Delete(path);

        var error = Assert.Throws<RawModeException>(() => RawModeInstance.Open(0, _root));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public void A_missing_instance_directory_is_a_one_line_error_naming_it()
    {
        LayOut(0);

        var error = Assert.Throws<RawModeException>(() => RawModeInstance.Open(3, _root));

        Assert.Equal($"SCMI raw mode: instance 3 not found: {Path.Combine(_root, "3")} does not exist", error.Message);
    }

    [Fact]
    public void A_missing_root_says_what_to_check()
    {
        var root = Path.Combine(_root, "no-debugfs");

        var error = Assert.Throws<RawModeException>(() => RawModeInstance.List(root));

        Assert.StartsWith($"SCMI raw mode: {root} does not exist", error.Message, StringComparison.Ordinal);
        AssertOneLine(error);
    }
}
