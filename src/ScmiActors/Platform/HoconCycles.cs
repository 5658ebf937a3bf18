using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ScmiActors.Platform;

/// <summary>
/// Akka's HOCON parser (1.5.74) resolves <c>${x}</c> to the node at <c>x</c> even when that node is
/// the value holding the substitution, or leads back to it through other substitutions
/// (<c>a = ${a}</c>, <c>a = ${b}, b = ${a}</c>, <c>a { b = ${a} }</c>). Reading such a value then
/// recurses until the process dies of a stack overflow, which no catch can stop. HOCON's own rule for
/// a self-reference (the key's earlier value) is not implemented, so every such cycle is refused after
/// parsing, before anything reads the configuration.
/// </summary>
public static class HoconCycles
{
    /// <summary>
    /// The path written in a substitution that leads back to a value it is part of, or null when there
    /// is none. Iterative, so a deeply nested configuration cannot overflow the stack here either.
    /// </summary>
    public static string? FindSubstitutionCycle(Config config) =>
        config.Root is { } root ? FindSubstitutionCycle(root) : null;

    /// <inheritdoc cref="FindSubstitutionCycle(Config)"/>
    public static string? FindSubstitutionCycle(HoconValue root)
    {
        // Depth-first over values; a value met again while it is still on the path closes a cycle.
        var onPath = new Dictionary<HoconValue, int>(ReferenceEqualityComparer.Instance);
        var done = new HashSet<HoconValue>(ReferenceEqualityComparer.Instance);
        var path = new List<(HoconValue Value, string? Via, IEnumerator<(HoconValue, string?)> Children)>();

        void Enter(HoconValue value, string? via)
        {
            onPath[value] = path.Count;
            path.Add((value, via, Children(value).GetEnumerator()));
        }

        Enter(root, null);
        while (path.Count > 0)
        {
            var (value, _, children) = path[^1];
            if (!children.MoveNext())
            {
                path.RemoveAt(path.Count - 1);
                onPath.Remove(value);
                done.Add(value);
                continue;
            }
            var (child, via) = children.Current;
            if (done.Contains(child)) continue;
            if (onPath.TryGetValue(child, out var start))
            {
                // The cycle runs from child's place on the path to here; name its last substitution.
                if (via is not null) return via;
                for (var i = path.Count - 1; i > start; i--)
                    if (path[i].Via is { } substitution) return substitution;
                continue; // unreachable: plain nesting cannot lead back up
            }
            Enter(child, via);
        }
        return null;
    }

    /// <summary>The one-line reason for a cycle found by <see cref="FindSubstitutionCycle(Config)"/>.</summary>
    public static string Describe(string substitution) => substitution.Length > 0
        ? $"the substitution ${{{substitution}}} refers back to itself"
        // Akka's tokenizer ends a substitution's path at '?', so ${?x} is read as ${} (the root) then text.
        : "a substitution names the whole configuration that holds it (Akka 1.5 reads ${?path} as ${}; optional substitutions are not supported)";

    /// <summary>A value's children, with the substitution path for edges that are substitutions.</summary>
    private static IEnumerable<(HoconValue, string?)> Children(HoconValue value)
    {
        foreach (var element in value.Values)
        {
            switch (element)
            {
                case HoconObject obj:
                    foreach (var item in obj.Items.Values) yield return (item, null);
                    break;
                case HoconArray array:
                    foreach (var item in array) yield return (item, null);
                    break;
                case HoconSubstitution { ResolvedValue: { } resolved } substitution:
                    yield return (resolved, substitution.Path);
                    break;
            }
        }
    }
}
