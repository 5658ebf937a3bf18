namespace ScmiActors.Tests.Architecture.BodyOnly;

/// <summary>
/// A known dependency that exists only inside a method body, and only in a compiler-generated type:
/// the lambda's body lives in the nested closure class <c>&lt;&gt;c</c>. ArchitectureTests checks that the
/// namespace graph finds ScmiActors.Tests.Architecture.BodyOnly -> ScmiActors.Tests.Architecture
/// with bodies read and not without, so the rules cannot pass because bodies went unread.
/// Nothing outside a method body in this namespace may name ScmiActors.Tests.Architecture.
/// </summary>
internal static class BodyOnlyProbe
{
    public static Func<string> NameOfTheTests() => () => typeof(ArchitectureTests).Name;
}
