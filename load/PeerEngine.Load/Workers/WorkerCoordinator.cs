using System.Globalization;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Workers;

/// <summary>
/// Runs a test across worker processes of this tool (NBomber's cluster, without the broker): starts
/// them, lets them warm up, tells all to go at once, waits for them, and reads back what each
/// measured. The first worker to fail ends the run (the others are killed) with a one-line error.
/// </summary>
internal sealed class WorkerCoordinator(WorkerLauncher launcher, TextWriter live, bool quiet)
{
    /// <summary>Runs <paramref name="count"/> workers with <paramref name="arguments"/> (the run's own) and returns their results.</summary>
    public async Task<IReadOnlyList<LoadResult>> RunAsync(int count, IReadOnlyList<string> arguments, string folder, CancellationToken cancellationToken)
    {
        var workers = new List<WorkerProcess>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                string[] role = ["worker", "--index", Text(i), "--count", Text(count), "--output", folder];
                workers.Add(WorkerProcess.Start(launcher, i, [.. role, .. arguments]));
            }

            Say($"workers: {count} processes (pids {string.Join(", ", workers.Select(w => w.Id))}) warming up…");
            await FirstFailureAsync(workers, async w => await w.Ready.WaitAsync(cancellationToken).ConfigureAwait(false) ? null : w, cancellationToken).ConfigureAwait(false);

            foreach (WorkerProcess worker in workers)
            {
                worker.Go();
            }

            Say("workers: all ready, measuring…");

            // Ctrl+C: each worker stops, drains and writes what it measured, as a run in one process does.
            using (cancellationToken.Register(() => workers.ForEach(w => w.Stop())))
            {
                await FirstFailureAsync(workers, async w => await w.ExitAsync(CancellationToken.None).ConfigureAwait(false) == 0 ? null : w, CancellationToken.None).ConfigureAwait(false);
            }

            return [.. workers.Select(w => WorkerFiles.Read(folder, w.Index))];
        }
        finally
        {
            foreach (WorkerProcess worker in workers)
            {
                worker.Kill();
                worker.Dispose();
            }
        }
    }

    /// <summary>Waits for <paramref name="step"/> on every worker; the first that returns a failed worker ends the wait with its failure.</summary>
    private static async Task FirstFailureAsync(List<WorkerProcess> workers, Func<WorkerProcess, Task<WorkerProcess?>> step, CancellationToken cancellationToken)
    {
        var pending = workers.Select(step).ToList();
        while (pending.Count > 0)
        {
            Task<WorkerProcess?> done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            cancellationToken.ThrowIfCancellationRequested();
            if (await done.ConfigureAwait(false) is { } failed)
            {
                int exitCode = await failed.ExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new WorkerFailedException(failed.Failure(exitCode));
            }
        }
    }

    private void Say(string line)
    {
        if (!quiet)
        {
            live.WriteLine(line);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
