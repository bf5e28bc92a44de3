using System.Text.RegularExpressions;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Cli;

/// <summary>Mutual TLS through the real host process: certificates from 'peerengine cert', then run, send and peers with them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostTlsTests
{
    [Fact]
    public async Task Cert_commands_make_a_ca_and_node_certificates_that_run_and_send_use()
    {
        using var folder = new TempFolder();
        string root = Path.GetDirectoryName(folder.RegistryPath)!;
        string ca = Path.Combine(root, "ca");
        string certs = Path.Combine(root, "certs");

        Assert.Equal(0, (await ChildProcess.RunHostAsync(null, "cert", "ca", "--out", ca)).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca, "ca.key")));
        (int again, _, string againErr) = await ChildProcess.RunHostAsync(null, "cert", "ca", "--out", ca);
        Assert.Equal(2, again);
        Assert.Single(againErr.Trim().Split('\n'));

        foreach (string id in new[] { "tls-a", "tls-b", "tls-c" })
        {
            (int issued, _, string issueErr) = await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", ca, "--id", id, "--out", certs);
            Assert.True(issued == 0, issueErr);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, id + ".key")));
        }

        Assert.True(File.Exists(Path.Combine(certs, "ca.crt")));
        Assert.False(File.Exists(Path.Combine(certs, "ca.key")));
        Assert.Equal(2, (await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", certs, "--id", "x", "--out", certs)).ExitCode);
        Assert.Equal(2, (await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", ca, "--id", "not valid!", "--out", certs)).ExitCode);

        string[] Tls(string id) => ["--tls-cert", Path.Combine(certs, id + ".crt"), "--tls-key", Path.Combine(certs, id + ".key"), "--tls-ca", Path.Combine(certs, "ca.crt")];

        // --id defaults to the certificate's id.
        using ChildProcess run = ChildProcess.StartHost(null, ["run", "--registry", folder.RegistryPath, .. Tls("tls-a")]);
        string listening = await run.ReadLineAsync();
        Assert.Matches(new Regex(@"^listening 127\.0\.0\.1:\d+ id=tls-a$"), listening);

        (int sent, string answer, string sendErr) = await ChildProcess.RunHostAsync(null, ["send", "--to", "tls-a", "--registry", folder.RegistryPath, .. Tls("tls-b"), "--", "over tls"]);
        Assert.True(sent == 0, sendErr);
        Assert.Equal("over tls\n", answer);

        (int listed, string peers, string peersErr) = await ChildProcess.RunHostAsync(null, ["peers", "--registry", folder.RegistryPath, .. Tls("tls-c")]);
        Assert.True(listed == 0, peersErr);
        Assert.Contains("tls-a", peers, StringComparison.Ordinal);

        // Plain text to a TLS node: unreachable, one line.
        (int plain, _, string plainErr) = await ChildProcess.RunHostAsync(null, "send", "--to", "tls-a", "--registry", folder.RegistryPath, "--timeout", "3", "hi");
        Assert.Equal(3, plain);
        Assert.Single(plainErr.Trim().Split('\n'));

        // Another CA's certificate: exit 3, one line that says TLS.
        string otherCa = Path.Combine(root, "other-ca");
        await ChildProcess.RunHostAsync(null, "cert", "ca", "--out", otherCa);
        await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", otherCa, "--id", "stranger", "--out", otherCa);
        (int refused, _, string refusedErr) = await ChildProcess.RunHostAsync(null,
            "send", "--to", "tls-a", "--registry", folder.RegistryPath, "--timeout", "3",
            "--tls-cert", Path.Combine(otherCa, "stranger.crt"), "--tls-key", Path.Combine(otherCa, "stranger.key"), "--tls-ca", Path.Combine(certs, "ca.crt"), "hi");
        Assert.Equal(3, refused);
        Assert.Single(refusedErr.Trim().Split('\n'));
        Assert.Contains("TLS", refusedErr, StringComparison.Ordinal);

        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync());
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_options_that_cannot_work_are_bad_input_with_one_line()
    {
        using var folder = new TempFolder();
        string root = Path.GetDirectoryName(folder.RegistryPath)!;
        string ca = Path.Combine(root, "ca");
        await ChildProcess.RunHostAsync(null, "cert", "ca", "--out", ca);
        await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", ca, "--id", "one", "--out", ca);
        await ChildProcess.RunHostAsync(null, "cert", "issue", "--ca", ca, "--id", "two", "--out", ca);
        string Crt(string id) => Path.Combine(ca, id + ".crt");
        string Key(string id) => Path.Combine(ca, id + ".key");
        string caCrt = Path.Combine(ca, "ca.crt");

        string[][] cases =
        [
            ["run", "--tls-cert", Crt("one"), "--tls-key", Key("one")], // a partial set
            ["run", "--tls-cert", Crt("one"), "--tls-key", Key("two"), "--tls-ca", caCrt], // a key that does not match
            ["run", "--tls-cert", Path.Combine(ca, "missing.crt"), "--tls-key", Key("one"), "--tls-ca", caCrt],
            ["run", "--tls-cert", Key("one"), "--tls-key", Key("one"), "--tls-ca", caCrt], // no certificate in the file
            ["run", "--id", "two", "--tls-cert", Crt("one"), "--tls-key", Key("one"), "--tls-ca", caCrt], // an id the certificate does not name
            ["send", "--to", "one", "--tls-cert", Crt("one"), "hi"],
            ["peers", "--tls-ca", caCrt],
        ];
        foreach (string[] command in cases)
        {
            (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, [.. command, "--registry", folder.RegistryPath]);
            Assert.True(exit == 2, $"{string.Join(' ', command)}: exit {exit}, {stderr}");
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.DoesNotContain("listening", stdout, StringComparison.Ordinal);
        }
    }
}
