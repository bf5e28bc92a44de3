// The console host grows with the engine (issue "The console host `peerengine`"); until the node
// exists it says what it is and where the engine stands, and fails honestly on any command.
const string Usage = """
    peerengine: the PeerEngine console host.

    The host commands (demo, run, peers, send) arrive with the node; today the engine ships its
    framing codec, exercised by the tests:  dotnet test PeerEngine.sln -c Release
    """;

if (args is [] or ["--help"] or ["-h"])
{
    Console.Out.Write(Usage);
    return 0;
}

Console.Error.WriteLine($"peerengine: unknown command '{args[0]}' (see --help)");
return 2;
