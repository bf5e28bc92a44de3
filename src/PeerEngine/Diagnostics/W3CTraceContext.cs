using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace PeerEngine.Diagnostics;

/// <summary>
/// W3C Trace Context values (<c>traceparent</c>, <c>tracestate</c>) to and from an
/// <see cref="ActivityContext"/>: what a span sends to its peer, and what a received block means. A
/// value that is not valid W3C is not an error of the protocol: the block is then ignored.
/// </summary>
internal static class W3CTraceContext
{
    private const int TraceParentLength = 55;
    private const int MaxTraceStateMembers = 32;
    private const int MaxTraceStateLength = 512;

    /// <summary>The values that carry <paramref name="activity"/> to a peer; false when it has none to carry.</summary>
    public static bool TryGetOutgoing(Activity? activity, out string traceParent, out string? traceState)
    {
        traceParent = string.Empty;
        traceState = null;
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { Length: TraceParentLength } id)
        {
            return false;
        }

        traceParent = id;

        // A tracestate that cannot travel is dropped, not the trace: W3C lets a hop discard it.
        if (activity.TraceStateString is { Length: > 0 and <= MaxTraceStateLength } state && Ascii.IsValid(state))
        {
            traceState = state;
        }

        return true;
    }

    /// <summary>The context a received block names, when both of its values are valid W3C values.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> traceParent, in ReadOnlySequence<byte> traceState, out ActivityContext context)
    {
        context = default;
        if (traceParent.Length < TraceParentLength || traceState.Length > MaxTraceStateLength)
        {
            return false;
        }

        Span<byte> parent = stackalloc byte[(int)traceParent.Length];
        traceParent.CopyTo(parent);
        Span<byte> state = stackalloc byte[(int)traceState.Length];
        traceState.CopyTo(state);
        if (!IsValidTraceParent(parent) || !IsValidTraceState(state))
        {
            return false;
        }

        var flags = (ActivityTraceFlags)(((HexValue(parent[53]) * 16) + HexValue(parent[54])) & (int)ActivityTraceFlags.Recorded);
        context = new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(parent.Slice(3, 32)),
            ActivitySpanId.CreateFromUtf8String(parent.Slice(36, 16)),
            flags,
            state.IsEmpty ? null : Encoding.ASCII.GetString(state),
            isRemote: true);
        return true;
    }

    /// <summary>
    /// <c>version-traceid-parentid-flags</c>, lowercase hex: version <c>ff</c> is invalid, version
    /// <c>00</c> is exactly 55 bytes, a later version may add fields after a dash; the ids are not all zeros.
    /// </summary>
    internal static bool IsValidTraceParent(ReadOnlySpan<byte> value)
    {
        if (value.Length < TraceParentLength
            || !IsLowerHex(value[..2]) || value[..2].SequenceEqual("ff"u8)
            || value[2] != '-' || value[35] != '-' || value[52] != '-'
            || !IsLowerHex(value.Slice(3, 32)) || !IsLowerHex(value.Slice(36, 16)) || !IsLowerHex(value.Slice(53, 2))
            || IsAllZeros(value.Slice(3, 32)) || IsAllZeros(value.Slice(36, 16)))
        {
            return false;
        }

        bool version00 = value[..2].SequenceEqual("00"u8);
        return value.Length == TraceParentLength || (!version00 && value[TraceParentLength] == '-');
    }

    /// <summary>
    /// Up to 32 comma-separated <c>key=value</c> members (empty members and spaces or tabs around them
    /// allowed), keys unique, each key and value of the W3C grammar; empty is valid (no tracestate).
    /// </summary>
    internal static bool IsValidTraceState(ReadOnlySpan<byte> value)
    {
        Span<Range> keys = stackalloc Range[MaxTraceStateMembers];
        int members = 0;
        int start = 0;
        while (start <= value.Length)
        {
            int comma = value[start..].IndexOf((byte)',');
            int end = comma < 0 ? value.Length : start + comma;
            ReadOnlySpan<byte> member = value[start..end].Trim(" \t"u8);
            if (!member.IsEmpty)
            {
                int equals = member.IndexOf((byte)'=');
                if (equals <= 0 || members == MaxTraceStateMembers || !IsValidKey(member[..equals]) || !IsValidValue(member[(equals + 1)..]))
                {
                    return false;
                }

                int offset = start + value[start..end].IndexOf(member[0]);
                Range key = offset..(offset + equals);
                for (int i = 0; i < members; i++)
                {
                    if (value[keys[i]].SequenceEqual(value[key]))
                    {
                        return false;
                    }
                }

                keys[members++] = key;
            }

            start = end + 1;
        }

        return true;
    }

    private static bool IsValidKey(ReadOnlySpan<byte> key)
    {
        int at = key.IndexOf((byte)'@');
        if (at < 0)
        {
            // simple-key: lcalpha, then up to 255 of lcalpha, digit, '_', '-', '*', '/'.
            return key.Length <= 256 && IsLowerAlpha(key[0]) && AllKeyChars(key[1..]);
        }

        // multi-tenant-key: tenant-id (lcalpha or digit, then up to 240) '@' system-id (lcalpha, then up to 13).
        ReadOnlySpan<byte> tenant = key[..at];
        ReadOnlySpan<byte> system = key[(at + 1)..];
        return tenant.Length is >= 1 and <= 241 && (IsLowerAlpha(tenant[0]) || char.IsAsciiDigit((char)tenant[0])) && AllKeyChars(tenant[1..])
            && system.Length is >= 1 and <= 14 && IsLowerAlpha(system[0]) && AllKeyChars(system[1..]);
    }

    /// <summary>Up to 256 printable ASCII characters but ',' and '=', spaces allowed except at the end.</summary>
    private static bool IsValidValue(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > 256 || value[^1] == ' ')
        {
            return false;
        }

        foreach (byte b in value)
        {
            if (b is < 0x20 or > 0x7E or (byte)',' or (byte)'=')
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllKeyChars(ReadOnlySpan<byte> chars)
    {
        foreach (byte b in chars)
        {
            if (!IsLowerAlpha(b) && !char.IsAsciiDigit((char)b) && b is not ((byte)'_' or (byte)'-' or (byte)'*' or (byte)'/'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlpha(byte b) => b is >= (byte)'a' and <= (byte)'z';

    private static bool IsLowerHex(ReadOnlySpan<byte> chars)
    {
        foreach (byte b in chars)
        {
            if (!char.IsAsciiDigit((char)b) && b is not (>= (byte)'a' and <= (byte)'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAllZeros(ReadOnlySpan<byte> chars) => !chars.ContainsAnyExcept((byte)'0');

    private static int HexValue(byte b) => b <= '9' ? b - '0' : b - 'a' + 10;
}
