using SharpFuzz;

namespace ScmiActors.Fuzz;

/// <summary>
/// AFL++ entry point: <c>dotnet ScmiActors.Fuzz.dll TARGET</c> under afl-fuzz (see fuzz/run), or
/// <c>dotnet ScmiActors.Fuzz.dll TARGET FILE|DIR...</c> to replay inputs without AFL (a crash's
/// reproduction, or a check that every seed passes). A target signals a finding by throwing.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: ScmiActors.Fuzz <{string.Join('|', Targets.All.Keys)}> [FILE|DIR...]");
            return 2;
        }
        if (args.Length == 1)
        {
            // Persistent: one process runs many inputs, so the runtime starts once, not per input.
            Fuzzer.OutOfProcess.Run(stream => target(ReadAll(stream)));
            return 0;
        }
        return Replay(target, args[1..]);
    }

    private static int Replay(Action<byte[]> target, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order() : (IEnumerable<string>)[p]).ToList();
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failed++;
                Console.Error.WriteLine($"{file}: {e}");
            }
        }
        Console.WriteLine($"replayed {files.Count} inputs, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
