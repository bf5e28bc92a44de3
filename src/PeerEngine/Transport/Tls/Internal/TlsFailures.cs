using System.Security.Authentication;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>Turns what the TLS library reports into one line a person can act on.</summary>
internal static class TlsFailures
{
    // The alert names are OpenSSL's (what .NET uses on Linux); the description is the peer's verdict
    // on this node's certificate, since this side's verdict on the peer's is known without one.
    private static readonly (string Alert, string Meaning)[] Alerts =
    [
        ("unknown ca", "the peer does not trust the CA of this node's certificate"),
        ("certificate expired", "the peer finds this node's certificate expired"),
        ("certificate required", "the peer requires a certificate from this node"),
        ("bad certificate", "the peer refused this node's certificate"),
        ("certificate unknown", "the peer refused this node's certificate"),
        ("unsupported certificate", "the peer refused this node's certificate (its key usage)"),
        ("protocol version", "the peer does not speak TLS 1.3"),
        ("wrong version number", "the peer does not speak TLS (a plain-text listener?)"),
        ("handshake failure", "the peer refused the TLS handshake"),
    ];

    /// <summary>Whether <paramref name="failure"/> or one of its causes came from TLS.</summary>
    public static bool IsTls(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException || e.GetType().FullName?.Contains("OpenSsl", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why the TLS library failed, as far as its messages tell; <c>null</c> when they say nothing useful.</summary>
    public static string Explain(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            foreach ((string alert, string meaning) in Alerts)
            {
                if (e.Message.Contains(alert, StringComparison.OrdinalIgnoreCase))
                {
                    return meaning;
                }
            }
        }

        Exception innermost = failure;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        string message = innermost.Message;
        int end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }
}
