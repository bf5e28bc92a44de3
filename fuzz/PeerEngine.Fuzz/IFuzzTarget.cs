namespace PeerEngine.Fuzz;

/// <summary>
/// One parser under fuzzing: feeds it an input and throws <see cref="InvariantViolationException"/>
/// when a property breaks. Any other exception escaping <see cref="Run"/> is a library bug too, so
/// the fuzzer (a crash) and the corpus replay tests (a failure) report both the same way.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name on the command line and the folder of its corpus (fuzz/corpus/NAME).</summary>
    string Name { get; }

    /// <summary>Runs one input through the parser and checks every property that input decides.</summary>
    void Run(ReadOnlySpan<byte> input);
}
