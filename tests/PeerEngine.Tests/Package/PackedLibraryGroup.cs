namespace PeerEngine.Tests.Package;

/// <summary>
/// The tests that pack, build or publish: one packed library for all of them, and, since a build
/// takes both cores of the CI machine, never beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackedLibraryGroup : ICollectionFixture<PackedLibrary>
{
    public const string Name = "Packed library";
}
