namespace Cria.Tests;

/// <summary>Tests that switch the process-wide SIMD level run alone, so no other test sees the switch.</summary>
[CollectionDefinition("simd", DisableParallelization = true)]
public sealed class SimdCollection
{
}
