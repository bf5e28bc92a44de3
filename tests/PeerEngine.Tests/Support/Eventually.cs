namespace PeerEngine.Tests.Support;

/// <summary>Waits for a condition that other threads make true, checking often, failing at a deadline.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        DateTime deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }
}
