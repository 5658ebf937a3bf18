namespace ScmiActors.Wire;

// Message ids of the standard protocols, named after DEN0056 with the protocol prefix dropped
// (PERFORMANCE_NOTIFY_LIMITS is ScmiCommands.Perf.NotifyLimits). Commands (message type 0) and
// notifications (type 3) have separate id spaces, both starting at 0, so they live in two classes
// with one nested class per protocol, named as in ScmiProtocolId. Only the commands this library
// sends, emulates or documents are named. The vendor example names its own (ImxBbm.Commands,
// ImxBbm.Events). StandardProtocols builds its descriptors from these; a test checks they agree.

/// <summary>
/// Command message ids (message type 0) per standard protocol: <c>ScmiCommands.Perf.LimitsSet</c>
/// for PERFORMANCE_LIMITS_SET. The three commands every protocol has are in <see cref="Common"/>.
/// </summary>
public static class ScmiCommands
{
    /// <summary>Commands every protocol implements.</summary>
    public static class Common
    {
        /// <summary>PROTOCOL_VERSION.</summary>
        public const byte ProtocolVersion = 0x0;
        /// <summary>PROTOCOL_ATTRIBUTES.</summary>
        public const byte ProtocolAttributes = 0x1;
        /// <summary>PROTOCOL_MESSAGE_ATTRIBUTES: whether a message id is implemented.</summary>
        public const byte ProtocolMessageAttributes = 0x2;
    }

    /// <summary>Base protocol (0x10).</summary>
    public static class Base
    {
        /// <summary>BASE_DISCOVER_VENDOR.</summary>
        public const byte DiscoverVendor = 0x3;
        /// <summary>BASE_DISCOVER_SUB_VENDOR.</summary>
        public const byte DiscoverSubVendor = 0x4;
        /// <summary>BASE_DISCOVER_IMPLEMENTATION_VERSION.</summary>
        public const byte DiscoverImplementationVersion = 0x5;
        /// <summary>BASE_DISCOVER_LIST_PROTOCOLS.</summary>
        public const byte DiscoverListProtocols = 0x6;
        /// <summary>BASE_DISCOVER_AGENT.</summary>
        public const byte DiscoverAgent = 0x7;
        /// <summary>BASE_NOTIFY_ERRORS: enables <see cref="ScmiEvents.Base.ErrorEvent"/>.</summary>
        public const byte NotifyErrors = 0x8;
    }

    /// <summary>Power domain management protocol (0x11).</summary>
    public static class Power
    {
        /// <summary>POWER_DOMAIN_ATTRIBUTES: bit31 says the domain can notify state changes.</summary>
        public const byte DomainAttributes = 0x3;
        /// <summary>POWER_STATE_GET.</summary>
        public const byte StateGet = 0x5;
        /// <summary>POWER_STATE_NOTIFY: enables <see cref="ScmiEvents.Power.StateChanged"/>.</summary>
        public const byte StateNotify = 0x6;
    }

    /// <summary>System power management protocol (0x12).</summary>
    public static class System
    {
        /// <summary>SYSTEM_POWER_STATE_NOTIFY: enables <see cref="ScmiEvents.System.PowerStateNotifier"/>.</summary>
        public const byte PowerStateNotify = 0x5;
    }

    /// <summary>Performance domain management protocol (0x13).</summary>
    public static class Perf
    {
        /// <summary>PERFORMANCE_DOMAIN_ATTRIBUTES: bit29 limits, bit28 level notifications.</summary>
        public const byte DomainAttributes = 0x3;
        /// <summary>PERFORMANCE_LIMITS_SET: domain_id, range_max, range_min.</summary>
        public const byte LimitsSet = 0x5;
        /// <summary>PERFORMANCE_LIMITS_GET.</summary>
        public const byte LimitsGet = 0x6;
        /// <summary>PERFORMANCE_LEVEL_GET.</summary>
        public const byte LevelGet = 0x8;
        /// <summary>PERFORMANCE_NOTIFY_LIMITS: enables <see cref="ScmiEvents.Perf.LimitsChanged"/>.</summary>
        public const byte NotifyLimits = 0x9;
        /// <summary>PERFORMANCE_NOTIFY_LEVEL: enables <see cref="ScmiEvents.Perf.LevelChanged"/>.</summary>
        public const byte NotifyLevel = 0xA;
    }

    /// <summary>Clock management protocol (0x14).</summary>
    public static class Clock
    {
        /// <summary>CLOCK_ATTRIBUTES: bit31 rate changed, bit30 rate change requested notifications.</summary>
        public const byte Attributes = 0x3;
        /// <summary>CLOCK_RATE_GET.</summary>
        public const byte RateGet = 0x6;
        /// <summary>CLOCK_RATE_NOTIFY: enables <see cref="ScmiEvents.Clock.RateChanged"/>.</summary>
        public const byte RateNotify = 0x9;
        /// <summary>CLOCK_RATE_CHANGE_REQUESTED_NOTIFY: enables <see cref="ScmiEvents.Clock.RateChangeRequested"/>.</summary>
        public const byte RateChangeRequestedNotify = 0xA;
    }

