using System.Globalization;
using System.Text;
using System.Text.Json;

using PeerEngine.Registry.Internal;

namespace PeerEngine;

/// <summary>
/// The live peers in the formats other tools read: plain <c>host:port</c> lines (the original
/// <c>peers.txt</c>) and JSON (the console host's <c>peers --json</c>).
/// </summary>
public static class PeerExport
{
    /// <summary>
    /// <c>host:port</c> for a TCP peer, an IPv6 host in brackets (<c>[::1]:5000</c>) so the line
    /// splits unambiguously; <see langword="null"/> for a Unix-only peer, which has no TCP endpoint.
    /// </summary>
    /// <param name="peer">The peer.</param>
    public static string? FormatHostPort(PeerRecord peer)
    {
        if (peer.Transport != PeerTransport.Tcp || peer.Host.Length == 0)
        {
            return null;
        }

        string host = peer.Host.Contains(':', StringComparison.Ordinal) ? $"[{peer.Host}]" : peer.Host;
        return string.Create(CultureInfo.InvariantCulture, $"{host}:{peer.Port}");
    }

    /// <summary>Writes one <c>host:port</c> line per TCP peer (Unix-only peers are left out).</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="peers">The peers, e.g. a discovery snapshot.</param>
    public static void WriteHostPortLines(TextWriter writer, IEnumerable<PeerRecord> peers)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(peers);
        foreach (PeerRecord peer in peers)
        {
            if (FormatHostPort(peer) is { } line)
            {
                writer.Write(line);
                writer.Write('\n');
            }
        }
    }

    /// <summary>The <c>host:port</c> lines of <see cref="WriteHostPortLines"/> as one string.</summary>
    /// <param name="peers">The peers, e.g. a discovery snapshot.</param>
    public static string ToHostPortLines(IEnumerable<PeerRecord> peers)
    {
        var builder = new StringBuilder();
        using var writer = new StringWriter(builder, CultureInfo.InvariantCulture);
        WriteHostPortLines(writer, peers);
        return builder.ToString();
    }

    /// <summary>
    /// Writes one JSON array, each element exactly
    /// <c>{"id": ..., "host": ..., "port": ..., "pid": ..., "lastSeen": &lt;unix ms&gt;}</c>; an IPv6
    /// host without brackets, a Unix-only peer with host <c>""</c> and port 0. Uses a
    /// source-generated serializer (trimming- and AOT-safe).
    /// </summary>
    /// <param name="utf8Json">Where to write the UTF-8 JSON.</param>
    /// <param name="peers">The peers, e.g. a discovery snapshot.</param>
    public static void WriteJson(Stream utf8Json, IEnumerable<PeerRecord> peers)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonSerializer.Serialize(utf8Json, ToEntries(peers), PeerJsonContext.Default.PeerJsonEntryArray);
    }

    /// <summary>The JSON array of <see cref="WriteJson"/> as a string.</summary>
    /// <param name="peers">The peers, e.g. a discovery snapshot.</param>
    public static string ToJson(IEnumerable<PeerRecord> peers) =>
        JsonSerializer.Serialize(ToEntries(peers), PeerJsonContext.Default.PeerJsonEntryArray);

    private static PeerJsonEntry[] ToEntries(IEnumerable<PeerRecord> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return [.. peers.Select(peer => new PeerJsonEntry(peer.Id, peer.Host, peer.Port, peer.ProcessId, peer.LastSeen.ToUnixTimeMilliseconds()))];
    }
}
