namespace PeerEngine.Tests.Support;

/// <summary>The repository the tests were built from: its README, sources and projects.</summary>
internal static class Repository
{
    /// <summary>The folder holding PeerEngine.sln, found above the test output.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under <see cref="Root"/>.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The build configuration of this test assembly, so nested builds read the same outputs.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerEngine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerEngine.sln not found above the test output");
    }
}
