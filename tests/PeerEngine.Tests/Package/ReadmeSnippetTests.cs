using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Text;

using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Package;

/// <summary>
/// README.md's snippets, built against the packed library alone and run as a service would run
/// them: against a peer "billing" of this test, found through a registry of the test's own.
/// </summary>
[Collection(PackedLibraryGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class ReadmeSnippetTests(PackedLibrary library) : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _runtimeFolder = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _messages = new();
    private PeerNode _billing = null!;

    public async Task InitializeAsync()
    {
        // The snippets use the default registry, which XDG_RUNTIME_DIR places: the billing peer
        // publishes where a program run with that variable looks.
        _billing = new PeerNode(new PeerNodeOptions
        {
            NodeId = "billing",
            Registry = new PeerRegistryOptions { Path = Path.Combine(_runtimeFolder.FolderPath, "peerengine", "registry.bin") },
        })
        {
            RequestHandler = (request, _) =>
            {
                _requests.Enqueue($"{request.PeerId}: {Encoding.UTF8.GetString(request.Payload.Span)}");
                request.Response.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            },
            MessageHandler = (message, _) =>
            {
                _messages.Enqueue($"{message.PeerId}: {Encoding.UTF8.GetString(message.Payload.Span)}");
                return ValueTask.CompletedTask;
            },
        };
        await _billing.StartAsync();
    }

    public async Task DisposeAsync() => await _billing.DisposeAsync();

    public void Dispose() => _runtimeFolder.Dispose();

    [Fact]
    public async Task The_generic_host_snippet_hears_of_billing_asks_it_and_catches_the_unknown_peer_as_a_PeerException()
    {
        string stdout = await RunAsync(Snippet("Host.CreateApplicationBuilder"));

        Assert.Contains($"joined: billing at 127.0.0.1:{_billing.TcpEndPoint!.Port}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("billing answered: invoice 42\n", stdout, StringComparison.Ordinal);
        Assert.Contains("failed: PeerNotFoundException: ", stdout, StringComparison.Ordinal);
        Assert.Contains("broadcast: 1 delivered, 0 failed\n", stdout, StringComparison.Ordinal);
        Assert.Equal(["orders: invoice 42"], _requests);
        await Eventually.TrueAsync(() => _messages.Contains("orders: stock changed"), "billing has the broadcast");
    }

    [Fact]
    public async Task The_node_snippet_reads_billing_from_the_peers_it_knows_after_start_and_asks_it()
    {
        string stdout = await RunAsync(Snippet("NodeId = \"reports\""));

        Assert.Contains($"known: billing at 127.0.0.1:{_billing.TcpEndPoint!.Port}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("billing answered: total?\n", stdout, StringComparison.Ordinal);
        Assert.Equal(["reports: total?"], _requests);
    }

    [Fact]
    public async Task Without_billing_the_node_snippet_catches_the_failure_as_a_PeerException()
    {
        await _billing.StopAsync();

        string stdout = await RunAsync(Snippet("NodeId = \"reports\""));

        Assert.DoesNotContain("known: billing", stdout, StringComparison.Ordinal);
        Assert.Contains("failed: PeerNotFoundException: ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_address_snippet_reaches_billing_by_its_address_without_a_registry_and_catches_an_empty_one()
    {
        string address = $"127.0.0.1:{_billing.TcpEndPoint!.Port}";
        string stdout = await RunAsync(Snippet("BILLING_ADDRESS"), ("BILLING_ADDRESS", address));
        Assert.Contains($"{address} answered: total?\n", stdout, StringComparison.Ordinal);
        Assert.Single(_requests);

        await _billing.StopAsync();
        string refused = await RunAsync(Snippet("BILLING_ADDRESS"), ("BILLING_ADDRESS", address));
        Assert.Contains("failed: PeerUnavailableException: ", refused, StringComparison.Ordinal);
    }

    private static ReadmeSnippet Snippet(string marker) =>
        ReadmeSnippets.All.Single(s => s.Body.Contains(marker, StringComparison.Ordinal));

    /// <summary>Runs the snippet to its end; it must exit 0. Returns its stdout.</summary>
    private async Task<string> RunAsync(ReadmeSnippet snippet, params (string Name, string Value)[] environment)
    {
        var variables = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = _runtimeFolder.FolderPath };
        foreach ((string name, string value) in environment)
        {
            variables[name] = value;
        }

        (int exitCode, string stdout, string stderr) = await DotnetCli.RunAsync(
            "dotnet", library.ProgramFolder, variables,
            library.ProgramDll, snippet.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exitCode == 0, $"{snippet}: the snippet exited with {exitCode}:\n{stdout}\n{stderr}");
        return stdout;
    }
}
