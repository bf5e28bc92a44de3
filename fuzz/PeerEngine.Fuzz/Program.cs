using System.Runtime.Versioning;

using PeerEngine.Fuzz;

using SharpFuzz;

[assembly: SupportedOSPlatform("linux")]

// dotnet PeerEngine.Fuzz.dll TARGET               afl-fuzz (SharpFuzz's out-of-process fork server);
//                                                 outside afl, runs standard input once
// dotnet PeerEngine.Fuzz.dll TARGET --libfuzzer   libFuzzer, through SharpFuzz's libfuzzer-dotnet bridge
// dotnet PeerEngine.Fuzz.dll seeds FOLDER         writes the seed corpus to FOLDER/TARGET/
if (args.Length == 2 && args[0] == "seeds")
{
    SeedCorpus.Write(args[1]);
    return 0;
}

if (args.Length is 0 or > 2 || !FuzzTargets.Names.Contains(args[0]) || (args.Length == 2 && args[1] != "--libfuzzer"))
{
    Console.Error.WriteLine($"usage: PeerEngine.Fuzz ({string.Join('|', FuzzTargets.Names)}) [--libfuzzer] | seeds FOLDER");
    return 2;
}

IFuzzTarget target = FuzzTargets.Create(args[0]);
try
{
    if (args.Length == 2)
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
