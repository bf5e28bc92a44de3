using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Validators;

namespace PeerEngine.Benchmarks;

/// <summary>
/// The one configuration every benchmark class uses: allocations are part of the result
/// (MemoryDiagnoser), a non-optimised build is refused, and results are exported as GitHub
/// Markdown for bench/README.md.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddValidator(JitOptimizationsValidator.FailOnError);
        WithOptions(ConfigOptions.JoinSummary);
    }
}
