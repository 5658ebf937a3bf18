using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using ScmiActors.Emulator;
using ScmiActors.Hosting;
using ScmiActors.Transport;
using Xunit;

namespace ScmiActors.Tests.Emulation;

/// <summary>
/// The dependency rule of issue 11 §4, pinned by reflection: the emulated platform is its own
/// assembly that depends on the wire format and the transport abstraction only, never on the actor
/// library, so it can run as its own process; the transport abstraction has no Akka at all; the
/// library ships neither.
/// </summary>
public sealed class EmulatorAssemblyTests
{
    private static readonly Assembly Emulator = typeof(EmulatedPlatform).Assembly;
    private static readonly Assembly TransportAssembly = typeof(IScmiTransport).Assembly;
    private static readonly Assembly Library = typeof(ScmiNotifications).Assembly;

    [Fact]
    public void The_emulator_and_the_transport_are_assemblies_of_their_own()
    {
        Assert.Equal("ScmiActors.Emulator", Emulator.GetName().Name);
        Assert.Equal("ScmiActors.Transport", TransportAssembly.GetName().Name);
        Assert.Equal("ScmiActors", Library.GetName().Name);
        Assert.Same(TransportAssembly, typeof(InMemoryTransport).Assembly);
        Assert.Same(TransportAssembly, typeof(IngestResult).Assembly);
        Assert.Same(TransportAssembly, typeof(IScmiReceiver).Assembly);
    }

    [Fact]
    public void The_emulator_references_neither_the_library_nor_cluster_nor_hosting()
    {
        var references = Referenced(Emulator);

        Assert.DoesNotContain("ScmiActors", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Akka.Cluster", StringComparison.Ordinal)); // Akka.Cluster, Akka.Cluster.Sharding, …
        Assert.DoesNotContain("Akka.Hosting", references);
        Assert.Contains("ScmiActors.Wire", references);
        Assert.Contains("ScmiActors.Transport", references);
    }

    /// <summary>
    /// Akka.dll is allowed, because it holds Akka.Configuration (HOCON, which the emulator's scenarios
    /// are written in) — but it also holds Akka.Actor, so the reference alone does not show the rule:
    /// every type the emulator uses from Akka.dll must be in Akka.Configuration.
    /// </summary>
    [Fact]
    public void The_emulator_uses_nothing_from_akka_but_its_configuration()
    {
        var akkaTypes = TypesUsedFrom(Emulator, "Akka");

        Assert.NotEmpty(akkaTypes); // EmulatorScenario parses HOCON: the check below looks at something
        Assert.All(akkaTypes, t => Assert.StartsWith("Akka.Configuration", t, StringComparison.Ordinal));
    }

    [Fact]
    public void The_transport_abstraction_references_no_akka_assembly()
    {
        var references = Referenced(TransportAssembly);

        Assert.DoesNotContain(references, r => r == "Akka" || r.StartsWith("Akka.", StringComparison.Ordinal));
        Assert.DoesNotContain("ScmiActors", references);
        Assert.DoesNotContain("ScmiActors.Emulator", references);
    }

    [Fact]
    public void The_library_ships_no_emulator_and_no_transport_abstraction()
    {
        var namespaces = Library.GetTypes().Select(t => t.Namespace ?? "").ToHashSet();

        Assert.DoesNotContain(namespaces, n => IsIn(n, "ScmiActors.Emulator") || IsIn(n, "ScmiActors.Emulation"));
        Assert.DoesNotContain(namespaces, n => IsIn(n, "ScmiActors.Transport"));
        Assert.DoesNotContain("ScmiActors.Emulator", Referenced(Library));
    }

    private static bool IsIn(string ns, string root) => ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

    private static HashSet<string> Referenced(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToHashSet();

    /// <summary>Full names of the (outermost) types <paramref name="assembly"/> refers to in the assembly named <paramref name="referenced"/>.</summary>
    private static List<string> TypesUsedFrom(Assembly assembly, string referenced)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in md.TypeReferences)
        {
            var type = md.GetTypeReference(handle);
            // A nested type's scope is its declaring type, which is itself in this list.
            if (type.ResolutionScope.Kind != HandleKind.AssemblyReference) continue;
            var scope = md.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope);
            if (md.GetString(scope.Name) != referenced) continue;
            names.Add($"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}");
        }
        return names;
    }
}
