using System.Linq.Expressions;
using System.Reflection;
using Akka.Configuration.Hocon;

namespace ScmiActors.Fuzz;

/// <summary>
/// Recognises the one known hang of Akka's HOCON parser (1.5.74), so the config target can skip it
/// and the fuzzer looks for others. <c>Parser.ParseArray</c> loops until <c>]</c>, and
/// <c>ParseValue</c> consumes nothing when the next character starts no value (<c>}</c>, <c>=</c>,
/// <c>:</c> … e.g. <c>a = [1, }</c>): the loop then adds empty values forever (600–900 MB after 5 s here).
/// The CLI refuses its visible shapes before parsing and bounds the rest with HoconFile.ParseTimeout.
/// <para>This walks the text with Akka's own tokenizer along the parser's own path (Parser.cs:
/// ParseObject, ParseKeyContent, ParseValue, ParseArray) without building values, and reports the
/// hang only where an array element consumed no input. Anything else the parser would do — throw,
/// finish, or hang some other way — the walk does too, so no other hang is hidden.</para>
/// </summary>
internal static class HoconHang
{
    // Tokenizer.IsValue and the read position are not public in 1.5.74.
    private static readonly Func<HoconTokenizer, bool> IsValue = typeof(HoconTokenizer)
        .GetMethod("IsValue", BindingFlags.Instance | BindingFlags.NonPublic)!
        .CreateDelegate<Func<HoconTokenizer, bool>>();

    private static readonly Func<Tokenizer, int> Position = PositionReader();

    private static Func<Tokenizer, int> PositionReader()
    {
        var tokenizer = Expression.Parameter(typeof(Tokenizer));
        var field = typeof(Tokenizer).GetField("_index", BindingFlags.Instance | BindingFlags.NonPublic)!;
        return Expression.Lambda<Func<Tokenizer, int>>(Expression.Field(tokenizer, field), tokenizer).Compile();
    }

    public static bool IsKnownHang(string text)
    {
        var reader = new HoconTokenizer(text);
        try
        {
            reader.PullWhitespaceAndComments();
            Object(reader, root: true);
            return false;
        }
        catch (KnownHang)
        {
            return true;
        }
        catch (Exception)
        {
            return false; // the parser throws at the same place: an ordinary rejection
        }
    }

    private static void Object(HoconTokenizer reader, bool root)
    {
        while (!reader.EoF)
        {
            var token = reader.PullNext();
            switch (token.Type)
            {
                case TokenType.Include:
                    return; // ParseString has no include callback: the parser throws here
                case TokenType.Key:
                    KeyContent(reader);
                    if (!root) return;
                    break;
                case TokenType.ObjectEnd:
                    return;
            }
        }
    }

    private static void KeyContent(HoconTokenizer reader)
    {
        while (!reader.EoF)
        {
            switch (reader.PullNext().Type)
            {
                case TokenType.Dot: Object(reader, root: false); return;
                case TokenType.Assign: Value(reader); return;
                case TokenType.ObjectStart: Object(reader, root: true); return;
            }
        }
    }

    private static void Value(HoconTokenizer reader)
    {
        if (reader.EoF) throw new FormatException("end of file in a value");
        reader.PullWhitespaceAndComments();
        while (IsValue(reader))
        {
            switch (reader.PullValue().Type)
            {
                case TokenType.ObjectStart: Object(reader, root: true); break;
                case TokenType.ArrayStart: Array(reader); break;
            }
            if (reader.IsSpaceOrTab()) reader.PullSpaceOrTab();
        }
        if (reader.IsComma()) reader.PullComma();
    }

    private static void Array(HoconTokenizer reader)
    {
        while (!reader.EoF && !reader.IsArrayEnd())
        {
            var before = Position(reader);
            Value(reader);
            reader.PullWhitespaceAndComments();
            if (Position(reader) == before) throw new KnownHang();
        }
        reader.PullArrayEnd();
    }

    private sealed class KnownHang : Exception;
}
