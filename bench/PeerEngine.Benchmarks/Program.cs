using BenchmarkDotNet.Running;

// BenchmarkSwitcher so that CI and people pick what to run: --filter '*Fram*', --job short, --list flat.
BenchmarkSwitcher.FromAssembly(typeof(PeerEngine.Benchmarks.BenchmarkConfig).Assembly).Run(args);
