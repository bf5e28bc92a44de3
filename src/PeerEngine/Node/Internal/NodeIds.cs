using System.Text;
using PeerEngine.Framing;

namespace PeerEngine.Node.Internal;

/// <summary>Node ids made up when none is configured: readable, unique per process, valid on the wire.</summary>
internal static class NodeIds
{
    public static string Generate()
    {
        var id = new StringBuilder();
        foreach (char c in Environment.MachineName)
        {
            id.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        if (id.Length > 40)
        {
            id.Length = 40;
        }

        id.Append('-').Append(Environment.ProcessId).Append('-').Append(Random.Shared.Next(0x10000).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        string result = id.ToString().TrimStart('-', '.');
        return NodeIdSyntax.IsValid(result.AsSpan()) ? result : $"node-{Environment.ProcessId}";
    }
}
