using BenchmarkDotNet.Running;
using PeerEngine.Benchmarks.EndToEnd;

// `e2e ...`: the end-to-end comparison (EndToEnd/), process to process. Anything else goes to
// BenchmarkSwitcher so that CI and people pick what to run: --filter '*Fram*', --job short, --list flat.
if (args is ["e2e", .. var rest])
{
    return await EndToEndCommand.RunAsync(rest).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(PeerEngine.Benchmarks.BenchmarkConfig).Assembly).Run(args);
return 0;
