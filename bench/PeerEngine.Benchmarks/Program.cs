using BenchmarkDotNet.Running;
using PeerEngine.Benchmarks.EndToEnd;

// `e2e ...`: the end-to-end comparison (EndToEnd/), process to process. Anything else goes to
// BenchmarkSwitcher so that CI and people pick what to run: --filter '*Fram*', --job short, --list flat.
if (args is ["e2e", .. var rest])
{
    return await EndToEndCommand.RunAsync(rest).ConfigureAwait(false);
}

// `redis-load [NODES]`: Redis discovery at steady state, a join's reach and a killed peer's detection.
if (args is ["redis-load", .. var redisArgs])
{
    return await PeerEngine.Benchmarks.Redis.RedisLoadCommand.RunAsync(redisArgs).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(PeerEngine.Benchmarks.BenchmarkConfig).Assembly).Run(args);
return 0;
