using System.Text.RegularExpressions;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Package;

/// <summary>A ```csharp block of a README: a whole Program.cs, its using directives apart from its statements.</summary>
/// <param name="Number">Its place among all the snippets, from 1.</param>
/// <param name="File">The README's path in the repository.</param>
/// <param name="FirstLine">The README's line (from 1) where the code starts.</param>
internal sealed record ReadmeSnippet(int Number, string File, int FirstLine, IReadOnlyList<string> Usings, int BodyLine, string Body)
{
    public override string ToString() => $"{File}:{FirstLine}";
}

/// <summary>Reads the C# snippets out of the READMEs, so that what the tests build is what the READMEs show.</summary>
internal static partial class ReadmeSnippets
{
    /// <summary>The project's README and the library package's.</summary>
    public static IReadOnlyList<string> Readmes { get; } = ["README.md", "src/PeerEngine/README.md"];

    /// <summary>Every ```csharp block of <see cref="Readmes"/>, in order.</summary>
    public static IReadOnlyList<ReadmeSnippet> All { get; } =
    [
        .. Readmes.SelectMany(readme => Read(readme, File.ReadAllLines(Repository.PathOf(readme))))
                  .Select((snippet, i) => snippet with { Number = i + 1 }),
    ];

    public static IReadOnlyList<ReadmeSnippet> Read(string readme, string[] lines)
    {
        var snippets = new List<ReadmeSnippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int first = i + 1;
            int end = Array.FindIndex(lines, first, l => l.Trim() == "```");
            if (end < 0)
            {
                throw new InvalidOperationException($"{readme}:{i + 1}: a ```csharp block is never closed");
            }

            // Leading using directives (blank lines between them allowed) become the file's usings;
            // the rest is the program's statements. "using X x = ...;" is a statement, not a directive.
            var usings = new List<string>();
            int body = first;
            for (; body < end; body++)
            {
                Match directive = UsingDirective().Match(lines[body]);
                if (directive.Success)
                {
                    usings.Add(directive.Groups["name"].Value);
                }
                else if (lines[body].Trim().Length > 0)
                {
                    break;
                }
            }

            snippets.Add(new ReadmeSnippet(snippets.Count + 1, readme, first + 1, usings, body + 1, string.Join('\n', lines[body..end])));
            i = end;
        }

        return snippets;
    }

    /// <summary>
    /// The snippet as a method of a generated program: its usings at the top of the file, its
    /// statements in an async method taking <c>args</c>, compiler messages pointing at the README's lines.
    /// </summary>
    public static string AsSource(ReadmeSnippet snippet) =>
        $$"""
        {{string.Join('\n', snippet.Usings.Select(u => $"using {u};"))}}

        internal static class {{ClassName(snippet)}}
        {
            public static async Task RunAsync(string[] args)
            {
        #line {{snippet.BodyLine}} "{{Repository.PathOf(snippet.File)}}"
        {{snippet.Body}}
        #line default
            }
        }
        """;

    public static string ClassName(ReadmeSnippet snippet) => $"ReadmeSnippet{snippet.Number}";

    [GeneratedRegex(@"^\s*using\s+(?<name>[A-Za-z_][\w.]*)\s*;\s*$")]
    private static partial Regex UsingDirective();
}
