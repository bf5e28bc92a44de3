using System.IO.Compression;
using System.Xml.Linq;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Package;

/// <summary>
/// The library as a service gets it: src/PeerEngine packed into a folder feed, and a program that
/// references only that package (and the generic host) built from README.md's C# snippets.
/// </summary>
public sealed class PackedLibrary : IAsyncLifetime
{
    private const string ProgramName = "ReadmeSnippets";

    // Each run packs under a version of its own, so a restore can never take a package packed
    // earlier from a NuGet cache.
    private readonly string _version = $"0.0.0-test.t{Guid.NewGuid():N}"[..26];

    private string _folder = null!;

    /// <summary>What <c>dotnet pack</c> printed.</summary>
    public string PackOutput { get; private set; } = string.Empty;

    /// <summary>The package file in the folder feed.</summary>
    public string PackagePath { get; private set; } = string.Empty;

    /// <summary>The folder the snippets' program was built into, and the program.</summary>
    public string ProgramFolder => Path.Combine(_folder, "out");

    public string ProgramDll => Path.Combine(ProgramFolder, ProgramName + ".dll");

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("peerengine-package-").FullName;
        string feed = Path.Combine(_folder, "feed");
        string project = Path.Combine(_folder, "program");
        Directory.CreateDirectory(project);

        // The library as built for this test run: packing it again must not rebuild it.
        PackOutput = await DotnetCli.RunCheckedAsync(
            Repository.Root, "pack", Repository.PathOf("src", "PeerEngine", "PeerEngine.csproj"),
            "-c", Repository.Configuration, "--no-build", "--no-restore", "-o", feed, $"-p:Version={_version}");
        PackagePath = Path.Combine(feed, $"PeerEngine.{_version}.nupkg");

        WriteProject(project, feed);
        await DotnetCli.RunCheckedAsync(
            project, "build", Path.Combine(project, ProgramName + ".csproj"), "-c", "Release", "-o", ProgramFolder, "--disable-build-servers");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The package's files (paths inside the .nupkg).</summary>
    public IReadOnlyList<string> PackageEntries()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    /// <summary>The package's .nuspec.</summary>
    public XDocument Nuspec()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec);
    }

    private void WriteProject(string project, string feed)
    {
        // Outside the repository, so none of its Directory.*.props applies; the settings that matter
        // to a snippet (nullable, warnings as errors) are spelled out. Packages already in the
        // machine's NuGet folder are taken from there; the PeerEngine package from the feed only.
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(project, ProgramName + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <InvariantGlobalization>true</InvariantGlobalization>
                <RestorePackagesPath>{Path.Combine(_folder, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PeerEngine" Version="{_version}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="{CentralVersion("Microsoft.Extensions.Hosting")}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(project, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(project, "Directory.Packages.props"), "<Project />");

        // The machine's sources stay (the feed serving Microsoft.Extensions.*); the folder feed is added.
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="peerengine-packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        IReadOnlyList<ReadmeSnippet> snippets = ReadmeSnippets.All;
        foreach (ReadmeSnippet snippet in snippets)
        {
            File.WriteAllText(Path.Combine(project, ReadmeSnippets.ClassName(snippet) + ".cs"), ReadmeSnippets.AsSource(snippet));
        }

        // "ReadmeSnippets N ARGS...": runs snippet N with ARGS as its args.
        string cases = string.Join('\n', snippets.Select(s => $"    \"{s.Number}\" => {ReadmeSnippets.ClassName(s)}.RunAsync(args[1..]),"));
        File.WriteAllText(Path.Combine(project, "Program.cs"), $$"""
            await (args[0] switch
            {
            {{cases}}
                _ => throw new ArgumentException($"no README snippet {args[0]}"),
            });
            """);
    }

    /// <summary>The version the repository pins for <paramref name="package"/>, so the build needs no package the repository does not.</summary>
    private static string CentralVersion(string package) =>
        XDocument.Load(Repository.PathOf("Directory.Packages.props"))
            .Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == package)
            .Attribute("Version")!.Value;
}
