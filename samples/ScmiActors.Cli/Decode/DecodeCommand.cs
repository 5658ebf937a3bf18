using System.Buffers;
using System.Buffers.Binary;
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ScmiActors.Platform;
using ScmiActors.Transport.Recording;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Cli.Decode;

/// <summary>
/// <c>scmi-actors decode --platform-config FILE [--platform ID]</c>: decodes captured raw SCMI
/// messages from standard input with the platform's decoders and writes one JSON object per
/// message line, in input order, to standard output.
/// </summary>
public static class DecodeCommand
{
    public const string Name = "decode";

    /// <summary>One-line description for the root command's listing.</summary>
    public const string Summary = "Decode captured SCMI messages (stdin, one per line) into JSON lines (stdout)";

    /// <summary>Printed after the standard help of <c>decode --help</c>.</summary>
    public const string HelpDetails = """
        Input (standard input), one message per line:
          HEADER [PAYLOAD]   e.g.  0x4F01 01000000 00000000 B0040000
          HEADER    the 32-bit SCMI header in hex, optional 0x (notification: msg_id | 3<<8 | protocol<<10)
          PAYLOAD   the payload bytes in wire order as hex; spaces between groups allowed, each group
                    whole bytes; may be empty. 32-bit fields are little-endian.
          Blank lines and lines starting with # are skipped.
        A recording (run --record FILE, RecordingTransport) is read as well, one message per line:
          T_US DIR HEADER [PAYLOAD]   e.g.  1779540 p2a 0x00004f01 0100000000000000703a0f00
          T_US      decimal microseconds since the recording started; DIR a2p (agent to platform) or p2a
          Its notifications are decoded as above with "t_us" and "dir" first; commands and responses
          are shown, not rejected:
          {"t_us":41,"dir":"a2p","kind":"command","protocol":16,"message":0,"token":1,"payload":""}
          {"t_us":527,"dir":"p2a","kind":"response","protocol":16,"message":0,"token":1,"status":"SUCCESS","values":"00000200"}
          (kind "delayed_response" for type 2). Plain and recorded lines may be mixed.

        Output (standard output), one compact JSON object per message line, in input order:
          {"protocol":19,"event":"PERFORMANCE_LEVEL_CHANGED","source":0,"fields":{"agent_id":1,...}}
          {"error":"payload_too_short","detail":"..."}     a message the decoder rejects; codes:
              payload_too_short, payload_too_long, unknown_protocol, unknown_event,
              source_out_of_range, not_a_notification, reserved_message_type
          {"error":"bad_input_line","detail":"..."}        a line that is not HEADER [PAYLOAD] in hex
        Every message is decoded with timestamp 0 (reports carry a timestamp; the output omits it).

        Exit codes: 0 the input was read (whatever it held); 2 bad command line, or a platform
        description that is missing, unreadable or invalid, or an unknown --platform; 1 reading
        the input or writing the output failed.
        """;

    /// <summary>Timestamp given to every decoded message (reports carry one; the output does not).</summary>
    public const long TimestampNs = 0;

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = false,
        // Details keep apostrophes and non-ASCII text unescaped; still valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Builds the <c>decode</c> subcommand; its action reads <paramref name="input"/>.</summary>
    public static Command Create(TextReader input, TextWriter output, TextWriter error)
    {
        var configOption = new Option<string>("--platform-config")
        {
            Description = "HOCON file with platform descriptions under scmi.platforms (e.g. hocon/platforms.conf)",
            HelpName = "FILE",
            Required = true,
        };
        var platformOption = new Option<string?>("--platform")
        {
            Description = "Platform id under scmi.platforms to decode for (default: the first platform in the file)",
            HelpName = "ID",
        };
        var command = new Command(Name, Summary)
        {
            configOption,
            platformOption,
        };
        command.SetAction(parseResult => Run(input, output, error,
            parseResult.GetValue(configOption)!, parseResult.GetValue(platformOption)));
        return command;
    }

