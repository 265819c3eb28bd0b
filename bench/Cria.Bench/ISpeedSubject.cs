namespace Cria.Bench;

/// <summary>One inference engine under measurement, holding a loaded model and its context.</summary>
internal interface ISpeedSubject : IDisposable
{
    string Name { get; }

    /// <summary>Empties the context, then feeds <paramref name="prompt"/> in one batch; returns the seconds it took.</summary>
    double Prefill(int[] prompt);

    /// <summary>Feeds <paramref name="tokens"/> one at a time after the prompt; returns the seconds it took.</summary>
    double Generate(int[] tokens, int firstPosition);

    /// <summary>The logits of the last token fed.</summary>
    float[] LastLogits();
}
