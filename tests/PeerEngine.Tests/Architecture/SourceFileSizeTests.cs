using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Architecture;

/// <summary>No source file grows past what one reads in a sitting: 400 lines (docs/style: parts, not 1,000-line classes).</summary>
public sealed class SourceFileSizeTests
{
    private const int MaxLines = 400;

    [Fact]
    public void No_cs_file_is_longer_than_400_lines()
    {
        string[] folders = ["src", "tests", "load", "bench", "fuzz"];
        string[] files = [.. folders.SelectMany(f => Directory.EnumerateFiles(Repository.PathOf(f), "*.cs", SearchOption.AllDirectories))
            .Where(path => !IsBuildOutput(path))];
        Assert.NotEmpty(files);

        string[] tooLong = [.. files
            .Select(path => (Path: Path.GetRelativePath(Repository.Root, path), Lines: File.ReadLines(path).Count()))
            .Where(file => file.Lines > MaxLines)
            .Select(file => $"{file.Path}: {file.Lines} lines")];

        Assert.True(tooLong.Length == 0, $"Over {MaxLines} lines, split by concern:\n{string.Join('\n', tooLong)}");
    }

    private static bool IsBuildOutput(string path) =>
        path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "out");
}
