namespace Cria.Evaluation;

/// <summary>Sum of the continuation's log-probabilities and whether greedy decoding would have produced it.</summary>
public readonly record struct LoglikelihoodResult(double LogLikelihood, bool IsGreedy);
