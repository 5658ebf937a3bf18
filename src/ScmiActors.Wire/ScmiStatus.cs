namespace ScmiActors.Wire;

/// <summary>SCMI status codes, the first int32 of every response and delayed response.</summary>
public enum ScmiStatus
{
    Success = 0,
    NotSupported = -1,
    InvalidParameters = -2,
    Denied = -3,
    NotFound = -4,
    OutOfRange = -5,
    Busy = -6,
    CommsError = -7,
    GenericError = -8,
    HardwareError = -9,
    ProtocolError = -10,
    InUse = -11,
}

public static class ScmiStatusExtensions
{
    /// <summary>The SCMI name (e.g. <c>NOT_SUPPORTED</c>), or the number for a value no spec defines.</summary>
    public static string ToScmiName(this ScmiStatus status) => status switch
    {
        ScmiStatus.Success => "SUCCESS",
        ScmiStatus.NotSupported => "NOT_SUPPORTED",
        ScmiStatus.InvalidParameters => "INVALID_PARAMETERS",
        ScmiStatus.Denied => "DENIED",
        ScmiStatus.NotFound => "NOT_FOUND",
        ScmiStatus.OutOfRange => "OUT_OF_RANGE",
        ScmiStatus.Busy => "BUSY",
        ScmiStatus.CommsError => "COMMS_ERROR",
        ScmiStatus.GenericError => "GENERIC_ERROR",
        ScmiStatus.HardwareError => "HARDWARE_ERROR",
        ScmiStatus.ProtocolError => "PROTOCOL_ERROR",
        ScmiStatus.InUse => "IN_USE",
        _ => $"STATUS({(int)status})",
    };
}
