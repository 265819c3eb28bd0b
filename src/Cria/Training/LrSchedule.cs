namespace Cria.Training;

/// <summary>Learning rate per step: linear warm-up over <c>Warmup</c> steps, then cosine decay to <c>MinLr</c> at <c>TotalSteps</c>.
/// With MinLr = Lr (or decay off) it is constant after warm-up.</summary>
public sealed record LrSchedule(float Lr, float MinLr, int Warmup, int TotalSteps, bool Cosine)
{
    public static LrSchedule Constant(float lr) => new(lr, lr, 0, 0, false);

    /// <summary>The learning rate for update number <paramref name="step"/> (0-based).</summary>
    public float At(int step)
    {
        if (Warmup > 0 && step < Warmup) return Lr * (step + 1) / Warmup;
        if (!Cosine || TotalSteps <= Warmup) return Lr;
        double progress = Math.Clamp((step - Warmup) / (double)Math.Max(1, TotalSteps - Warmup), 0, 1);
        return (float)(MinLr + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (Lr - MinLr));
    }
}
