namespace ScmiActors.Tests.Cli;

/// <summary>Files of the repository, found by walking up from the test binaries to ScmiActors.sln.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ScmiActors.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"ScmiActors.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => LazyRoot.Value;

    public static string PlatformsConf => Path.Combine(Root, "hocon", "platforms.conf");

    public static string Soc0Capture => Path.Combine(Root, "samples", "ScmiActors.Cli", "captures", "soc0.txt");
}

/// <summary>A temporary file deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(string contents)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"scmi-actors-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(Path, contents);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { File.Delete(Path); } catch (IOException) { }
    }
}
