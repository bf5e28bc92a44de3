using PeerEngine.Load.Measurement;
using Spectre.Console;

namespace PeerEngine.Load.Live;

/// <summary>
/// The live view on a terminal: a Spectre.Console table redrawn in place at every stage and every
/// interval of every scenario, left on screen when the run ends.
/// </summary>
internal sealed class LiveTableView(IAnsiConsole console, LiveProgress progress)
{
    private readonly Lock _gate = new();
    private string _stage = string.Empty;

    /// <summary>Runs <paramref name="run"/> under the table, handing it the observers that update it.</summary>
    public Task<T> ShowAsync<T>(Func<Action<string>, Action<string, IntervalStats>, Task<T>> run) =>
        console.Live(LiveTable.Build(_stage, progress.Rows))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(context => run(
                stage => Redraw(context, () => _stage = stage),
                (scenario, stats) => Redraw(context, () => progress.Update(scenario, stats))));

    // Samplers of several scenarios report at once: one redraw at a time, each from a consistent snapshot.
    private void Redraw(LiveDisplayContext context, Action change)
    {
        lock (_gate)
        {
            change();
            context.UpdateTarget(LiveTable.Build(_stage, progress.Rows));
            context.Refresh();
        }
    }
}
