using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

using PeerEngine.Framing;

namespace PeerEngine.Discovery.Redis.Internal;

/// <summary>
/// A peer's record in the hash: one JSON object,
/// <c>{"v":1,"id","host","port","transport","unix","pid","start","reg","seen","exp"}</c>, times in
/// unix ms. The node writes all but the last two, which the store's script adds from the server's
/// clock. Reading treats every record as untrusted: anything that can write to Redis can write there.
/// </summary>
internal static class RedisPeerCodec
{
    public const int FormatVersion = 1;
    private const int MaxHostLength = 255;
    private const int MaxUnixPathBytes = 107;

    /// <summary>The record without its closing brace, for <see cref="RedisScripts.Upsert"/> to complete.</summary>
    public static string EncodeOpen(PeerAnnouncement peer, int processId, DateTimeOffset startTime, string registrationId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", FormatVersion);
            writer.WriteString("id", peer.Id);
            writer.WriteString("host", peer.Host);
            writer.WriteNumber("port", peer.Port);
            writer.WriteNumber("transport", (int)peer.Transport);
            if (peer.UnixPath is null)
            {
                writer.WriteNull("unix");
            }
            else
            {
                writer.WriteString("unix", peer.UnixPath);
            }

            writer.WriteNumber("pid", processId);
            writer.WriteNumber("start", startTime.ToUnixTimeMilliseconds());
            writer.WriteString("reg", registrationId);
            writer.WriteEndObject();
        }

        string json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return json[..^1];
    }

    /// <summary>Reads one record; false with the reason when it is not a valid record of <paramref name="field"/>.</summary>
    public static bool TryDecode(string field, string? value, out PeerRecord peer, out long expiresMs, [NotNullWhen(false)] out string? problem)
    {
        peer = default;
        expiresMs = 0;
        if (string.IsNullOrEmpty(value))
        {
            problem = "the record is empty";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "the record is not a JSON object";
                return false;
            }

            if (!root.TryGetProperty("v", out JsonElement v) || !v.TryGetInt32(out int version) || version != FormatVersion)
            {
                problem = $"the record is not of format version {FormatVersion}";
                return false;
            }

            string? id = String(root, "id");
            if (id is null || id != field || !NodeIdSyntax.IsValid(id.AsSpan()))
            {
                problem = "its id is missing, invalid or not its field's name";
                return false;
            }

            string? host = String(root, "host");
            int port = Int(root, "port");
            int transport = Int(root, "transport");
            string? unix = String(root, "unix");
            long start = Long(root, "start");
            long seen = Long(root, "seen");
            expiresMs = Long(root, "exp");
            if (host is null || host.Length > MaxHostLength || host.AsSpan().ContainsAnyExceptInRange('!', '~'))
            {
                problem = "its host is missing or not printable ASCII of at most 255 characters";
                return false;
            }

            if (unix is not null && (unix.Length == 0 || Encoding.UTF8.GetByteCount(unix) > MaxUnixPathBytes || unix.Contains('\0', StringComparison.Ordinal)))
            {
                problem = "its Unix socket path is invalid";
                return false;
            }

            bool shapeOk = transport switch
            {
                (int)PeerTransport.Tcp => host.Length > 0 && port is >= 1 and <= 65535,
                (int)PeerTransport.UnixSocket => unix is not null && host.Length == 0 && port == 0,
                _ => false,
            };
            if (!shapeOk || seen <= 0 || expiresMs <= 0)
            {
                problem = "its transport, address or times are invalid";
                return false;
            }

            peer = new PeerRecord(
                id,
                host,
                port,
                (PeerTransport)transport,
                unix,
                Int(root, "pid"),
                DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(start, 0, 253402300799999)),
                DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(seen, 0, 253402300799999)));
            problem = null;
            return true;
        }
        catch (JsonException)
        {
            problem = "the record is not JSON";
            return false;
        }
        catch (InvalidOperationException)
        {
            problem = "a field of the record has the wrong type";
            return false;
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static int Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int n) ? n : -1;

    private static long Long(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Number)
        {
            return -1;
        }

        // Lua's cjson may write a whole number as 1.7e+12: read it as a double then.
        return e.TryGetInt64(out long n) ? n : e.TryGetDouble(out double d) && double.IsFinite(d) ? (long)d : -1;
    }
}
