using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PeerEngine.Tests.Transport.Tls;

/// <summary>TLS options from configuration, through DI, as a service would set them.</summary>
public sealed class TlsConfigurationTests
{
    [Fact]
    public async Task Tls_paths_bound_from_configuration_give_the_node_its_certificate_and_id()
    {
        var pki = new TestPki();
        string folder = Directory.CreateTempSubdirectory("pe-tls-config-").FullName;
        try
        {
            (string certificate, string key) = TestPki.WritePem(pki.Issue("configured"), folder, "node");
            string ca = Path.Combine(folder, "ca.crt");
            File.WriteAllText(ca, pki.Ca.ExportCertificatePem());
            HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PeerEngine:Discover"] = "false",
                ["PeerEngine:Tls:CertificatePath"] = certificate,
                ["PeerEngine:Tls:KeyPath"] = key,
                ["PeerEngine:Tls:CertificateAuthorityPath"] = ca,
                ["PeerEngine:Tls:MaxPendingHandshakes"] = "32",
            });
            builder.Services.AddPeerEngine(options => builder.Configuration.GetSection("PeerEngine").Bind(options));
            using IHost host = builder.Build();
            PeerNode node = host.Services.GetRequiredService<PeerNode>();
            Assert.Equal("configured", node.Id);
            var tls = (PeerEngine.Transport.Tls.TlsMiddleware)node.Middleware[0];
            Assert.Equal(0, tls.PendingHandshakes);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
