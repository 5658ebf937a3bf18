using ScmiActors.Messages;
using ScmiActors.Platform;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The element a subscription is kept as in distributed data: read back exactly, and a damaged one skipped.</summary>
public sealed class ReplicatedSubscriptionTests
{
    [Theory]
    [InlineData(1L, (byte)0x13, (byte)1, 3u)]
    [InlineData(long.MaxValue, (byte)0xFF, (byte)255, uint.MaxValue)]
    public void One_source_round_trips(long id, byte protocol, byte evt, uint source)
    {
        var s = new ReplicatedSubscription(new SubscriptionId(id), protocol, evt, SourceSelector.Id(source),
            "akka.tcp://scmi-actors@127.0.0.1:4055/user/sub|scribe-r#12345");
        Assert.Equal(s, ReplicatedSubscription.TryParse(s.Encode()));
    }

    [Fact]
    public void All_sources_round_trip()
    {
        var s = new ReplicatedSubscription(new SubscriptionId(9), 0x15, 0, SourceSelector.All, "akka://sys/user/a#1");
        Assert.Equal("s1|9|21|0|*|akka://sys/user/a#1", s.Encode());
        Assert.Equal(s, ReplicatedSubscription.TryParse(s.Encode()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("s1|9|21|0|*")]
    [InlineData("s2|9|21|0|*|akka://sys/user/a#1")]
    [InlineData("s1|-9|21|0|*|akka://sys/user/a#1")]
    [InlineData("s1|9|256|0|*|akka://sys/user/a#1")]
    [InlineData("s1|9|21|0|all|akka://sys/user/a#1")]
    [InlineData("s1|9|21|0|*|")]
    public void A_damaged_or_foreign_element_is_skipped_not_thrown_on(string element) =>
        Assert.Null(ReplicatedSubscription.TryParse(element));
}
