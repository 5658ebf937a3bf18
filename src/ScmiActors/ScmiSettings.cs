using System.Reflection;
using Akka.Configuration;

namespace ScmiActors;

/// <summary>The <c>scmi</c> section of the configuration (defaults in hocon/scmi.conf, embedded).</summary>
public sealed record ScmiSettings(
    int? QueueBytes,
    int DrainBatch,
    TimeSpan CommandTimeout,
    TimeSpan ConnectTimeout,
    TimeSpan StartTimeout,
    TimeSpan DrainDeadline,
    TimeSpan DisableDeadline,
    TimeSpan DropLogInterval,
    int? SubscriberWindow,
    TimeSpan SubscriberStallTimeout,
    int? RateLimit,
    TimeSpan ReconnectMinBackoff,
    TimeSpan ReconnectMaxBackoff)
{
    /// <summary>The dispatcher protocol actors run on (scmi.conf: throughput 1 on the thread pool, for fair draining).</summary>
    public const string ProtocolDispatcherId = "scmi.protocol-dispatcher";

    /// <summary>
    /// The longest an ordered shutdown takes: the drain deadline, the discard that follows it (as long
    /// again at most), the disables, and slack.
    /// </summary>
    /// <summary>
    /// The smallest subscriber window: a window is tracked with this many in-flight markers
    /// (DeliveryWindows.MaxMarks), so a smaller one could not be honoured.
    /// </summary>
    public const int MinSubscriberWindow = 4;

    public TimeSpan ShutdownBudget => DrainDeadline * 2 + DisableDeadline + TimeSpan.FromSeconds(1);

    /// <summary>The library defaults (hocon/scmi.conf).</summary>
    public static Config DefaultConfig { get; } = ConfigurationFactory.ParseString(ReadResource("ScmiActors.scmi.conf"));

    public static ScmiSettings Default { get; } = FromConfig(DefaultConfig);

    public static ScmiSettings FromConfig(Config config)
    {
        var c = (ReferenceEquals(config, DefaultConfig) ? config : config.WithFallback(DefaultConfig)).GetConfig("scmi");
        var queue = c.GetString("queue-bytes", "off");
        int? queueBytes = queue is "off" or "" ? null : c.GetInt("queue-bytes");
        var settings = new ScmiSettings(
            queueBytes,
            c.GetInt("drain-batch"),
            c.GetTimeSpan("command-timeout"),
            c.GetTimeSpan("connect-timeout"),
            c.GetTimeSpan("start-timeout"),
            c.GetTimeSpan("shutdown.drain-deadline"),
            c.GetTimeSpan("shutdown.disable-deadline"),
            c.GetTimeSpan("drop-log-interval"),
            c.GetString("subscriber-window", "off") is "off" or "" ? null : c.GetInt("subscriber-window"),
            c.GetTimeSpan("subscriber-stall-timeout"),
            c.GetString("rate-limit", "off") is "off" or "" ? null : c.GetInt("rate-limit"),
            c.GetTimeSpan("reconnect.min-backoff"),
            c.GetTimeSpan("reconnect.max-backoff"));
        if (settings.DrainBatch < 1) throw new ConfigurationException("scmi.drain-batch must be at least 1");
        if (settings.QueueBytes is < 64 or > Ingestion.ProtocolRing.MaxBudgetBytes)
            throw new ConfigurationException($"scmi.queue-bytes must be between 64 and {Ingestion.ProtocolRing.MaxBudgetBytes}");
        if (settings.SubscriberWindow is < MinSubscriberWindow)
            throw new ConfigurationException($"scmi.subscriber-window must be at least {MinSubscriberWindow} (or off)");
        if (settings.RateLimit is < 1) throw new ConfigurationException("scmi.rate-limit must be at least 1 event per second (or off)");
        if (settings.StartTimeout <= TimeSpan.Zero) throw new ConfigurationException("scmi.start-timeout must be positive");
        if (settings.SubscriberStallTimeout <= TimeSpan.Zero) throw new ConfigurationException("scmi.subscriber-stall-timeout must be positive");
        if (settings.ReconnectMinBackoff <= TimeSpan.Zero || settings.ReconnectMaxBackoff < settings.ReconnectMinBackoff)
            throw new ConfigurationException("scmi.reconnect.min-backoff must be positive and max-backoff at least as long");
        return settings;
    }

    /// <summary>Reads one of the HOCON files embedded in this assembly (scmi.conf, cluster.conf, platforms.conf).</summary>
    public static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
