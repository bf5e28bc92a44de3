using System.Buffers;

namespace PeerEngine.Framing;

/// <summary>What a node id may be: 1 to 64 bytes of ASCII letters, digits, '.', '_' and '-'.</summary>
public static class NodeIdSyntax
{
    private static readonly SearchValues<byte> AllowedBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"u8);

    private static readonly SearchValues<char> AllowedChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    /// <summary>Whether <paramref name="id"/> is a valid node id in its wire (ASCII) form.</summary>
    public static bool IsValid(ReadOnlySpan<byte> id) =>
        id.Length is >= WireProtocol.MinNodeIdLength and <= WireProtocol.MaxNodeIdLength
        && !id.ContainsAnyExcept(AllowedBytes);

    /// <summary>Whether <paramref name="id"/> is a valid node id.</summary>
    public static bool IsValid(ReadOnlySpan<char> id) =>
        id.Length is >= WireProtocol.MinNodeIdLength and <= WireProtocol.MaxNodeIdLength
        && !id.ContainsAnyExcept(AllowedChars);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the rule when <paramref name="id"/> is not a valid node id.</summary>
    public static void Validate(string id, string paramName)
    {
        ArgumentNullException.ThrowIfNull(id, paramName);
        if (!IsValid(id.AsSpan()))
        {
            throw new ArgumentException(
                $"Node id '{id}' is invalid: use 1 to 64 ASCII letters, digits, '.', '_' or '-'.", paramName);
        }
    }
}
