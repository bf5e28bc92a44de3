namespace PeerEngine.Load.Tests.Support;

/// <summary>Captures output like a <see cref="StringWriter"/>, and completes a wait when lines written after it began match.</summary>
internal sealed class LineWatch : StringWriter
{
    private readonly Lock _gate = new();
    private readonly List<Wait> _waits = [];

    /// <summary>Completes with the <paramref name="times"/>-th line in a row, written from now on, that matches.</summary>
    public Task<string> NextAsync(Func<string, bool> match, int times = 1)
    {
        var wait = new Wait(match, times);
        lock (_gate)
        {
            _waits.Add(wait);
        }

        return wait.Seen.Task;
    }

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (Wait wait in _waits)
            {
                wait.Count = wait.Match(value) ? wait.Count + 1 : 0;
                if (wait.Count >= wait.Times)
                {
                    wait.Seen.TrySetResult(value);
                }
            }

            _waits.RemoveAll(w => w.Seen.Task.IsCompleted);
        }
    }

    private sealed class Wait(Func<string, bool> match, int times)
    {
        public Func<string, bool> Match => match;

        public int Times => times;

        public int Count { get; set; }

        public TaskCompletionSource<string> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
