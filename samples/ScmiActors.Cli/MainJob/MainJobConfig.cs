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
/// </summary>
public sealed record MainJobConfig(IReadOnlyList<PlatformDescription> Descriptions, EmulatorScenario Scenario)
{
    private const string Embedded = "(embedded platforms.conf)";

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

        try
        {
            return new MainJobConfig(descriptions, EmulatorScenario.Load(config));
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
