namespace PeerEngine.Load.Tests.Support;

/// <summary>Captures output like a <see cref="StringWriter"/> and completes a task when a line containing a given text is written.</summary>
internal sealed class LineSignal(string text) : StringWriter
{
    private readonly TaskCompletionSource<string> _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The first line that contained the text.</summary>
    public Task<string> Seen => _seen.Task;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && value.Contains(text, StringComparison.Ordinal))
        {
            _seen.TrySetResult(value);
        }
    }
}
