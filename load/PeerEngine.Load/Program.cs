// The load tool (issue "The load tool: NBomber's concepts, honest latency, reports people read")
// is built on the node; until then it prints its intended usage.
const string Usage = """
    PeerEngine.Load: drives PeerEngine nodes and reports honest latency percentiles.

    usage: dotnet run -c Release --project load/PeerEngine.Load -- [--help]

    Scenarios, load simulations and reports arrive with the node; nothing runs yet.
    """;

Console.Out.Write(Usage);
return args is [] or ["--help"] or ["-h"] ? 0 : 2;
