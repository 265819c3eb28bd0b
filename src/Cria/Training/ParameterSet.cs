using System.Runtime.InteropServices;

namespace Cria.Training;

/// <summary>
/// fp32 master weights and gradients of a model, each in one flat pinned buffer so the optimizer, the
/// gradient norm and checkpointing walk a single array. Tensors are named as in Hugging Face checkpoints.
/// </summary>
public sealed unsafe class ParameterSet
{
    private readonly Dictionary<string, ParameterTensor> _byName = new();
    private readonly float* _values;
    private readonly float* _gradients;

    public IReadOnlyList<ParameterTensor> Tensors { get; }
    public float[] Values { get; }
    public float[] Gradients { get; }
    public long Count => Values.LongLength;

    public ParameterSet(IReadOnlyList<ParameterTensor> tensors)
    {
        Tensors = tensors;
        long total = tensors.Count == 0 ? 0 : tensors[^1].Offset + tensors[^1].Elements;
        if (total > Array.MaxLength) throw new ArgumentException($"{total} parameters do not fit one buffer (at most {Array.MaxLength})");
        Values = GC.AllocateArray<float>((int)total, pinned: true);
        Gradients = GC.AllocateArray<float>((int)total, pinned: true);
        foreach (ParameterTensor t in tensors) _byName.Add(t.Name, t);
        _values = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(Values, 0);
        _gradients = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(Gradients, 0);
    }

    public ParameterTensor this[string name] =>
        _byName.TryGetValue(name, out ParameterTensor? t) ? t : throw new KeyNotFoundException($"no parameter named {name}");

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Pointer to a tensor's weights (the buffer is pinned for the object's lifetime).</summary>
    public float* Value(ParameterTensor t) => _values + t.Offset;

    public float* Gradient(ParameterTensor t) => _gradients + t.Offset;

    public Span<float> ValueSpan(ParameterTensor t) => Values.AsSpan((int)t.Offset, (int)t.Elements);

    public Span<float> GradientSpan(ParameterTensor t) => Gradients.AsSpan((int)t.Offset, (int)t.Elements);

    public void ZeroGradients() => Array.Clear(Gradients);

    public float* ValuesPointer => _values;
    public float* GradientsPointer => _gradients;
}
