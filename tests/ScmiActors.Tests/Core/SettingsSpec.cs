using Akka.Configuration;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The <c>scmi</c> configuration section: the embedded defaults, overrides and rejected values.</summary>
public sealed class SettingsSpec
{
    private static ScmiSettings From(string hocon) => ScmiSettings.FromConfig(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void The_embedded_defaults_are_Linux_sizes_and_a_1024_report_window()
    {
        var s = ScmiSettings.Default;
        Assert.Null(s.QueueBytes); // each protocol's own default (4096, base 16384)
        Assert.Equal(256, s.DrainBatch);
        Assert.Equal(1024, s.SubscriberWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), s.SubscriberStallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), s.DropLogInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.ReconnectMinBackoff);
        Assert.Equal(TimeSpan.FromSeconds(5), s.ReconnectMaxBackoff);
        Assert.Null(s.RateLimit); // Linux has no storm guard
    }

    [Fact]
    public void Overrides_win_over_the_defaults_and_off_means_unbounded()
    {
        var s = From("scmi { queue-bytes = 8192, subscriber-window = off, subscriber-stall-timeout = 250ms, rate-limit = 20000 }");
        Assert.Equal(20000, s.RateLimit);
        Assert.Equal(8192, s.QueueBytes);
        Assert.Null(s.SubscriberWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.SubscriberStallTimeout);
        Assert.Equal(256, s.DrainBatch); // untouched keys keep their defaults
        Assert.Equal(64, From("scmi.subscriber-window = 64").SubscriberWindow);
    }

    [Theory]
    [InlineData("scmi.drain-batch = 0", "drain-batch")]
    [InlineData("scmi.queue-bytes = 32", "queue-bytes")]
    [InlineData("scmi.subscriber-window = 3", "subscriber-window")]
    [InlineData("scmi.queue-bytes = 20000000", "queue-bytes")]
    [InlineData("scmi.subscriber-stall-timeout = 0s", "subscriber-stall-timeout")]
    [InlineData("scmi.rate-limit = 0", "rate-limit")]
    [InlineData("scmi.reconnect.min-backoff = 0s", "reconnect")]
    [InlineData("scmi.reconnect.max-backoff = 10ms", "reconnect")]
    public void Out_of_range_values_are_rejected_with_the_key_named(string hocon, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => From(hocon));
        Assert.Contains(key, e.Message);
    }
}