    /// <summary>Loads the description, then decodes every line of <paramref name="input"/>.</summary>
    public static int Run(TextReader input, TextWriter output, TextWriter error, string configPath, string? platformId)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!TryLoadDecoder(configPath, platformId, out var decoder, out var message))
        {
            error.WriteLine($"scmi-actors decode: {message}");
            error.Flush();
            return ExitCodes.Usage;
        }
        try
        {
            DecodeAll(input, output, decoder);
        }
        catch (IOException e)
        {
            error.WriteLine($"scmi-actors decode: input/output failed: {e.Message}");
            error.Flush();
            return ExitCodes.IoFailed;
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Reads <paramref name="configPath"/> and builds the decoder of <paramref name="platformId"/>
    /// (the first platform of the file when null). False with a one-line reason otherwise. The file is
    /// read as the main job reads its config: bounded in size and parse time, a BOM accepted.
    /// </summary>
    public static bool TryLoadDecoder(string configPath, string? platformId, out PlatformDecoder decoder, out string message)
    {
        decoder = null!;
        message = string.Empty;
        string hocon;
        try
        {
            hocon = HoconFile.ReadText(configPath);
        }
        catch (ConfigFileException e)
        {
            message = $"cannot read platform description {e.Message}";
            return false;
        }
        try
        {
            var config = HoconFile.Parse(hocon, configPath);
            platformId ??= PlatformDescriptionLoader.PlatformIds(config).FirstOrDefault()
                ?? throw new PlatformDescriptionException($"no platform under {PlatformDescriptionLoader.PlatformsPath}");
            decoder = new PlatformDecoder(PlatformDescriptionLoader.Load(config, platformId), ProtocolCatalogs.Default);
            return true;
        }
        catch (ConfigFileException e)
        {
            message = $"invalid platform description {e.Message}";
            return false;
        }
        catch (Exception e)
        {
            // The loader promises PlatformDescriptionException for every mistake; anything else is
            // still an unusable description for this command, so say so instead of crashing.
            message = e is PlatformDescriptionException
                ? $"invalid platform description '{configPath}': {e.Message}"
                : $"invalid platform description '{configPath}': {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>Writes one JSON line per message line of <paramref name="input"/>, flushing after each.</summary>
    public static void DecodeAll(TextReader input, TextWriter output, PlatformDecoder decoder)
    {
        var formatter = new LineFormatter(decoder);
        while (input.ReadLine() is { } line)
        {
            if (formatter.Format(line) is not { } json) continue;
            output.Write(json);
            output.Write('\n');
            output.Flush();
        }
    }

    /// <summary>The JSON object for one line, or null for a blank or comment line.</summary>
    public static string? DecodeLine(PlatformDecoder decoder, string line) => new LineFormatter(decoder).Format(line);

    /// <summary>Formats lines into JSON, reusing one buffer and writer.</summary>
    private sealed class LineFormatter(PlatformDecoder decoder)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);
        private Utf8JsonWriter? _writer;

        public string? Format(string line)
        {
            if (CaptureLine.IsSkipped(line)) return null;
            _buffer.ResetWrittenCount();
            if (_writer is null) _writer = new Utf8JsonWriter(_buffer, JsonOptions);
            else _writer.Reset(_buffer);

            if (RecordingLine.LooksLikeRecording(line))
            {
                if (!RecordingLine.TryParse(line, out var recorded, out var recordError)) WriteError(_writer, "bad_input_line", recordError);
                else FormatRecorded(_writer, recorded);
            }
            else if (!CaptureLine.TryParse(line, out var header, out var payload, out var parseError))
            {
                WriteError(_writer, "bad_input_line", parseError);
            }
            else
            {
                var result = decoder.Decode(header, payload, TimestampNs);
                if (result.IsSuccess) WriteReport(_writer, decoder, result.Report!);
                else WriteError(_writer, result.Code, result.Detail);
            }
            _writer.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }

        /// <summary>A recorded line: notifications decoded as plain lines are, commands and responses shown.</summary>
        private void FormatRecorded(Utf8JsonWriter writer, RecordedMessage m)
        {
            var type = ScmiHeader.TypeOf(m.Header);
            var kind = (m.Direction, type) switch
            {
                (RecordedDirection.A2P, MessageType.Command) => "command",
                (RecordedDirection.P2A, MessageType.Command) => "response",
                (RecordedDirection.P2A, MessageType.DelayedResponse) => "delayed_response",
                (RecordedDirection.P2A, MessageType.Notification) => "notification",
                _ => null,
            };
            if (kind is null)
            {
                WriteError(writer, "bad_input_line", $"an {RecordingLine.Name(m.Direction)} message of type {(int)type} (header 0x{m.Header:x8})");
                return;
            }
            if (kind == "notification")
            {
                var result = decoder.Decode(m.Header, m.Payload, TimestampNs);
                if (result.IsSuccess) WriteReport(writer, decoder, result.Report!, m);
                else WriteError(writer, result.Code, result.Detail, m);
                return;
            }
            if (kind != "command" && m.Payload.Length < 4)
            {
                WriteError(writer, "response_too_short", $"a {kind} of {m.Payload.Length} bytes has no int32 status", m);
                return;
            }
            writer.WriteStartObject();
            WriteWhen(writer, m);
            writer.WriteString("kind", kind);
            writer.WriteNumber("protocol", ScmiHeader.ProtocolOf(m.Header));
            writer.WriteNumber("message", ScmiHeader.MessageIdOf(m.Header));
            writer.WriteNumber("token", ScmiHeader.TokenOf(m.Header));
            if (kind == "command")
            {
                writer.WriteString("payload", Convert.ToHexStringLower(m.Payload));
            }
            else
            {
                writer.WriteString("status", ((ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(m.Payload)).ToScmiName());
                writer.WriteString("values", Convert.ToHexStringLower(m.Payload.AsSpan(4)));
            }
            writer.WriteEndObject();
        }

        private static void WriteWhen(Utf8JsonWriter writer, RecordedMessage? m)
        {
            if (m is null) return;
            writer.WriteNumber("t_us", m.TimeUs);
            writer.WriteString("dir", RecordingLine.Name(m.Direction));
        }

        private static void WriteReport(Utf8JsonWriter writer, PlatformDecoder decoder, ScmiReport report, RecordedMessage? recorded = null)
        {
            writer.WriteStartObject();
            WriteWhen(writer, recorded);
            writer.WriteNumber("protocol", report.Protocol);
            writer.WriteString("event", decoder.FindEvent(report.Protocol, report.Event)?.Name ?? $"EVENT_{report.Event}");
            writer.WriteNumber("source", report.Source);
            writer.WriteStartObject("fields");
            report.WriteFields(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        private static void WriteError(Utf8JsonWriter writer, string code, string detail, RecordedMessage? recorded = null)
        {
            writer.WriteStartObject();
            WriteWhen(writer, recorded);
            writer.WriteString("error", code);
            writer.WriteString("detail", detail);
            writer.WriteEndObject();
        }
    }
}
