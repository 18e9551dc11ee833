using System.Collections.Generic;
using System.Text;

/// <summary>The JSON text the .NET programs print their line in (no JSON library of the era).</summary>
static class Json
{
    /// <summary><paramref name="s"/> as a JSON string, or null.</summary>
    public static string Str(string s)
    {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"' || c == '\\') b.Append('\\').Append(c);
            else if (c < 0x20) b.AppendFormat("\\u{0:x4}", (int)c);
            else b.Append(c);
        }
        return b.Append('"').ToString();
    }

    /// <summary>An object of name, raw JSON value pairs.</summary>
    public static string Obj(params string[] pairs)
    {
        List<string> members = new List<string>();
        for (int i = 0; i < pairs.Length; i += 2) members.Add(Str(pairs[i]) + ":" + pairs[i + 1]);
        return "{" + string.Join(",", members.ToArray()) + "}";
    }

    /// <summary>An array of raw JSON values.</summary>
    public static string Arr(IEnumerable<string> values)
    {
        return "[" + string.Join(",", new List<string>(values).ToArray()) + "]";
    }
}
