using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Transport.SharedMemory;

/// <summary>
/// Two nodes talking over shared memory with no spin budget, so that every wait on either side parks
/// and is woken by a bell: a request costs no allocation, waits included. Measured in a child process,
/// since this one counts every pooled block it rents.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed partial class RingWaitAllocationTests
{
    [Fact]
    public async Task Requests_whose_every_wait_parks_allocate_nothing_once_warm()
    {
        const int Requests = 4_000;

        (int exit, string stdout, string stderr) = await ChildProcess.RunPeerAsync("shm-allocations", TempPaths.UnixSocket(), Requests.ToString(CultureInfo.InvariantCulture));

        Assert.True(exit == 0, stderr);
        Match result = Result().Match(stdout);
        Assert.True(result.Success, stdout);
        Assert.Equal(Requests, int.Parse(result.Groups["answered"].Value, CultureInfo.InvariantCulture));
        double perRequest = double.Parse(result.Groups["bytes"].Value, CultureInfo.InvariantCulture);
        Assert.True(perRequest < 8, $"{perRequest} B allocated per request");
    }

    [GeneratedRegex(@"answered (?<answered>\d+) allocated-per-request (?<bytes>[\d.]+)")]
    private static partial Regex Result();
}
