using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeerEngine.Framing;

namespace PeerEngine.Host.Commands;

/// <summary>
/// <c>peerengine cert ca</c> and <c>cert issue</c>: a private CA and node certificates for mutual
/// TLS, so a few peers are set up without other tools. Keys are ECDSA P-256: the fastest handshakes
/// .NET's TLS offers, and small.
/// </summary>
internal static class CertCommand
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public static Command Create() => new("cert", "Create a private CA and node certificates for mutual TLS.")
    {
        CreateCa(),
        CreateIssue(),
    };

    private static Command CreateCa()
    {
        var output = new Option<string>("--out") { Description = "The folder for ca.crt and ca.key; created if needed.", Required = true };
        var days = new Option<int>("--days") { Description = "Validity of the CA certificate, in days.", DefaultValueFactory = _ => 3650 };
        var command = new Command("ca", "Create a CA: DIR/ca.crt and DIR/ca.key (readable by its owner only); never overwrites.") { output, days };
        command.SetAction(result =>
        {
            string folder = result.GetValue(output)!;
            int validDays = RequirePositive(result.GetValue(days));
            string certificatePath = Path.Combine(folder, "ca.crt");
            string keyPath = Path.Combine(folder, "ca.key");
            CreateFolder(folder);
            if (File.Exists(certificatePath) || File.Exists(keyPath))
            {
                throw CliException.Usage($"{folder} already holds a CA (ca.crt or ca.key); it is not overwritten");
            }

            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=PeerEngine CA", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            DateTimeOffset now = DateTimeOffset.UtcNow;
            using X509Certificate2 ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(validDays));
            WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem(), OwnerOnly);
            WriteNew(certificatePath, ca.ExportCertificatePem(), null);
            Console.Out.WriteLine($"wrote {certificatePath} and {keyPath}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateIssue()
    {
        var caFolder = new Option<string>("--ca") { Description = "The CA's folder (ca.crt and ca.key, from 'cert ca').", Required = true };
        var id = new Option<string>("--id") { Description = "The node id the certificate names (CN and URI peerengine:ID).", Required = true };
        var output = new Option<string>("--out") { Description = "The folder for ID.crt, ID.key and a copy of ca.crt; created if needed.", Required = true };
        var days = new Option<int>("--days") { Description = "Validity of the certificate, in days.", DefaultValueFactory = _ => 365 };
        var command = new Command("issue", "Issue a node certificate, valid for server and client authentication; reissuing renews it in place.") { caFolder, id, output, days };
        command.SetAction(result =>
        {
            string folder = result.GetValue(caFolder)!;
            string nodeId = result.GetValue(id)!;
            string outFolder = result.GetValue(output)!;
            int validDays = RequirePositive(result.GetValue(days));
            if (!NodeIdSyntax.IsValid(nodeId.AsSpan()))
            {
                throw CliException.Usage($"--id '{nodeId}' is not a valid node id (1-64 ASCII letters, digits, '.', '_', '-')");
            }

            using X509Certificate2 ca = LoadCa(folder);
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={nodeId}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri("peerengine:" + nodeId));
            request.CertificateExtensions.Add(names.Build());
            DateTimeOffset now = DateTimeOffset.UtcNow;
            DateTimeOffset notAfter = now.AddDays(validDays) < ca.NotAfter ? now.AddDays(validDays) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
            using X509Certificate2 issued = request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F) : b).ToArray());

            CreateFolder(outFolder);
            string certificatePath = Path.Combine(outFolder, nodeId + ".crt");
            string keyPath = Path.Combine(outFolder, nodeId + ".key");

            // Replaced whole (a rename), key first: a running node that reloads sees the old pair or the new one.
            Replace(keyPath, key.ExportPkcs8PrivateKeyPem(), OwnerOnly);
            Replace(certificatePath, issued.ExportCertificatePem(), null);
            string caCopy = Path.Combine(outFolder, "ca.crt");
            if (Path.GetFullPath(caCopy) != Path.GetFullPath(Path.Combine(folder, "ca.crt")))
            {
                Replace(caCopy, ca.ExportCertificatePem(), null);
            }

            Console.Out.WriteLine($"wrote {certificatePath}, {keyPath} and {caCopy}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static X509Certificate2 LoadCa(string folder)
    {
        string certificatePath = Path.Combine(folder, "ca.crt");
        string keyPath = Path.Combine(folder, "ca.key");
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            throw CliException.Usage($"{folder} holds no CA (ca.crt and ca.key); create one with 'peerengine cert ca --out {folder}'");
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"the CA in {folder} cannot be used: {RegistryAccess.OneLine(e.Message)}");
        }
    }

    private static int RequirePositive(int days) =>
        days > 0 ? days : throw CliException.Usage($"--days must be at least 1, not {days}");

    private static void CreateFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot create {folder}: {RegistryAccess.OneLine(e.Message)}");
        }
    }

    private static void WriteNew(string path, string text, UnixFileMode? mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }

    private static void Replace(string path, string text, UnixFileMode? mode)
    {
        string temporary = path + ".tmp";
        File.Delete(temporary);
        WriteNew(temporary, text, mode);
        File.Move(temporary, path, overwrite: true);
    }
}
