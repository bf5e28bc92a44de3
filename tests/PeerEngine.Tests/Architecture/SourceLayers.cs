using System.Text.RegularExpressions;

namespace PeerEngine.Tests.Architecture;

/// <summary>
/// The folders of a source tree as layers, and which layer uses which. A layer is a folder under the
/// root, its <c>Internal</c> machinery included (<c>Transport/Sockets</c> is the layer
/// <c>Transport.Sockets</c>; files at the root are the layer <c>(root)</c>). A file uses a layer when
/// it names a type that layer declares (public and internal types share the namespace
/// <c>PeerEngine</c>, so names, not namespaces, tell them apart) or imports a namespace only that
/// layer declares.
/// </summary>
internal sealed partial class SourceLayers
{
    public const string Root = "(root)";

    private SourceLayers(IReadOnlyDictionary<(string From, string To), IReadOnlyList<string>> edges) => Edges = edges;

    /// <summary>Each use of one layer by another, with evidence: "file: Name".</summary>
    public IReadOnlyDictionary<(string From, string To), IReadOnlyList<string>> Edges { get; }

    /// <summary>Reads every .cs file under <paramref name="root"/> (build output excluded).</summary>
    public static SourceLayers Read(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => (Path: path, Layer: LayerOf(path), Code: CSharpText.CodeOnly(File.ReadAllText(Path.Combine(root, path)))))
            .ToList();
        return FromFiles(files.Select(f => (f.Path, f.Layer, f.Code)));
    }

    /// <summary>Builds the layers from files already read: (path, layer, code without comments and literals).</summary>
    public static SourceLayers FromFiles(IEnumerable<(string Path, string Layer, string Code)> files)
    {
        var list = files.ToList();
        var typeOwners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var namespaceOwners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach ((_, string layer, string code) in list)
        {
            foreach (Match declaration in TypeDeclaration().Matches(code))
            {
                // A private, protected or file-local type cannot be named from another layer.
                if (!Regex.IsMatch(declaration.Groups["modifiers"].Value, @"\b(private|protected|file)\b"))
                {
                    Add(typeOwners, declaration.Groups["name"].Value, layer);
                }
            }

            foreach (Match declaration in DelegateDeclaration().Matches(code))
            {
                if (!Regex.IsMatch(declaration.Groups["modifiers"].Value, @"\b(private|protected|file)\b"))
                {
                    Add(typeOwners, declaration.Groups["name"].Value, layer);
                }
            }

            foreach (Match declaration in NamespaceDeclaration().Matches(code))
            {
                Add(namespaceOwners, declaration.Groups["name"].Value, layer);
            }
        }

        var edges = new Dictionary<(string, string), List<string>>();
        foreach ((string path, string layer, string code) in list)
        {
            var used = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match import in UsingDirective().Matches(code))
            {
                // The shared namespace PeerEngine says nothing of the layer; its types are found by name.
                if (namespaceOwners.TryGetValue(import.Groups["name"].Value, out HashSet<string>? owners) && owners.Count == 1)
                {
                    used.TryAdd(owners.Single(), $"using {import.Groups["name"].Value}");
                }
            }

            foreach (Match identifier in Identifier().Matches(code))
            {
                // A name the file's own layer declares is its own, whoever else declares it too.
                if (typeOwners.TryGetValue(identifier.Value, out HashSet<string>? owners) && !owners.Contains(layer))
                {
                    foreach (string owner in owners)
                    {
                        used.TryAdd(owner, identifier.Value);
                    }
                }
            }

            foreach ((string to, string evidence) in used)
            {
                if (to != layer)
                {
                    Add(edges, (layer, to), $"{path}: {evidence}");
                }
            }
        }

        return new SourceLayers(edges.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value));
    }

    /// <summary>The layer of a file at <paramref name="relativePath"/> under the root.</summary>
    public static string LayerOf(string relativePath)
    {
        string[] folders = [.. relativePath.Split('/')[..^1].Where(f => f != "Internal")];
        return folders.Length == 0 ? Root : string.Join('.', folders);
    }

    /// <summary>
    /// The cycles among the layers once <paramref name="allowed"/> edges are set aside: each group of
    /// layers that reach each other, as the edges between them with their evidence.
    /// </summary>
    public IReadOnlyList<string> Cycles(IReadOnlySet<(string From, string To)> allowed)
    {
        var graph = Edges.Keys.Where(e => !allowed.Contains(e)).ToLookup(e => e.From, e => e.To);
        string[] layers = [.. Edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal)];
        var cycles = new List<string>();
        foreach (IReadOnlyList<string> component in StronglyConnected(layers, graph).Where(c => c.Count > 1))
        {
            var inside = component.ToHashSet(StringComparer.Ordinal);
            IEnumerable<string> edges = Edges
                .Where(e => inside.Contains(e.Key.From) && inside.Contains(e.Key.To) && !allowed.Contains(e.Key))
                .OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal)
                .Select(e => $"  {e.Key.From} -> {e.Key.To} ({string.Join("; ", e.Value.Take(3))})");
            cycles.Add($"{string.Join(" <-> ", component.Order(StringComparer.Ordinal))}:\n{string.Join('\n', edges)}");
        }

        return cycles;
    }

    /// <summary>Tarjan's strongly connected components.</summary>
    private static List<IReadOnlyList<string>> StronglyConnected(string[] nodes, ILookup<string, string> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (string next in graph[node])
            {
                if (!index.TryGetValue(next, out int nextIndex))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], nextIndex);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        foreach (string node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }

        return components;
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, string value)
        where TKey : notnull
        where TValue : ICollection<string>, new()
    {
        if (!map.TryGetValue(key, out TValue? values))
        {
            map[key] = values = new TValue();
        }

        values.Add(value);
    }

    [GeneratedRegex(@"(?<modifiers>(?:\b(?:public|internal|private|protected|file|static|sealed|abstract|readonly|partial|ref|unsafe|new)\s+)*)\b(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"(?<modifiers>(?:\b(?:public|internal|private|protected|file|new|unsafe)\s+)*)\bdelegate\s+[\w<>\[\]?,.\s]+?\s+(?<name>[A-Za-z_]\w*)\s*[<(]")]
    private static partial Regex DelegateDeclaration();

    [GeneratedRegex(@"(?m)^\s*namespace\s+(?<name>[\w.]+)")]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(?m)^\s*(?:global\s+)?using\s+(?:static\s+)?(?<name>[\w.]+)\s*;")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Identifier();
}