    /// <summary>Sensor management protocol (0x15).</summary>
    public static class Sensor
    {
        /// <summary>SENSOR_DESCRIPTION_GET.</summary>
        public const byte DescriptionGet = 0x3;
        /// <summary>SENSOR_TRIP_POINT_NOTIFY: enables <see cref="ScmiEvents.Sensor.TripPointEvent"/>.</summary>
        public const byte TripPointNotify = 0x4;
        /// <summary>SENSOR_TRIP_POINT_CONFIG.</summary>
        public const byte TripPointConfig = 0x5;
        /// <summary>SENSOR_READING_GET.</summary>
        public const byte ReadingGet = 0x6;
        /// <summary>SENSOR_AXIS_DESCRIPTION_GET.</summary>
        public const byte AxisDescriptionGet = 0x7;
        /// <summary>SENSOR_CONTINUOUS_UPDATE_NOTIFY: enables <see cref="ScmiEvents.Sensor.Update"/>.</summary>
        public const byte ContinuousUpdateNotify = 0xB;
    }

    /// <summary>Reset domain management protocol (0x16).</summary>
    public static class Reset
    {
        /// <summary>RESET_DOMAIN_ATTRIBUTES: bit30 says the domain can notify.</summary>
        public const byte DomainAttributes = 0x3;
        /// <summary>RESET_NOTIFY: enables <see cref="ScmiEvents.Reset.Issued"/>.</summary>
        public const byte Notify = 0x5;
    }

    /// <summary>Powercap protocol (0x18).</summary>
    public static class Powercap
    {
        /// <summary>POWERCAP_DOMAIN_ATTRIBUTES: bit31 cap, bit30 measurements notifications.</summary>
        public const byte DomainAttributes = 0x3;
        /// <summary>POWERCAP_CAP_GET.</summary>
        public const byte CapGet = 0x4;
        /// <summary>POWERCAP_PAI_GET.</summary>
        public const byte PaiGet = 0x6;
        /// <summary>POWERCAP_MEASUREMENTS_GET.</summary>
        public const byte MeasurementsGet = 0x9;
        /// <summary>POWERCAP_CAP_NOTIFY: enables <see cref="ScmiEvents.Powercap.CapChanged"/>.</summary>
        public const byte CapNotify = 0xA;
        /// <summary>POWERCAP_MEASUREMENTS_NOTIFY: enables <see cref="ScmiEvents.Powercap.MeasurementsChanged"/>.</summary>
        public const byte MeasurementsNotify = 0xB;
    }
}

/// <summary>
/// Notification (event) ids (message type 3) per standard protocol, what <c>Subscribe</c> takes:
/// <c>ScmiEvents.Perf.LevelChanged</c> for PERFORMANCE_LEVEL_CHANGED. Voltage and pin control have none.
/// </summary>
public static class ScmiEvents
{
    /// <summary>Base protocol (0x10).</summary>
    public static class Base
    {
        /// <summary>BASE_ERROR_EVENT.</summary>
        public const byte ErrorEvent = 0;
    }

    /// <summary>Power domain management protocol (0x11).</summary>
    public static class Power
    {
        /// <summary>POWER_STATE_CHANGED.</summary>
        public const byte StateChanged = 0;
    }

    /// <summary>System power management protocol (0x12).</summary>
    public static class System
    {
        /// <summary>SYSTEM_POWER_STATE_NOTIFIER.</summary>
        public const byte PowerStateNotifier = 0;
    }

    /// <summary>Performance domain management protocol (0x13).</summary>
    public static class Perf
    {
        /// <summary>PERFORMANCE_LIMITS_CHANGED.</summary>
        public const byte LimitsChanged = 0;
        /// <summary>PERFORMANCE_LEVEL_CHANGED.</summary>
        public const byte LevelChanged = 1;
    }

    /// <summary>Clock management protocol (0x14).</summary>
    public static class Clock
    {
        /// <summary>CLOCK_RATE_CHANGED.</summary>
        public const byte RateChanged = 0;
        /// <summary>CLOCK_RATE_CHANGE_REQUESTED.</summary>
        public const byte RateChangeRequested = 1;
    }

    /// <summary>Sensor management protocol (0x15).</summary>
    public static class Sensor
    {
        /// <summary>SENSOR_TRIP_POINT_EVENT.</summary>
        public const byte TripPointEvent = 0;
        /// <summary>SENSOR_UPDATE.</summary>
        public const byte Update = 1;
    }

    /// <summary>Reset domain management protocol (0x16).</summary>
    public static class Reset
    {
        /// <summary>RESET_ISSUED.</summary>
        public const byte Issued = 0;
    }

    /// <summary>Powercap protocol (0x18).</summary>
    public static class Powercap
    {
        /// <summary>POWERCAP_CAP_CHANGED.</summary>
        public const byte CapChanged = 0;
        /// <summary>POWERCAP_MEASUREMENTS_CHANGED.</summary>
        public const byte MeasurementsChanged = 1;
    }
}
