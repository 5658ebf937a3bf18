using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ScmiActors.Wire.Vendor;
using Xunit;

namespace ScmiActors.Wire.Tests;

/// <summary>Header round trips and the never-throws contract of the decoder on arbitrary input.</summary>
public class WireProperties
{
    private static readonly Gen<(byte Id, MessageType Type, byte Proto, ushort Token, uint Reserved)> HeaderFields =
        from id in Gens.Byte
        from type in Gen.Choose(0, 3)
        from proto in Gens.Byte
        from token in Gen.Choose(0, ScmiHeader.MaxToken)
        from reserved in Gen.Choose(0, 15)
        select (id, (MessageType)type, proto, (ushort)token, (uint)reserved);

    [Property(MaxTest = 1000)]
    public Property Header_round_trips_every_field() => Prop.ForAll(HeaderFields.ToArbitrary(), f =>
    {
        var header = new ScmiHeader(f.Id, f.Type, f.Proto, f.Token);
        var raw = header.Encode();
        Assert.Equal(WireModel.Header(f.Proto, f.Id, (uint)f.Type, f.Token), raw);
        Assert.Equal(header, ScmiHeader.Parse(raw));
        Assert.Equal(header, ScmiHeader.Parse(raw | f.Reserved << 28));
        Assert.Equal(f.Id, ScmiHeader.MessageIdOf(raw));
        Assert.Equal(f.Type, ScmiHeader.TypeOf(raw));
        Assert.Equal(f.Proto, ScmiHeader.ProtocolOf(raw));
        Assert.Equal(f.Token, ScmiHeader.TokenOf(raw));
    });

    [Property(MaxTest = 1000)]
    public Property Encode_of_parse_drops_only_the_reserved_bits() => Prop.ForAll(Gens.U32.ToArbitrary(), raw =>
        Assert.Equal(raw & 0x0FFF_FFFFu, ScmiHeader.Parse(raw).Encode()));

    [Property(MaxTest = 1000)]
    public Property A_wide_token_is_masked_and_touches_no_other_field() => Prop.ForAll(
        (from f in HeaderFields from token in Gen.Choose(0, ushort.MaxValue) select (f, token: (ushort)token)).ToArbitrary(),
        t =>
        {
            var parsed = ScmiHeader.Parse(new ScmiHeader(t.f.Id, t.f.Type, t.f.Proto, t.token).Encode());
            Assert.Equal(new ScmiHeader(t.f.Id, t.f.Type, t.f.Proto, (ushort)(t.token & 0x3FF)), parsed);
        });

    // ---- arbitrary input never throws --------------------------------------------------------

    private static readonly (byte Proto, byte Id)[] KnownEvents =
    [
        (ScmiProtocolId.Base, ScmiEvents.Base.ErrorEvent), (ScmiProtocolId.Power, ScmiEvents.Power.StateChanged), (ScmiProtocolId.System, ScmiEvents.System.PowerStateNotifier),
        (ScmiProtocolId.Perf, ScmiEvents.Perf.LimitsChanged), (ScmiProtocolId.Perf, ScmiEvents.Perf.LevelChanged), (ScmiProtocolId.Clock, ScmiEvents.Clock.RateChanged), (ScmiProtocolId.Clock, ScmiEvents.Clock.RateChangeRequested),
        (ScmiProtocolId.Sensor, ScmiEvents.Sensor.TripPointEvent), (ScmiProtocolId.Sensor, ScmiEvents.Sensor.Update), (ScmiProtocolId.Reset, ScmiEvents.Reset.Issued),
        (ScmiProtocolId.Powercap, ScmiEvents.Powercap.CapChanged), (ScmiProtocolId.Powercap, ScmiEvents.Powercap.MeasurementsChanged), (ImxBbm.ProtocolId, ImxBbm.Events.Rtc), (ImxBbm.ProtocolId, ImxBbm.Events.Button),
        (ScmiProtocolId.Voltage, 0), (ScmiProtocolId.Perf, 2),
    ];

    private static readonly int[] InterestingLengths =
        [0, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 55, 56, 57, 1015, 1016, 1017, 8199, 8200, 8201];

    private static readonly Gen<uint> AnyHeader = Gens.Frequency(
        (1, Gens.U32),
        (4, from e in Gen.Elements(KnownEvents)
            from token in Gen.Choose(0, 0x3FF)
            from reserved in Gen.Choose(0, 15)
            from type in Gens.Frequency((6, Gen.Constant(3)), (1, Gen.Choose(0, 2)))
            select WireModel.Header(e.Proto, e.Id, (uint)type, (uint)token, (uint)reserved)));

    private static readonly Gen<byte[]> AnyPayload =
        from length in Gens.Frequency((2, Gen.Choose(0, 2000)), (3, Gen.Elements(InterestingLengths)))
        from bytes in Gen.ArrayOf(Gens.Byte, length)
        from smallSource in Gens.Frequency((1, Gen.Constant(-1)), (2, Gen.Choose(0, 9)))
        from smallCount in Gens.Frequency((1, Gen.Constant(-1)), (1, Gen.Choose(0, 70)))
        select Shape(bytes, smallSource, smallCount);

    /// <summary>Makes random bytes reach the decoders' deeper branches: a plausible source and count.</summary>
    private static byte[] Shape(byte[] bytes, int source, int count)
    {
        if (source >= 0 && bytes.Length >= 8) WireModel.Put(bytes, 4, (uint)source);
        if (count >= 0 && bytes.Length >= 8 && source < 0) WireModel.Put(bytes, 4, (uint)count | (bytes[7] & 0x80u) << 24);
        return bytes;
    }

    [Property(MaxTest = 2000)]
    public Property Arbitrary_messages_never_throw_and_always_explain_themselves() => Prop.ForAll(
        (from header in AnyHeader
         from payload in AnyPayload
         from v1 in Gens.Bool
         select (header, payload, v1)).ToArbitrary(),
        t =>
        {
            var decoder = t.v1 ? TestPlatforms.DecoderV1 : TestPlatforms.Decoder;
            var result = decoder.Decode(t.header, t.payload, 42);
            if (result.IsSuccess)
            {
                Assert.NotNull(result.Report);
                Assert.Equal(DecodeError.None, result.Error);
                Assert.Equal(MessageType.Notification, ScmiHeader.TypeOf(t.header));
                Assert.Equal(ScmiHeader.ProtocolOf(t.header), result.Report.Protocol);
                Assert.Equal(ScmiHeader.MessageIdOf(t.header), result.Report.Event);
                Assert.Equal(decoder.Description.PlatformId, result.Report.PlatformId);
                Assert.Equal(42, result.Report.TimestampNs);
                Assert.True(t.payload.Length <= decoder.FindEvent(result.Report.Protocol, result.Report.Event)!.MaxPayload);
            }
            else
            {
                Assert.Null(result.Report);
                Assert.NotEqual(DecodeError.None, result.Error);
                Assert.False(string.IsNullOrEmpty(result.Code));
                Assert.NotEqual("unknown_error", result.Code);
                Assert.False(string.IsNullOrWhiteSpace(result.Detail));
            }
        });
}
