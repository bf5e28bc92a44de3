using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Load.Targets;

/// <summary>Where the load goes, as given on the command line.</summary>
internal sealed record TargetAddress(TargetKind Kind, string Text, string? Host = null, int Port = 0, string? Path = null, string? PeerId = null)
{
    public static readonly TargetAddress Embedded = new(TargetKind.Embedded, "embedded");

    /// <summary>
    /// Reads <c>tcp://host:port</c>, <c>unix:/path</c>, <c>registry:/path/file</c> (every live peer),
    /// <c>registry:/path/file#id</c> (one peer), <c>noop</c>; nothing means the embedded pair.
    /// </summary>
    public static TargetAddress Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text is "embedded")
        {
            return Embedded;
        }

        text = text.Trim();
        if (text is "noop" or "noop:")
        {
            return new TargetAddress(TargetKind.NoOp, "noop");
        }

        if (text.StartsWith("registry:", StringComparison.OrdinalIgnoreCase))
        {
            string rest = text["registry:".Length..];
            int hash = rest.LastIndexOf('#');
            string file = hash < 0 ? rest : rest[..hash];
            string? id = hash < 0 ? null : rest[(hash + 1)..];
            return file.Length > 0 && id is not ""
                ? new TargetAddress(TargetKind.Registry, text, Path: file, PeerId: id)
                : throw Invalid(text);
        }

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            string path = text["unix:".Length..];
            path = path.StartsWith("//", StringComparison.Ordinal) ? path[2..] : path;
            return path.Length > 0
                ? new TargetAddress(TargetKind.Unix, text, Path: path)
                : throw Invalid(text);
        }

        if (text.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
        {
            string rest = text["tcp://".Length..].TrimEnd('/');
            int colon = rest.LastIndexOf(':');
            if (colon > 0
                && int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                && port is > 0 and <= 65535)
            {
                return new TargetAddress(TargetKind.Tcp, text, rest[..colon].Trim('[', ']'), port);
            }
        }

        throw Invalid(text);
    }

    /// <summary>The socket endpoint of a tcp or unix target, with host names resolved.</summary>
    public async Task<EndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        switch (Kind)
        {
            case TargetKind.Unix:
                return new UnixDomainSocketEndPoint(Path!);
            case TargetKind.Tcp when IPAddress.TryParse(Host, out IPAddress? address):
                return new IPEndPoint(address, Port);
            case TargetKind.Tcp:
                IPAddress[] addresses = await Dns.GetHostAddressesAsync(Host!, cancellationToken).ConfigureAwait(false);
                return addresses.Length > 0
                    ? new IPEndPoint(addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0], Port)
                    : throw new FormatException($"target {Text}: the host name resolves to no address.");
            default:
                throw new InvalidOperationException($"A {Kind} target has no address.");
        }
    }

    private static FormatException Invalid(string text) =>
        new($"target '{text}' is not tcp://host:port, unix:/path, registry:/file[#id] or noop (no target runs an embedded pair of PeerEngine endpoints).");
}

/// <summary>The kinds of target the tool can load.</summary>
internal enum TargetKind
{
    /// <summary>A PeerEngine echo endpoint started in this process, reached over loopback TCP.</summary>
    Embedded,

    /// <summary>An in-process no-op: measures the generator itself.</summary>
    NoOp,

    Tcp,

    Unix,

    /// <summary>Every live peer of a registry file, or one of them by id.</summary>
    Registry,
}
