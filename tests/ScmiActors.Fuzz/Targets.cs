using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using ScmiActors.Cli.Decode;
using ScmiActors.Platform;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;
using ScmiActors.Wire.Vendor;

namespace ScmiActors.Fuzz;

/// <summary>One fuzz target per input surface. Each returns normally on any input its surface must accept or reject; a throw is a finding.</summary>
public static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["decode"] = Decode,
        ["gate"] = GateTarget.Run,
        ["config"] = Config,
        ["capture-line"] = CaptureLineTarget,
    };

    /// <summary>
    /// Every protocol with notifications plus voltage (none) and the i.MX BBM vendor protocol, with
    /// small source counts and multi-axis sensors, so the source-range and axis rules are reachable.
    /// </summary>
    public static PlatformDescription Platform(string id, ushort systemMajor)
    {
        PlatformProtocol P(byte protocol, ushort major, uint sources) => PlatformProtocol.Create(protocol, new ProtocolVersion(major, 0), sources);
        var protocols = new[]
        {
            P(ScmiProtocolId.Base, 2, 0),
            P(ScmiProtocolId.Power, 3, 8),
            P(ScmiProtocolId.System, systemMajor, 0),
            P(ScmiProtocolId.Perf, 4, 4),
            P(ScmiProtocolId.Clock, 3, 8),
            // Sensor 5 has 3 axes, sensor 6 the maximum; the others are scalar.
            P(ScmiProtocolId.Sensor, 3, 8) with { SensorAxes = ImmutableDictionary<uint, int>.Empty.Add(5, 3).Add(6, PlatformProtocol.MaxSensorAxes) },
            P(ScmiProtocolId.Reset, 3, 6),
            P(ScmiProtocolId.Voltage, 2, 2),
            P(ScmiProtocolId.Powercap, 2, 4) with { MeasurementThresholds = (0x100, 0x20000) },
            P(ImxBbm.ProtocolId, 1, 0),
        };
        return new PlatformDescription(id, "in-memory", protocols.ToImmutableSortedDictionary(p => p.ProtocolId, p => p));
    }

    // Built on first use, inside the fuzz loop: instrumented code run before SharpFuzz has mapped
    // AFL's coverage memory dies with an access violation.
    internal static PlatformDecoder DecoderV2 => Decoders.V2;
    internal static PlatformDecoder DecoderV1 => Decoders.V1;

    private static class Decoders
    {
        public static readonly PlatformDecoder V2 = new(Platform("fuzz", 2), ProtocolCatalogs.Default);
        public static readonly PlatformDecoder V1 = new(Platform("fuzz-v1", 1), ProtocolCatalogs.Default);
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_json;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>Input: header (4 bytes, little-endian, zero-padded when shorter), then the payload.</summary>
    private static void Decode(byte[] input)
    {
        Span<byte> headerBytes = stackalloc byte[4];
        input.AsSpan(0, Math.Min(4, input.Length)).CopyTo(headerBytes);
        var header = BinaryPrimitives.ReadUInt32LittleEndian(headerBytes);
        var payload = input.AsSpan(Math.Min(4, input.Length));

        // The header codec: parse and encode give back every bit but the reserved ones.
        Check(ScmiHeader.Parse(header).Encode() == (header & 0x0FFF_FFFF), "header does not round-trip");

        // Both system-power versions: v1 and v2 differ in the notifier's size rule.
        CheckDecode(DecoderV2, header, payload);
        CheckDecode(DecoderV1, header, payload);
    }

    /// <summary>Decodes one message and checks what a report promises; also formats it as decode's output does.</summary>
    internal static void CheckDecode(PlatformDecoder decoder, uint header, ReadOnlySpan<byte> payload)
    {
        var result = decoder.Decode(header, payload, 42);
        if (!result.IsSuccess)
        {
            Check(result.Error != DecodeError.None, "no report and no error");
            Check(!string.IsNullOrEmpty(result.Detail) && result.Code != "unknown_error", "rejection without a reason");
            return;
        }
        var report = result.Report!;
        Check(ScmiHeader.TypeOf(header) == MessageType.Notification, "a report from a message that is not a notification");
        Check(report.Protocol == ScmiHeader.ProtocolOf(header) && report.Event == ScmiHeader.MessageIdOf(header), "report names another event than the header");
        Check(report.TimestampNs == 42 && report.PlatformId == decoder.Description.PlatformId, "report lost its stamp or platform");
        var evt = decoder.FindEvent(report.Protocol, report.Event)!;
        Check(payload.Length <= evt.MaxPayload, $"accepted {payload.Length} bytes, MaxPayload {evt.MaxPayload} (the gate would have dropped it)");
        Check(report.Source < evt.SourceCount(decoder.Description.Protocols[report.Protocol]), $"source {report.Source} out of range accepted");

        var json = t_json ??= new ArrayBufferWriter<byte>(512);
        json.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(json);
        writer.Reset(json);
        writer.WriteStartObject();
        report.WriteFields(writer);
        writer.WriteEndObject();
        writer.Flush();
        _ = report.ToString();
    }

    /// <summary>
    /// The largest description the target reads. Real ones are a few KB (hocon/platforms.conf is
    /// 1.5 KB); the bound keeps each execution short, as the CLI's parse timeout bounds its parse.
    /// </summary>
    public const int MaxConfigBytes = 16 * 1024;

    /// <summary>Input: HOCON text (UTF-8). The loader's only documented failure is <see cref="PlatformDescriptionException"/>.</summary>
    private static void Config(byte[] input)
    {
        if (input.Length > MaxConfigBytes) return;
        var text = Encoding.UTF8.GetString(input);
        if (HoconHang.IsKnownHang(text)) return;
        PlatformDescription description;
        try
        {
            description = PlatformDescriptionLoader.Parse(text);
        }
        catch (PlatformDescriptionException)
        {
            return;
        }
        // What the loader promises of a description it accepts, and what decode builds from it.
        foreach (var (id, protocol) in description.Protocols)
        {
            Check(id == protocol.ProtocolId, "protocol keyed under another id");
            foreach (var (sensor, axes) in protocol.SensorAxes)
                Check(sensor < protocol.SourceCount && axes is >= 1 and <= PlatformProtocol.MaxSensorAxes, $"sensor {sensor} with {axes} axes accepted");
            Check(protocol.QueueBytes is null or (>= 64 and <= Ingestion.ProtocolRing.MaxBudgetBytes), $"queue-bytes {protocol.QueueBytes} accepted");
            Check(protocol.RateLimit is null or >= 1, $"rate-limit {protocol.RateLimit} accepted");
        }
        _ = new PlatformDecoder(description, ProtocolCatalogs.Default);
    }

    /// <summary>Input: text, one capture line per '\n'. Every line either parses and round-trips, or is rejected with a reason; decode's JSON line is valid JSON.</summary>
    private static void CaptureLineTarget(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        foreach (var line in text.Split('\n'))
        {
            var skipped = CaptureLine.IsSkipped(line);
            var ok = CaptureLine.TryParse(line, out var header, out var payload, out var error);
            Check(!(skipped && ok), "a skipped line parsed as a message");
            if (ok)
            {
                Check(error.Length == 0, "success with an error text");
                // Canonical form: what the parser read must read back the same.
                var canonical = $"0x{header:X8} {Convert.ToHexString(payload)}";
                Check(CaptureLine.TryParse(canonical, out var header2, out var payload2, out _) && header2 == header && payload2.AsSpan().SequenceEqual(payload),
                    $"'{canonical}' does not read back");
            }
            else
            {
                Check(error.Length > 0 && header == 0 && payload.Length == 0, "failure without a reason, or with output");
            }
            var json = DecodeCommand.DecodeLine(DecoderV2, line);
            Check((json is null) == skipped, "a skipped line produced output, or a message line none");
            if (json is not null)
            {
                using var doc = JsonDocument.Parse(json);
                var badLine = doc.RootElement.TryGetProperty("error", out var code) && code.GetString() == "bad_input_line";
                Check(badLine != ok, "decode's output disagrees with the parser");
            }
        }
    }

    internal static void Check(bool condition, string what)
    {
        if (!condition) throw new FuzzInvariantException(what);
    }
}

/// <summary>A broken promise found by a target: a finding, like any other exception.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
