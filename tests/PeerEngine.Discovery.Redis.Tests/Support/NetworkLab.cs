using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PeerEngine.Discovery.Redis.Tests.Support;

/// <summary>
/// A small network of Linux network namespaces: a "switch" namespace holding a bridge, and one
/// namespace per machine, each joined to the bridge by a veth pair, with an address in 10.250.0.0/24
/// that exists only inside these namespaces (nothing is added to the test's own namespace, so no
/// traffic can leave them). Every namespace, link and process is removed on dispose, pass or fail;
/// namespaces left by a run that crashed (its pid is gone) are removed when the next lab starts.
/// Needs root and iproute2; without them the test fails saying so.
/// </summary>
internal sealed partial class NetworkLab : IDisposable
{
    private const string Prefix = "pelab";
    private static int s_labs;
    private readonly string _name;
    private readonly List<string> _namespaces = [];
    private readonly List<IDisposable> _owned = [];

    private NetworkLab(string name) => _name = name;

    public string Switch => $"{_name}-sw";

    [GeneratedRegex(@"^pelab(\d+)-\d+-")]
    private static partial Regex LabName();

    /// <summary>Builds the switch and one machine per name in <paramref name="machines"/>, addressed 10.250.0.1, .2, ...</summary>
    public static NetworkLab Create(params string[] machines)
    {
        RequireTools();
        RemoveLeftovers();
        var lab = new NetworkLab(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref s_labs)}"));
        try
        {
            lab.AddNamespace(lab.Switch);
            Ip("-n", lab.Switch, "link", "add", "br0", "type", "bridge");
            Ip("-n", lab.Switch, "link", "set", "br0", "up");
            for (int i = 0; i < machines.Length; i++)
            {
                string machine = lab.Namespace(machines[i]);
                lab.AddNamespace(machine);
                string port = $"p{i}";
                Ip("-n", lab.Switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", machine);
                Ip("-n", lab.Switch, "link", "set", port, "master", "br0");
                Ip("-n", lab.Switch, "link", "set", port, "up");
                Ip("-n", machine, "addr", "add", $"{Address(i)}/24", "dev", "eth0");
                Ip("-n", machine, "link", "set", "eth0", "up");
            }
        }
        catch
        {
            lab.Dispose();
            throw;
        }

        return lab;
    }

    /// <summary>The address of the machine at <paramref name="index"/> (in the order given to <see cref="Create"/>).</summary>
    public static string Address(int index) => string.Create(CultureInfo.InvariantCulture, $"10.250.0.{index + 1}");

    public string Namespace(string machine) => $"{_name}-{machine}";

    /// <summary>What runs a command inside a machine: <c>ip netns exec NS</c>, which then becomes the command.</summary>
    public string[] On(string machine) => ["ip", "netns", "exec", Namespace(machine)];

    /// <summary>Cuts (or restores) a machine's cable: its switch port goes down, and packets to and from it are dropped silently.</summary>
    public void SetLink(int index, bool up) => Ip("-n", Switch, "link", "set", $"p{index}", up ? "up" : "down");

    /// <summary>Disposes <paramref name="resource"/> (a process) before the namespaces go.</summary>
    public T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public void Dispose()
    {
        foreach (IDisposable resource in Enumerable.Reverse(_owned))
        {
            try
            {
                resource.Dispose();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        foreach (string name in Enumerable.Reverse(_namespaces))
        {
            Remove(name);
        }
    }

    private void AddNamespace(string name)
    {
        Ip("netns", "add", name);
        _namespaces.Add(name);
        Ip("-n", name, "link", "set", "lo", "up");
    }

    private static void RequireTools()
    {
        (int code, _, string error) = Run("ip", "netns", "list");
        Assert.True(code == 0, $"the multi-host tests need iproute2 and root (ip netns): 'ip netns list' failed: {error}");
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || GetUid() == 0, "the multi-host tests need root, to create network namespaces");
    }

    private static int GetUid()
    {
        (_, string output, _) = Run("id", "-u");
        return int.TryParse(output.Trim(), CultureInfo.InvariantCulture, out int uid) ? uid : -1;
    }

    /// <summary>Removes the namespaces of labs whose test process is gone (a run that crashed or was killed).</summary>
    private static void RemoveLeftovers()
    {
        (_, string list, _) = Run("ip", "netns", "list");
        foreach (string line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            Match match = LabName().Match(name);
            if (match.Success && int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out int pid) && !IsAlive(pid))
            {
                Remove(name);
            }
        }
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Kills every process left in the namespace, then deletes it (its interfaces go with it).</summary>
    private static void Remove(string name)
    {
        (_, string pids, _) = Run("ip", "netns", "pids", name);
        foreach (string pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Run("kill", "-9", pid.Trim());
        }

        for (int attempt = 0; attempt < 20; attempt++)
        {
            if (Run("ip", "netns", "del", name).Code == 0)
            {
                return;
            }

            Thread.Sleep(50);
        }
    }

    private static void Ip(params string[] args)
    {
        (int code, _, string error) = Run("ip", args);
        Assert.True(code == 0, $"ip {string.Join(' ', args)} failed: {error}");
    }

    public static (int Code, string Output, string Error) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error);
    }
}
