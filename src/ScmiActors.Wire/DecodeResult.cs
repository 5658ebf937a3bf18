namespace ScmiActors.Wire;

/// <summary>Why a raw message did not become a report. Each has a stable snake_case code.</summary>
public enum DecodeError : byte
{
    None = 0,
    PayloadTooShort,
    PayloadTooLong,
    UnknownProtocol,
    UnknownEvent,
    SourceOutOfRange,
    NotANotification,
    ReservedMessageType,
}

public static class DecodeErrorExtensions
{
    public static string ToCode(this DecodeError error) => error switch
    {
        DecodeError.None => "none",
        DecodeError.PayloadTooShort => "payload_too_short",
        DecodeError.PayloadTooLong => "payload_too_long",
        DecodeError.UnknownProtocol => "unknown_protocol",
        DecodeError.UnknownEvent => "unknown_event",
        DecodeError.SourceOutOfRange => "source_out_of_range",
        DecodeError.NotANotification => "not_a_notification",
        DecodeError.ReservedMessageType => "reserved_message_type",
        _ => "unknown_error",
    };
}

/// <summary>
/// The outcome of decoding one message: a report, or a reason with the numbers that explain it.
/// A struct, and the detail text is formatted only when asked for, so a rejection allocates nothing.
/// </summary>
public readonly struct DecodeResult
{
    private readonly string? _subject;
    private readonly long _a;
    private readonly long _b;
    private readonly bool _exact;

    private DecodeResult(ScmiReport? report, DecodeError error, string? subject, long a, long b, bool exact = false)
    {
        _exact = exact;
        Report = report;
        Error = error;
        _subject = subject;
        _a = a;
        _b = b;
    }

    public ScmiReport? Report { get; }
    public DecodeError Error { get; }
    /// <summary>A report was produced (a decoder returning <c>default</c> is not a success).</summary>
    public bool IsSuccess => Report is not null;
    public string Code => Error.ToCode();

    public static DecodeResult Ok(ScmiReport report) => new(report, DecodeError.None, null, 0, 0);

    /// <summary>A size rejection: <paramref name="required"/> is the bound that was broken.</summary>
    public static DecodeResult TooShort(string eventName, int required, int actual) =>
        new(null, DecodeError.PayloadTooShort, eventName, required, actual);

    public static DecodeResult TooLong(string eventName, int allowed, int actual) =>
        new(null, DecodeError.PayloadTooLong, eventName, allowed, actual);

    /// <summary>A size rejection of an event whose payload has exactly one valid size.</summary>
    public static DecodeResult WrongSize(string eventName, int size, int actual) =>
        new(null, actual < size ? DecodeError.PayloadTooShort : DecodeError.PayloadTooLong, eventName, size, actual, exact: true);

    public static DecodeResult SourceOutOfRange(string eventName, uint source, uint sourceCount) =>
        new(null, DecodeError.SourceOutOfRange, eventName, source, sourceCount);

    public static DecodeResult UnknownProtocol(byte protocol) =>
        new(null, DecodeError.UnknownProtocol, null, protocol, 0);

    public static DecodeResult UnknownEvent(byte protocol, byte eventId) =>
        new(null, DecodeError.UnknownEvent, null, protocol, eventId);

    public static DecodeResult NotANotification(MessageType type) =>
        new(null, DecodeError.NotANotification, null, (long)type, 0);

    public static DecodeResult ReservedMessageType() =>
        new(null, DecodeError.ReservedMessageType, null, 1, 0);

    /// <summary>A human-readable explanation of the rejection (allocates; not for hot paths).</summary>
    public string Detail => Error switch
    {
        DecodeError.None => Report is null ? "the decoder returned no report" : "ok",
        DecodeError.PayloadTooShort or DecodeError.PayloadTooLong when _exact => $"{_subject} needs exactly {_a} payload bytes, got {_b}",
        DecodeError.PayloadTooShort => $"{_subject} needs at least {_a} payload bytes, got {_b}",
        DecodeError.PayloadTooLong => $"{_subject} allows at most {_a} payload bytes, got {_b}",
        DecodeError.SourceOutOfRange => $"{_subject} source {_a} is out of range (the platform has {_b} sources)",
        DecodeError.UnknownProtocol => $"protocol 0x{_a:X2} is not implemented by this platform",
        DecodeError.UnknownEvent => $"protocol 0x{_a:X2} has no notification with id {_b}",
        DecodeError.NotANotification => $"message type {_a} is a {(_a == 0 ? "command response" : "delayed response")}, not a notification",
        DecodeError.ReservedMessageType => "message type 1 is reserved",
        _ => Error.ToString(),
    };

    public override string ToString() => IsSuccess ? Report!.ToString() : $"{Code}: {Detail}";
}
