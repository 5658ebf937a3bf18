using Mono.Cecil;

namespace ScmiActors.Tests.Architecture;

/// <summary>
/// The namespace → namespace dependencies of compiled assemblies, read from their IL with Mono.Cecil
/// (NetArchTest has no cycle detection, and reflection cannot see method bodies). Only namespaces
/// under <c>ScmiActors</c> are nodes. Every edge keeps one example, "FromType.Member -> ToType.Member",
/// so a failing rule names the line to look at.
/// </summary>
internal sealed class NamespaceGraph
{
    private const string Root = "ScmiActors";

    private readonly SortedSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(string From, string To), string> _edges = new(EdgeOrder.Instance);

    private NamespaceGraph() { }

    /// <summary>Namespaces under ScmiActors that define at least one type in the loaded assemblies.</summary>
    public IReadOnlySet<string> Namespaces => _namespaces;

    /// <summary>Each edge (self-references excluded) with the first reference found that makes it.</summary>
    public IReadOnlyDictionary<(string From, string To), string> Edges => _edges;

    public IEnumerable<string> Successors(string ns) =>
        _edges.Keys.Where(e => e.From == ns).Select(e => e.To);

    public static bool IsScmi(string ns) =>
        ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal);

    /// <param name="readMethodBodies">
    /// False only for the guard that proves a body-only reference is found because bodies are read.
    /// </param>
    public static NamespaceGraph Load(IEnumerable<string> assemblyPaths, bool readMethodBodies = true)
    {
        var paths = assemblyPaths.ToList();
        // Custom attribute blobs name enums by type; decoding them resolves those types, so the
        // resolver needs the test's output directory (Akka, Protobuf, …) and the shared framework.
        using var resolver = new DefaultAssemblyResolver();
        foreach (var dir in paths.Select(p => Path.GetDirectoryName(p)).Append(Path.GetDirectoryName(typeof(object).Assembly.Location)).Distinct())
            if (dir is not null) resolver.AddSearchDirectory(dir);

        var graph = new NamespaceGraph();
        foreach (var path in paths)
        {
            using var assembly = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = resolver });
            var walker = new Walker(graph, readMethodBodies);
            foreach (var module in assembly.Modules)
                foreach (var type in module.Types)
                    walker.TopLevel(type);
        }
        return graph;
    }

    /// <summary>Strongly connected components of more than one namespace: each is at least one cycle.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var nodes = _namespaces.Union(_edges.Keys.SelectMany(e => new[] { e.From, e.To })).Order(StringComparer.Ordinal).ToList();
        return StronglyConnectedComponents(nodes, Successors).Where(c => c.Count > 1).ToList();
    }

    /// <summary>Tarjan's algorithm; components and their members in a stable order for readable messages.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> StronglyConnectedComponents(
        IReadOnlyList<string> nodes, Func<string, IEnumerable<string>> successors)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var lowLink = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var components = new List<IReadOnlyList<string>>();

        void Visit(string v)
        {
            index[v] = lowLink[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in successors(v))
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    lowLink[v] = Math.Min(lowLink[v], lowLink[w]);
                }
                else if (onStack.Contains(w))
                {
                    lowLink[v] = Math.Min(lowLink[v], index[w]);
                }
            }
            if (lowLink[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            component.Sort(StringComparer.Ordinal);
            components.Add(component);
        }

        foreach (var v in nodes)
            if (!index.ContainsKey(v)) Visit(v);
        return components.OrderBy(c => c[0], StringComparer.Ordinal).ToList();
    }

    private void Add(Site from, string toNamespace, string example)
    {
        if (toNamespace == from.Namespace || !IsScmi(toNamespace)) return;
        _edges.TryAdd((from.Namespace, toNamespace), example);
    }

    /// <summary>Where a reference is made: the outermost type's namespace, the type and member as the source names them.</summary>
    private readonly record struct Site(string Namespace, string Type, string? Member)
    {
        public override string ToString() => Member is null ? Type : $"{Type}.{Member}";
    }

    private sealed class Walker(NamespaceGraph graph, bool readMethodBodies)
    {
        public void TopLevel(TypeDefinition type)
        {
            // Types without a namespace (<Module>, <PrivateImplementationDetails>) and those of other
            // roots (embedded compiler attributes) are not nodes.
            if (!IsScmi(type.Namespace)) return;
            graph._namespaces.Add(type.Namespace);
            Type(type, type.Namespace, DisplayName(type));
        }

        /// <summary>A type and its nested types, all counted in the outermost type's namespace: lambdas,
        /// async state machines and record helpers are nested types the compiler generated.</summary>
        private void Type(TypeDefinition type, string ns, string outer)
        {
            var site = new Site(ns, outer, GeneratedOwner(type.Name));
            Attributes(type, site);
            Reference(type.BaseType, site);
            foreach (var i in type.Interfaces)
            {
                Reference(i.InterfaceType, site);
                Attributes(i, site);
            }
            GenericParameters(type, site);

            foreach (var field in type.Fields)
            {
                var s = site with { Member = MemberName(field.Name, site.Member) };
                Reference(field.FieldType, s);
                Attributes(field, s);
            }
            foreach (var property in type.Properties)
            {
                var s = site with { Member = MemberName(property.Name, site.Member) };
                Reference(property.PropertyType, s);
                foreach (var p in property.Parameters) Reference(p.ParameterType, s);
                Attributes(property, s);
            }
            foreach (var e in type.Events)
            {
                var s = site with { Member = MemberName(e.Name, site.Member) };
                Reference(e.EventType, s);
                Attributes(e, s);
            }
            foreach (var method in type.Methods)
                Method(method, site);

            // A generated type reads as its owner ("HandleActor.Start"), a declared one by its own name.
            foreach (var nested in type.NestedTypes)
                Type(nested, ns, nested.Name.StartsWith('<') ? outer : DisplayName(nested));
        }

        private void Method(MethodDefinition method, Site typeSite)
        {
            // Inside a generated type (state machine, closure) the member worth naming is the
            // source method the type came from, not MoveNext or <M>b__0.
            var site = typeSite with
            {
                Member = method.Name.StartsWith('<') || typeSite.Member is null
                    ? MemberName(method.Name, typeSite.Member)
                    : typeSite.Member,
            };
            Attributes(method, site);
            Reference(method.ReturnType, site);
            Attributes(method.MethodReturnType, site);
            foreach (var p in method.Parameters)
            {
                Reference(p.ParameterType, site);
                Attributes(p, site);
            }
            GenericParameters(method, site);
            foreach (var o in method.Overrides) MemberRef(o, site);

            if (!readMethodBodies || !method.HasBody) return;
            var body = method.Body;
            foreach (var v in body.Variables) Reference(v.VariableType, site);
            foreach (var h in body.ExceptionHandlers) Reference(h.CatchType, site);
            foreach (var instruction in body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: Reference(t, site); break;
                    case MethodReference m: MemberRef(m, site); break;
                    case FieldReference f: MemberRef(f, site); break;
                    case CallSite c: // calli: a function pointer's signature
                        Reference(c.ReturnType, site);
                        foreach (var p in c.Parameters) Reference(p.ParameterType, site);
                        break;
                }
            }
        }

        private void MemberRef(MemberReference member, Site site)
        {
            switch (member)
            {
                case GenericInstanceMethod g:
                    MemberRef(g.ElementMethod, site);
                    foreach (var a in g.GenericArguments) Reference(a, site);
                    break;
                case MethodReference m:
                    Reference(m.DeclaringType, site, m.Name);
                    Reference(m.ReturnType, site);
                    foreach (var p in m.Parameters) Reference(p.ParameterType, site);
                    break;
                case FieldReference f:
                    Reference(f.DeclaringType, site, f.Name);
                    Reference(f.FieldType, site);
                    break;
            }
        }

        private void GenericParameters(IGenericParameterProvider owner, Site site)
        {
            foreach (var g in owner.GenericParameters)
            {
                Attributes(g, site);
                foreach (var c in g.Constraints)
                {
                    Reference(c.ConstraintType, site);
                    Attributes(c, site);
                }
            }
        }

        private void Attributes(ICustomAttributeProvider provider, Site site)
        {
            if (!provider.HasCustomAttributes) return;
            foreach (var a in provider.CustomAttributes)
            {
                MemberRef(a.Constructor, site);
                foreach (var arg in a.ConstructorArguments) Argument(arg, site);
                foreach (var named in a.Fields.Concat(a.Properties)) Argument(named.Argument, site);
            }
        }

        private void Argument(CustomAttributeArgument argument, Site site)
        {
            Reference(argument.Type, site); // an enum argument's type
            switch (argument.Value)
            {
                case TypeReference t: Reference(t, site); break; // typeof(T)
                case CustomAttributeArgument boxed: Argument(boxed, site); break; // an object parameter
                case CustomAttributeArgument[] array:
                    foreach (var a in array) Argument(a, site);
                    break;
            }
        }

        /// <summary>Every named type inside a type signature: element types, generic arguments, modifiers.</summary>
        private void Reference(TypeReference? type, Site site, string? member = null)
        {
            switch (type)
            {
                case null:
                case GenericParameter: // its constraints are read where it is declared
                    return;
                case GenericInstanceType g:
                    Reference(g.ElementType, site, member);
                    foreach (var a in g.GenericArguments) Reference(a, site);
                    return;
                case FunctionPointerType f:
                    Reference(f.ReturnType, site);
                    foreach (var p in f.Parameters) Reference(p.ParameterType, site);
                    return;
                case IModifierType m:
                    Reference(m.ModifierType, site);
                    Reference(m.ElementType, site, member);
                    return;
                case TypeSpecification s: // array, by-ref, pointer, pinned, sentinel
                    Reference(s.ElementType, site, member);
                    return;
            }
            var outermost = type;
            while (outermost.DeclaringType is not null) outermost = outermost.DeclaringType;
            var target = member switch
            {
                null => DisplayName(type),
                ".ctor" => $"new {DisplayName(type)}",
                _ => $"{DisplayName(type)}.{WithoutAccessorPrefix(member)}",
            };
            graph.Add(site, outermost.Namespace, $"{site} -> {target}");
        }
    }

    /// <summary>"Outer.Inner" without generic arity.</summary>
    private static string DisplayName(TypeReference type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        return type.DeclaringType is null ? name : $"{DisplayName(type.DeclaringType)}.{name}";
    }

    /// <summary>
    /// The source name inside a compiler-generated one: "&lt;Start&gt;d__4" and the state machine of a
    /// local function, "&lt;&lt;Start&gt;g__Run|4_0&gt;d", → "Start"; "&lt;&gt;c" and ordinary names unchanged.
    /// </summary>
    private static string Readable(string name)
    {
        var start = 0;
        while (start < name.Length && name[start] == '<') start++;
        var end = name.IndexOf('>', StringComparison.Ordinal);
        return start > 0 && end > start ? name[start..end] : name;
    }

    /// <summary>
    /// A member as the source names it: "ctor", a property for its accessor, the source method for a
    /// lambda; a generated name with no source name in it (a cached delegate, an awaiter) is the owner's.
    /// </summary>
    private static string? MemberName(string name, string? owner)
    {
        var readable = name switch { ".ctor" => "ctor", ".cctor" => "cctor", _ => WithoutAccessorPrefix(Readable(name)) };
        return readable.StartsWith('<') ? owner : readable;
    }

    private static string WithoutAccessorPrefix(string name)
    {
        foreach (var prefix in (string[])["get_", "set_", "add_", "remove_"])
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length) return name[prefix.Length..];
        return name;
    }

    /// <summary>The source method a generated nested type belongs to ("&lt;Start&gt;d__4"), or null.</summary>
    private static string? GeneratedOwner(string typeName)
    {
        var readable = Readable(typeName);
        return readable == typeName ? null : readable.StartsWith('<') ? null : readable;
    }

    private sealed class EdgeOrder : IComparer<(string From, string To)>
    {
        public static readonly EdgeOrder Instance = new();

        public int Compare((string From, string To) x, (string From, string To) y)
        {
            var c = StringComparer.Ordinal.Compare(x.From, y.From);
            return c != 0 ? c : StringComparer.Ordinal.Compare(x.To, y.To);
        }
    }
}
