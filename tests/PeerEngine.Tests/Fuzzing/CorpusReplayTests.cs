using System.Runtime.Versioning;

using PeerEngine.Fuzz;

namespace PeerEngine.Tests.Fuzzing;

/// <summary>
/// Every seed of fuzz/corpus/TARGET and every crash kept in fuzz/crashes/TARGET, run through the
/// same target code the fuzzer runs: a seed or a fixed crash that breaks a property fails here on
/// every build, without afl.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class CorpusReplayTests
{
    private static readonly string FuzzFolder = FindFuzzFolder();

    public static TheoryData<string, string> Inputs()
    {
        var inputs = new TheoryData<string, string>();
        foreach (string target in FuzzTargets.Names)
        {
            foreach (string kind in (string[])["corpus", "crashes"])
            {
                string folder = Path.Combine(FuzzFolder, kind, target);
                if (!Directory.Exists(folder))
                {
                    continue;
                }

                foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
                {
                    inputs.Add(target, Path.GetRelativePath(FuzzFolder, file));
                }
            }
        }

        return inputs;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void The_input_keeps_every_property_of_its_target(string target, string file)
    {
        IFuzzTarget fuzzTarget = FuzzTargets.Create(target);
        try
        {
            fuzzTarget.Run(File.ReadAllBytes(Path.Combine(FuzzFolder, file)));
        }
        finally
        {
            (fuzzTarget as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void One_registry_target_runs_every_seed_twice_in_a_row_as_the_fuzzer_does()
    {
        // The fuzzer keeps one target for millions of inputs and it rewrites one file in place: what
        // an input leaves behind (a longer file, a registry created over an empty one) must not change
        // how the next is judged.
        string[] seeds = Directory.GetFiles(Path.Combine(FuzzFolder, "corpus", "registry")).Order(StringComparer.Ordinal).ToArray();
        using var target = (IDisposable)FuzzTargets.Create("registry");
        for (int round = 0; round < 2; round++)
        {
            foreach (string seed in seeds)
            {
                ((IFuzzTarget)target).Run(File.ReadAllBytes(seed));
            }
        }

        Assert.True(seeds.Length > 5, $"only {seeds.Length} registry seeds");
    }

    [Fact]
    public void Every_target_has_a_seed_corpus()
    {
        foreach (string target in FuzzTargets.Names)
        {
            string folder = Path.Combine(FuzzFolder, "corpus", target);
            Assert.True(Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(), $"{folder} holds no seed");
        }
    }

    private static string FindFuzzFolder()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "fuzz", "corpus");
            if (Directory.Exists(candidate))
            {
                return Path.Combine(folder.FullName, "fuzz");
            }
        }

        throw new DirectoryNotFoundException($"No fuzz/corpus folder above {AppContext.BaseDirectory}.");
    }
}
