using System.IO.Compression;
using System.Runtime.Versioning;
using System.Xml.Linq;

using PeerEngine.Tests.Support;


namespace PeerEngine.Tests.Package;

/// <summary>The packages as NuGet shows them (the library, and the console host as a .NET tool): a readme, and a pack without warnings.</summary>
[Collection(PackedLibraryGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class PackageTests(PackedLibrary library)
{
    [Fact]
    public void Every_README_snippet_builds_against_the_package_alone()
    {
        // The fixture built them (warnings as errors) or failed every test here with the compiler's
        // messages, which point at the README lines.
        Assert.True(File.Exists(library.ProgramDll));
        Assert.NotEmpty(ReadmeSnippets.All);
    }

    [Fact]
    public void Packing_the_library_warns_of_nothing()
    {
        Assert.DoesNotContain(": warning ", library.PackOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_package_carries_its_readme()
    {
        XNamespace ns = library.Nuspec().Root!.Name.Namespace;
        string readme = Assert.Single(library.Nuspec().Descendants(ns + "readme")).Value;
        Assert.Contains(readme, library.PackageEntries());
    }

    [Fact]
    public async Task The_tool_package_packs_without_warnings_and_carries_its_readme()
    {
        DirectoryInfo output = Directory.CreateTempSubdirectory("peerengine-tool-");
        try
        {
            string packed = await DotnetCli.RunCheckedAsync(
                Repository.Root, "pack", Repository.PathOf("src", "PeerEngine.Host", "PeerEngine.Host.csproj"),
                "-c", Repository.Configuration, "--no-build", "--no-restore", "-o", output.FullName);

            Assert.DoesNotContain(": warning ", packed, StringComparison.OrdinalIgnoreCase);
            using ZipArchive zip = ZipFile.OpenRead(Assert.Single(output.GetFiles("PeerEngine.Cli.*.nupkg")).FullName);
            using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            XElement root = XDocument.Load(nuspec).Root!;
            string readme = Assert.Single(root.Descendants(root.Name.Namespace + "readme")).Value;
            Assert.Contains(zip.Entries, e => e.FullName == readme);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
