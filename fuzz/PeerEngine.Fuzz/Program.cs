using System.Runtime.Versioning;

using PeerEngine.Fuzz;

using SharpFuzz;

[assembly: SupportedOSPlatform("linux")]

// dotnet PeerEngine.Fuzz.dll TARGET         under afl-fuzz or SharpFuzz's libfuzzer-dotnet bridge: fuzzes
//                                           TARGET; otherwise runs standard input through it once
// dotnet PeerEngine.Fuzz.dll seeds FOLDER   writes the seed corpus to FOLDER/TARGET/
if (args.Length == 2 && args[0] == "seeds")
{
    SeedCorpus.Write(args[1]);
    return 0;
}

if (args.Length != 1 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: PeerEngine.Fuzz ({string.Join('|', FuzzTargets.Names)}) | seeds FOLDER");
    return 2;
}

IFuzzTarget target = FuzzTargets.Create(args[0]);
try
{
    // libfuzzer-dotnet hands its shared memory to the managed side in this variable; SharpFuzz's
    // libFuzzer runner reads it too, and without it would take its input from a file named by args[0].
    if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
    {
        Fuzzer.LibFuzzer.Run(input => target.Run(input));
    }
    else
    {
        // Out of process: a crash that kills the runtime (stack overflow, fail-fast) is reported as a
        // crash and the worker restarted, instead of taking the fork server down with it.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        });
    }
}
finally
{
    (target as IDisposable)?.Dispose();
}

return 0;
