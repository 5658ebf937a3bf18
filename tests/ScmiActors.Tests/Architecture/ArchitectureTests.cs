using Mono.Cecil;
using ScmiActors.Tests.Architecture.BodyOnly;
using Xunit;

namespace ScmiActors.Tests.Architecture;

// The layers of issue 11 §2, lowest first; docs/architecture.md describes each. The data path
// (wire format, transport, ingestion) sits below the control path (dispatch, subscriptions, platform),
// hosting is on top, and Wire and Transport stay Akka-free so a transport or the emulator can live
// without actors. A namespace may depend only on namespaces in strictly lower layers, so the graph
// has no cycles and siblings in one layer stay independent.
public sealed class ArchitectureTests
{
    private static readonly string[][] Layers =
    [
        ["ScmiActors.Wire"],                          // 0 header, status, descriptors, decoder
        ["ScmiActors.Wire.Protocols"],                // 1 the standard protocols' reports and decoders
        ["ScmiActors.Wire.Vendor"],                   // 2 vendor protocols
        ["ScmiActors.Wire.Catalogs"],                 // 3 catalogs that name protocols, so the core need not
        ["ScmiActors.Transport"],                     // 4 the agent's end of a channel
        ["ScmiActors.Transport.Smt", "ScmiActors.Transport.Raw", "ScmiActors.Transport.Recording"], // 5 siblings, independent: the SMT link (both ends) | Linux SCMI raw mode | recording decorator
        ["ScmiActors.Emulator.Profiles"],             // 5b firmware profiles: a layer the emulator's SMT host puts around it (knows no EmulatedPlatform)
        ["ScmiActors.Emulator", "ScmiActors.Emulator.Replay", "ScmiActors"], // 6 siblings, independent: emulator | replay of a recording over SMT | root: settings, PlatformOptions, PlatformStartException
        ["ScmiActors.Messages"],                      // 7 the public message protocol
        ["ScmiActors.Ingestion"],                     // 8
        ["ScmiActors.Diagnostics"],                   // 9
        ["ScmiActors.Dispatch"],                      // 10
        ["ScmiActors.Subscriptions"],                 // 11
        ["ScmiActors.Platform"],                      // 12
        ["ScmiActors.Serialization.Proto"],           // 13 protoc-generated
        ["ScmiActors.Serialization"],                 // 14
        ["ScmiActors.Hosting"],                       // 15
    ];

    private static readonly Dictionary<string, int> LayerOf = Layers
        .SelectMany((names, layer) => names.Select(n => (n, layer)))
        .ToDictionary(x => x.n, x => x.layer, StringComparer.Ordinal);

    private static readonly string[] AssemblyNames = ["ScmiActors.Wire", "ScmiActors.Transport", "ScmiActors.Emulator", "ScmiActors"];

