using System.Text;

namespace PeerEngine.Tests.Architecture;

/// <summary>C# source with its comments and literals blanked, so that what is left is code to scan for names.</summary>
internal static class CSharpText
{
    /// <summary>
    /// Replaces comments, string and character literals with spaces (newlines kept, so line numbers
    /// hold). Interpolation holes go too: names used only inside them are not seen.
    /// </summary>
    public static string CodeOnly(string source)
    {
        var code = new StringBuilder(source.Length);
        int i = 0;
        while (i < source.Length)
        {
            char c = source[i];
            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            int end;
            if (c == '/' && next == '/')
            {
                end = source.IndexOf('\n', i);
                end = end < 0 ? source.Length : end;
            }
            else if (c == '/' && next == '*')
            {
                end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 2;
            }
            else if (c is '"' or '@' or '$' && StringStart(source, i) is int quote)
            {
                end = StringEnd(source, i, quote);
            }
            else if (c == '\'')
            {
                end = i + 1;
                while (end < source.Length && source[end] != '\'' && source[end] != '\n')
                {
                    end += source[end] == '\\' ? 2 : 1;
                }

                end = Math.Min(end + 1, source.Length);
            }
            else
            {
                code.Append(c);
                i++;
                continue;
            }

            foreach (char blanked in source.AsSpan(i, end - i))
            {
                code.Append(blanked == '\n' ? '\n' : ' ');
            }

            i = end;
        }

        return code.ToString();
    }

    /// <summary>Where the opening quote of a string literal starting at <paramref name="i"/> (after $ and @ prefixes) is.</summary>
    private static int? StringStart(string source, int i)
    {
        int j = i;
        while (j < source.Length && source[j] is '$' or '@')
        {
            j++;
        }

        return j < source.Length && source[j] == '"' ? j : null;
    }

    private static int StringEnd(string source, int start, int quote)
    {
        bool verbatim = source.AsSpan(start, quote - start).Contains('@');
        int quotes = 0;
        while (quote + quotes < source.Length && source[quote + quotes] == '"')
        {
            quotes++;
        }

        if (quotes >= 3)
        {
            // A raw string literal ends at the same number of quotes.
            int close = source.IndexOf(new string('"', quotes), quote + quotes, StringComparison.Ordinal);
            return close < 0 ? source.Length : close + quotes;
        }

        if (quotes == 2)
        {
            return quote + 2; // ""
        }

        int k = quote + 1;
        while (k < source.Length)
        {
            if (verbatim && source[k] == '"' && k + 1 < source.Length && source[k + 1] == '"')
            {
                k += 2;
            }
            else if (!verbatim && source[k] == '\\')
            {
                k += 2;
            }
            else if (source[k] == '"')
            {
                return k + 1;
            }
            else
            {
                k++;
            }
        }

        return source.Length;
    }
}
