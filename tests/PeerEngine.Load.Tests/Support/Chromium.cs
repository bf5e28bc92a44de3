using System.Diagnostics;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Headless Chromium (Debian's <c>chromium</c>, which test.sh installs) run as a command, offline, on local files.</summary>
internal static class Chromium
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>The <c>chromium</c> on PATH; a test that needs it fails, never skips, when it is missing.</summary>
    public static string Find()
    {
        string? found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "chromium"))
            .FirstOrDefault(File.Exists);
        Assert.True(found is not null, "chromium is not on PATH: the HTML report's browser test needs Debian's chromium package (test.sh installs it; by hand: apt-get install chromium)");
        return found;
    }

    /// <summary>
    /// Runs headless Chromium on <paramref name="file"/> with a window of <paramref name="width"/> × <paramref name="height"/>
    /// px and the <paramref name="action"/> arguments (<c>--screenshot=…</c>, <c>--dump-dom</c>); returns its standard output.
    /// </summary>
    public static async Task<string> RunAsync(string file, int width, int height, string userData, params string[] action)
    {
        var start = new ProcessStartInfo(Find())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--force-device-scale-factor=1",
            // As a phone's overlay scrollbars: a page's width is the window's, none of it taken by a scrollbar.
            "--hide-scrollbars",
            // The probe page reads the report's layout from the frame it shows it in; both are file:// pages.
            "--allow-file-access-from-files",
            // A profile of its own, so runs side by side do not share (and lock) one.
            $"--user-data-dir={userData}",
            $"--window-size={width},{height}",
            .. action,
            new Uri(file).AbsoluteUri,
        ];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium {string.Join(' ', args)} did not end within {Limit.TotalSeconds:0} s");
        }

        string stdout = await output;
        string stderr = await error;
        Assert.True(process.ExitCode == 0, $"chromium {string.Join(' ', args)} exited with {process.ExitCode}: {stderr}");
        return stdout;
    }
}
