namespace PeerEngine.Tests.Registry;

/// <summary>A private (0700) temporary folder for one test's registry files, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        FolderPath = Directory.CreateTempSubdirectory("peerengine-registry-").FullName;
    }

    public string FolderPath { get; }

    public string RegistryPath => Path.Combine(FolderPath, "registry.bin");

    public string PathOf(string name) => Path.Combine(FolderPath, name);

    public void Dispose() => Directory.Delete(FolderPath, recursive: true);
}