    private static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly + ".dll");

    private static readonly Lazy<NamespaceGraph> Graph = new(() => NamespaceGraph.Load(AssemblyNames.Select(PathOf)));

    private static string Line((string From, string To) edge, string example) => $"{edge.From} -> {edge.To} ({example})";

    [Fact]
    public void The_assemblies_are_found_and_the_graph_is_not_empty()
    {
        Assert.All(AssemblyNames, a => Assert.True(File.Exists(PathOf(a)), $"{PathOf(a)} is missing"));
        var graph = Graph.Value;
        // Edges every layout keeps: the rules below must have something to check.
        Assert.Contains(("ScmiActors.Wire.Protocols", "ScmiActors.Wire"), graph.Edges.Keys);
        Assert.Contains(("ScmiActors.Emulator", "ScmiActors.Transport"), graph.Edges.Keys);
        Assert.Contains("ScmiActors.Transport", graph.Namespaces);
    }

    /// <summary>
    /// The fixture's only reference to this namespace is a typeof inside a lambda, i.e. in the body of
    /// a method of a compiler-generated nested class. The test assembly, not the library, is read so the
    /// case cannot disappear when the library changes; the second graph, without bodies, shows the edge
    /// comes from the body and from nowhere else.
    /// </summary>
    [Fact]
    public void The_graph_reads_method_bodies_of_generated_types()
    {
        var tests = typeof(ArchitectureTests).Assembly.Location;
        var edge = (typeof(BodyOnlyProbe).Namespace!, typeof(ArchitectureTests).Namespace!);

        Assert.Equal("BodyOnlyProbe.NameOfTheTests -> ArchitectureTests", NamespaceGraph.Load([tests]).Edges[edge]);
        Assert.DoesNotContain(edge, NamespaceGraph.Load([tests], readMethodBodies: false).Edges.Keys);
    }

    [Fact]
    public void Tarjan_finds_every_cycle_and_nothing_else()
    {
        var edges = new Dictionary<string, string[]>
        {
            ["a"] = ["b"], ["b"] = ["c"], ["c"] = ["a", "d"], ["d"] = ["e"], ["e"] = ["d"], ["f"] = ["a"],
        };
        var components = NamespaceGraph.StronglyConnectedComponents(edges.Keys.ToList(), n => edges[n]);

        Assert.Equal(["a,b,c", "d,e", "f"], components.Select(c => string.Join(",", c)).Order());
    }

    [Fact]
    public void There_is_no_namespace_cycle()
    {
        var graph = Graph.Value;
        var cycles = graph.Cycles().Select(c =>
            $"cycle {string.Join(" <-> ", c)}:\n" + string.Join("\n", graph.Edges
                .Where(e => c.Contains(e.Key.From) && c.Contains(e.Key.To))
                .Select(e => "  " + Line(e.Key, e.Value))))
            .ToList();

        Assert.True(cycles.Count == 0, $"{cycles.Count} namespace cycle(s):\n{string.Join("\n", cycles)}");
    }

    [Fact]
    public void Every_namespace_is_placed_in_a_layer()
    {
        var unplaced = Graph.Value.Namespaces.Where(n => !LayerOf.ContainsKey(n)).ToList();

        Assert.True(unplaced.Count == 0, $"{unplaced.Count} namespace(s) in no layer of ArchitectureTests.Layers:\n{string.Join("\n", unplaced)}");
    }

    [Fact]
    public void The_layer_table_names_no_namespace_that_is_gone()
    {
        var stale = LayerOf.Keys.Where(n => !Graph.Value.Namespaces.Contains(n)).Order(StringComparer.Ordinal).ToList();

        Assert.True(stale.Count == 0, $"{stale.Count} layer table entr(y/ies) with no type in the assemblies:\n{string.Join("\n", stale)}");
    }

    /// <summary>Edges with an unplaced end are left to <see cref="Every_namespace_is_placed_in_a_layer"/>.</summary>
    [Fact]
    public void Every_dependency_goes_to_a_strictly_lower_layer()
    {
        var upward = Graph.Value.Edges
            .Where(e => LayerOf.TryGetValue(e.Key.From, out var from) && LayerOf.TryGetValue(e.Key.To, out var to) && to >= from)
            .Select(e => $"{Line(e.Key, e.Value)} [layer {LayerOf[e.Key.From]} -> {LayerOf[e.Key.To]}]")
            .ToList();

        Assert.True(upward.Count == 0, $"{upward.Count} dependenc(y/ies) not to a lower layer:\n{string.Join("\n", upward)}");
    }

    [Theory]
    [InlineData("ScmiActors.Wire")]
    [InlineData("ScmiActors.Transport")]
    public void The_data_path_assemblies_reference_no_akka_assembly(string assembly)
    {
        using var definition = AssemblyDefinition.ReadAssembly(PathOf(assembly));
        var references = definition.Modules.SelectMany(m => m.AssemblyReferences).Select(r => r.Name).ToList();

        Assert.NotEmpty(references); // System.Runtime at least: the list was read
        Assert.DoesNotContain(references, r => r == "Akka" || r.StartsWith("Akka.", StringComparison.Ordinal));
    }
}
