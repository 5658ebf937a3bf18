using System.Collections.Immutable;

namespace ScmiActors.Wire.Protocols;

/// <summary>
/// The twelve standard notifications of DEN0056 as event descriptors: size rules, source choice
/// and NOTIFY commands follow the Linux SCMI drivers, with the stricter lower-bound checks of
/// DESIGN.md for the variable-length events (BASE_ERROR_EVENT, SENSOR_UPDATE).
/// </summary>
/// <remarks>
/// One file per protocol (Base.cs, Power.cs, System.cs, Perf.cs, Clock.cs, Sensor.cs, Reset.cs,
/// Powercap.cs) holds its report records, its descriptor and its decoders, so adding an event is
/// one edit there (plus its id in ScmiEvents, its schema entry in ScmiMessages.proto, and tests).
/// </remarks>
public static partial class StandardProtocols
{
    /// <summary>Voltage and pin control have no notifications; a description may still list them.</summary>
    public static ProtocolDescriptor Voltage { get; } = new(ScmiProtocolId.Voltage, "voltage", [], sourceCountKey: "domains");

    public static ProtocolDescriptor Pinctrl { get; } = new(ScmiProtocolId.Pinctrl, "pinctrl", []);

    /// <summary>Every standard protocol, by id.</summary>
    public static ImmutableArray<ProtocolDescriptor> All { get; }

    // The descriptors are initialised in the other parts of this class, and the order of static
    // initialisers across partial files is unspecified; a static constructor runs after all of them.
    static StandardProtocols() => All = [Base, Power, System, Perf, Clock, Sensor, Reset, Voltage, Powercap, Pinctrl];
}
