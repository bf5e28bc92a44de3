using System.Text.RegularExpressions;
using PeerEngine.Tests.Support;

using Xunit.Abstractions;

namespace PeerEngine.Tests.Architecture;

/// <summary>
/// The library's folders are layers, and no two layers use each other, however indirectly
/// (docs/architecture.md: an arrow never points back up the list).
/// </summary>
public sealed class LayerDependencyTests(ITestOutputHelper output)
{
    /// <summary>
    /// Uses set aside while a refactoring removes the cycle they close, each with the reason. An entry
    /// that no longer exists fails <see cref="Every_allowed_edge_still_exists"/>, so the list only
    /// shrinks. Empty: the layers form no cycle.
    /// </summary>
    private static readonly HashSet<(string From, string To)> Allowed =
    [
    ];

    private static readonly Lazy<SourceLayers> Library = new(() => SourceLayers.Read(Repository.PathOf("src", "PeerEngine")));

    [Fact]
    public void No_layer_of_the_library_uses_itself_through_others()
    {
        IReadOnlyList<string> cycles = Library.Value.Cycles(Allowed);

        Assert.True(cycles.Count == 0, $"Cycles between the folders of src/PeerEngine:\n{string.Join('\n', cycles)}");
    }

    [Fact]
    public void Every_allowed_edge_still_exists()
    {
        Assert.All(Allowed, edge => Assert.True(
            Library.Value.Edges.ContainsKey(edge),
            $"{edge.From} no longer uses {edge.To}: remove it from the allowed edges"));
    }

    [Fact]
    public void The_layers_and_their_uses_are_read_from_the_tree()
    {
        IReadOnlyDictionary<(string From, string To), IReadOnlyList<string>> edges = Library.Value.Edges;
        foreach (((string from, string to), IReadOnlyList<string> evidence) in edges.OrderBy(e => e.Key))
        {
            output.WriteLine($"{from} -> {to} ({string.Join("; ", evidence.Take(3))})");
        }

        // The composition root uses what it composes; framing uses nothing but bytes.
        Assert.Contains(("Node", "ConnectionPool"), edges.Keys);
        Assert.Contains(("Node", "Registry"), edges.Keys);
        Assert.DoesNotContain(edges.Keys, e => e.From == "Framing" && e.To != SourceLayers.Root);
        Assert.Equal("Transport.Sockets", SourceLayers.LayerOf("Transport/Sockets/Internal/SocketSender.cs"));
        Assert.Equal("Registry", SourceLayers.LayerOf("Registry/Internal/RegistryFile.cs"));
        Assert.Equal(SourceLayers.Root, SourceLayers.LayerOf("PeerException.cs"));
    }

    [Fact]
    public void No_layer_reaches_into_the_internals_of_another()
    {
        string root = Repository.PathOf("src", "PeerEngine");
        var reaches = new List<string>();
        foreach (string path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            string layer = SourceLayers.LayerOf(relative);
            string code = CSharpText.CodeOnly(File.ReadAllText(path));
            foreach (Match use in Regex.Matches(code, @"\bPeerEngine\.(?<layer>[A-Za-z.]+?)\.Internal\b"))
            {
                if (use.Groups["layer"].Value != layer)
                {
                    reaches.Add($"{relative} uses PeerEngine.{use.Groups["layer"].Value}.Internal");
                }
            }
        }

        Assert.True(reaches.Count == 0, $"A layer's Internal folder is its own; enter it through the layer's root:\n{string.Join('\n', reaches)}");
    }

    [Fact]
    public void A_cycle_is_found_and_named_with_its_evidence()
    {
        SourceLayers layers = SourceLayers.FromFiles(
        [
            ("A/Alpha.cs", "A", "namespace X.A; internal sealed class Alpha { Beta? b; }"),
            ("B/Beta.cs", "B", "namespace X.B; internal sealed class Beta { Gamma? g; }"),
            ("C/Gamma.cs", "C", "namespace X.C; internal sealed class Gamma { Alpha? a; }"),
            ("D/Delta.cs", "D", "using X.A;\nnamespace X.D;\ninternal sealed class Delta { }"),
        ]);

        string cycle = Assert.Single(layers.Cycles(new HashSet<(string, string)>()));
        Assert.StartsWith("A <-> B <-> C:", cycle, StringComparison.Ordinal);
        Assert.Contains("A -> B (A/Alpha.cs: Beta)", cycle, StringComparison.Ordinal);
        Assert.Contains("C -> A (C/Gamma.cs: Alpha)", cycle, StringComparison.Ordinal);
        Assert.Contains(("D", "A"), layers.Edges.Keys);
        Assert.Empty(layers.Cycles(new HashSet<(string, string)> { ("C", "A") }));
    }

    [Fact]
    public void Comments_and_literals_name_no_dependency()
    {
        string quotes = new('"', 3);
        string code = CSharpText.CodeOnly(string.Join('\n',
            "// Beta in a comment",
            "/* Beta */ var s = \"Beta\"; var v = @\"Beta \"\"x\"\"\"; var c = 'B'; var e = \"\\\"Beta\";",
            $"var r = {quotes}",
            "    Beta",
            $"    {quotes};",
            "Gamma g;"));

        Assert.DoesNotContain("Beta", code, StringComparison.Ordinal);
        Assert.Contains("Gamma g;", code, StringComparison.Ordinal);
    }
}
