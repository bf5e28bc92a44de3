namespace PeerEngine.Tests.Package;

/// <summary>What the READMEs' snippets may import: a service needs one <c>using PeerEngine;</c>.</summary>
public sealed class ReadmeNamespaceTests
{
    // The generic host's own namespaces, for the snippet that embeds the node in it.
    private static readonly string[] HostNamespaces = ["Microsoft.Extensions.Hosting", "Microsoft.Extensions.DependencyInjection"];

    [Fact]
    public void The_READMEs_have_csharp_snippets_to_check()
    {
        // Both ways in: with the generic host and with the node alone.
        Assert.Contains(ReadmeSnippets.All, s => s.Body.Contains("Host.CreateApplicationBuilder", StringComparison.Ordinal));
        Assert.Contains(ReadmeSnippets.All, s => s.Body.Contains("new PeerNode(", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_snippet_imports_PeerEngine_and_otherwise_only_System_and_the_generic_host()
    {
        Assert.All(ReadmeSnippets.All, snippet =>
        {
            string where = snippet.ToString();
            Assert.True(snippet.Usings.Contains("PeerEngine"), $"{where}: the snippet does not say using PeerEngine;");
            foreach (string name in snippet.Usings.Where(n => n != "PeerEngine"))
            {
                bool allowed = name == "System" || name.StartsWith("System.", StringComparison.Ordinal) || HostNamespaces.Contains(name);
                Assert.True(allowed, $"{where}: the snippet needs using {name};, a namespace other than PeerEngine, System.* and the generic host's");
            }
        });
    }

    [Fact]
    public void Using_directives_are_told_from_using_declarations()
    {
        IReadOnlyList<ReadmeSnippet> snippets = ReadmeSnippets.Read("README.md",
        [
            "text",
            "```csharp",
            "using System.Text;",
            "",
            "using PeerEngine;",
            "",
            "using IHost app = builder.Build();",
            "Console.WriteLine();",
            "```",
        ]);

        ReadmeSnippet snippet = Assert.Single(snippets);
        Assert.Equal(["System.Text", "PeerEngine"], snippet.Usings);
        Assert.Equal(7, snippet.BodyLine);
        Assert.Equal("using IHost app = builder.Build();\nConsole.WriteLine();", snippet.Body);
    }
}
