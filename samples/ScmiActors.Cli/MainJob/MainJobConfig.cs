using Akka.Configuration;
using ScmiActors.Emulator;
using ScmiActors.Platform;
using ScmiActors.Wire;
using ScmiActors.Wire.Catalogs;

namespace ScmiActors.Cli.MainJob;

/// <summary>
/// The main job's configuration: the platform descriptions and the emulator scenario, read from
/// <c>--config</c> (or the embedded hocon/platforms.conf) and checked completely before anything
/// starts, so every mistake is one <see cref="ConfigFileException"/> line naming the file.
/// A platform with <c>transport = raw</c> is a real board's SCMI instance in Linux raw mode, at
/// <c>raw-path</c> (default <see cref="DefaultRawPath"/>), instead of an emulated one; a configuration
/// lists either kind, not both.
/// </summary>
/// <param name="RawPaths">Platform id → raw-mode instance directory, for the <c>transport = raw</c> platforms; empty otherwise.</param>
public sealed record MainJobConfig(IReadOnlyList<PlatformDescription> Descriptions, EmulatorScenario Scenario, IReadOnlyDictionary<string, string> RawPaths)
{
    private const string Embedded = "(embedded platforms.conf)";

    public const string RawTransport = "raw";
    public const string DefaultRawPath = "/sys/kernel/debug/scmi/0";

    public static MainJobConfig Load(string? path)
    {
        var text = path is null ? ScmiSettings.ReadResource("ScmiActors.platforms.conf") : HoconFile.ReadText(path);
        var name = path ?? Embedded;
        return FromConfig(HoconFile.Parse(text, name), text, name);
    }

    private static MainJobConfig FromConfig(Config config, string text, string name)
    {
        string At(string message)
        {
            // Messages start with the HOCON path they are about: point at its line when it is in the file.
            var colon = message.IndexOf(':');
            var line = colon > 0 ? HoconFile.LineOfKey(text, message[..colon]) : null;
            return line is null ? $"{name}: {message}" : $"{name}:{line}: {message}";
        }

        IReadOnlyList<PlatformDescription> descriptions;
        try
        {
            descriptions = PlatformDescriptionLoader.LoadAll(config);
        }
        catch (PlatformDescriptionException e)
        {
            throw new ConfigFileException(At(e.Message));
        }
        if (descriptions.Count == 0) throw new ConfigFileException($"{name}: describes no platform under {PlatformDescriptionLoader.PlatformsPath}");
        foreach (var d in descriptions)
        foreach (var p in d.Protocols.Values)
        {
            if (p.SourceCount <= EmulatedPlatform.MaxSources) continue;
            var descriptor = ProtocolCatalogs.Default.Find(p.ProtocolId);
            var key = $"{PlatformDescriptionLoader.PlatformsPath}.{d.PlatformId}.protocols.{descriptor?.Name}.{descriptor?.SourceCountKey}";
            throw new ConfigFileException(At($"{key}: {p.SourceCount}, above the emulator's limit of {EmulatedPlatform.MaxSources}"));
        }

        var raw = descriptions.Where(d => d.Transport == RawTransport).ToList();
        if (raw.Count > 0 && raw.Count < descriptions.Count)
            throw new ConfigFileException(At($"{PlatformDescriptionLoader.PlatformsPath}.{raw[0].PlatformId}.transport: raw-mode platforms (a real board) " +
                                             $"and emulated ones ({descriptions.First(d => d.Transport != RawTransport).PlatformId}) cannot run together"));
        var rawPaths = new Dictionary<string, string>();
        foreach (var d in raw)
        {
            var key = $"{PlatformDescriptionLoader.PlatformsPath}.{d.PlatformId}.raw-path";
            try
            {
                rawPaths[d.PlatformId] = config.HasPath(key) ? config.GetString(key) : DefaultRawPath;
            }
            catch (Exception e)
            {
                throw new ConfigFileException(At($"{key}: expected a path ({e.Message.ReplaceLineEndings(" ")})"));
            }
            if (string.IsNullOrWhiteSpace(rawPaths[d.PlatformId])) throw new ConfigFileException(At($"{key}: must not be empty"));
        }

        try
        {
            return new MainJobConfig(descriptions, EmulatorScenario.Load(config), rawPaths);
        }
        catch (ArgumentException e)
        {
            // "emulator scenario: unknown key 'x' ...": point at the key's line when it can be found.
            var key = e.Message.Split('\'') is [_, var k, ..] ? $"{EmulatorScenario.ConfigPath}.{k}" : EmulatorScenario.ConfigPath;
            var line = HoconFile.LineOfKey(text, key);
            throw new ConfigFileException(line is null ? $"{name}: {OneLine(e.Message)}" : $"{name}:{line}: {OneLine(e.Message)}");
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
