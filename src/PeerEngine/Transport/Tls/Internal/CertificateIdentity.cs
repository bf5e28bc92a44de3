using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeerEngine.Framing;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>The node ids a certificate names: its <c>peerengine:</c> URI names when it has any, else its subject common name.</summary>
internal static class CertificateIdentity
{
    public const string UriScheme = "peerengine:";

    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private const string CommonNameOid = "2.5.4.3";

    // GeneralName's uniformResourceIdentifier is [6] IA5String (RFC 5280, 4.2.1.6).
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The ids named, in the certificate's order; empty when it names none (or only invalid ones).</summary>
    public static string[] NamedIds(X509Certificate2 certificate)
    {
        List<string>? fromUris = null;
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAlternativeNameOid)
            {
                fromUris ??= [];
                AddPeerUris(extension.RawData, fromUris);
            }
        }

        if (fromUris is { Count: > 0 })
        {
            return [.. fromUris.Where(id => NodeIdSyntax.IsValid(id.AsSpan())).Distinct(StringComparer.Ordinal)];
        }

        string? commonName = CommonName(certificate);
        return commonName is not null && NodeIdSyntax.IsValid(commonName.AsSpan()) ? [commonName] : [];
    }

    /// <summary>Whether <paramref name="nodeId"/> is one of <paramref name="named"/>, byte for byte.</summary>
    public static bool Names(string[] named, string nodeId) => Array.IndexOf(named, nodeId) >= 0;

    /// <summary>The ids for a message: <c>'a'</c>, <c>'a', 'b'</c>, or <c>no valid node id</c>.</summary>
    public static string Describe(string[] named) =>
        named.Length == 0 ? "no valid node id" : string.Join(", ", named.Select(id => $"'{id}'"));

    private static void AddPeerUris(byte[] rawData, List<string> ids)
    {
        try
        {
            AsnReader names = new AsnReader(rawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(UriTag))
                {
                    string uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                    if (uri.StartsWith(UriScheme, StringComparison.Ordinal))
                    {
                        ids.Add(uri[UriScheme.Length..]);
                    }
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension names nothing; the certificate is judged on what else it has.
        }
        catch (CryptographicException)
        {
        }
    }

    private static string? CommonName(X509Certificate2 certificate)
    {
        string? found = null;
        foreach (X500RelativeDistinguishedName name in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!name.HasMultipleElements && name.GetSingleElementType().Value == CommonNameOid)
            {
                found = name.GetSingleElementValue(); // the last CN is the most specific
            }
        }

        return found;
    }
}
