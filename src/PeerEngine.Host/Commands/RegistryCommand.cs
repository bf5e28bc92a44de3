using System.CommandLine;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary><c>peerengine registry export</c>: the live peers as peers.txt lines or JSON.</summary>
internal static class RegistryCommand
{
    public static Command Create()
    {
        Option<string> registry = Settings.Registry();
        var format = new Option<string>("--format") { Description = "text (host:port lines) or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var export = new Command("export", "Write the live peers as host:port lines (the original peers.txt) or JSON.") { registry, format };
        export.SetAction(result =>
        {
            IReadOnlyList<PeerRecord> peers = RegistryAccess.Peers(result.GetValue(registry)!);
            Console.Out.Write(result.GetValue(format) == "json" ? PeerExport.ToJson(peers) + "\n" : PeerExport.ToHostPortLines(peers));
            return ExitCodes.Success;
        });
        return new Command("registry", "Work with a registry file.") { export };
    }
}
