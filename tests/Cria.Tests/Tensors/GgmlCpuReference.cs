using System.Runtime.InteropServices;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// ggml's CPU dot products (<c>vec_dot</c> with its activation quantizer <c>from_float</c>) from the libggml-cpu that
/// LLamaSharp.Backend.Cpu copies under runtimes/, the best variant this CPU runs. Skips when it cannot be loaded.
/// </summary>
internal sealed unsafe class GgmlCpuReference
{
    // struct ggml_type_traits_cpu { ggml_from_float_t from_float; ggml_vec_dot_t vec_dot; enum ggml_type vec_dot_type; int64_t nrows; }
    private const int FromFloatOffset = 0, VecDotOffset = 8, VecDotTypeOffset = 16;

    private readonly delegate* unmanaged<int, byte*> _traits;

    public string LibraryPath { get; }

    private GgmlCpuReference(string path, nint handle)
    {
        LibraryPath = path;
        _traits = (delegate* unmanaged<int, byte*>)NativeLibrary.GetExport(handle, "ggml_get_type_traits_cpu");
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(handle, "ggml_cpu_init"))();
    }

    private static readonly Lazy<(GgmlCpuReference? Library, string Why)> Loaded = new(Load);

    public static GgmlCpuReference Get()
    {
        GgmlReference.Get(); // loads libggml-base, which libggml-cpu links against
        var (library, why) = Loaded.Value;
        Skip.If(library == null, $"ggml CPU cross-check skipped: {why}");
        return library!;
    }

    private static (GgmlCpuReference?, string) Load()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return (null, "only wired for linux-x64");
        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        string[] variants = System.Runtime.Intrinsics.X86.Avx512BW.IsSupported ? ["avx512", "avx2"] : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? ["avx2"] : [];
        foreach (string v in variants)
        {
            string path = Path.Combine(native, v, "libggml-cpu.so");
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out nint handle)
                && NativeLibrary.TryGetExport(handle, "ggml_get_type_traits_cpu", out _) && NativeLibrary.TryGetExport(handle, "ggml_cpu_init", out _))
                return (new GgmlCpuReference(path, handle), "");
        }
        return (null, $"no loadable libggml-cpu.so under {native}");
    }

    /// <summary>ggml's dot product of one weight row (in <paramref name="type"/>'s blocks) with x, through its own activation quantization.</summary>
    public float VecDot(DType type, byte* row, float[] x)
    {
        byte* traits = _traits(GgmlReference.GgmlType(type));
        Assert.True(traits != null);
        var vecDot = (delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void>)*(nint*)(traits + VecDotOffset);
        int dotType = *(int*)(traits + VecDotTypeOffset);
        // The activations are quantized by the vec_dot type's own from_float.
        var fromFloat = (delegate* unmanaged<float*, void*, long, void>)*(nint*)(_traits(dotType) + FromFloatOffset);
        // Q8_0 = 8 (34 bytes per 32), Q8_K = 15 (292 bytes per 256): the activation types these weights pair with.
        (int block, int bytes) = dotType switch { 8 => (32, 34), 15 => (256, 292), _ => (0, 0) };
        Assert.True(block > 0 && fromFloat != null && vecDot != null, $"unexpected ggml vec_dot_type {dotType} for {type}");
        byte[] xq = new byte[x.Length / block * bytes];
        float s;
        fixed (float* px = x)
        fixed (byte* pq = xq)
        {
            fromFloat(px, pq, x.Length);
            vecDot(x.Length, &s, 0, row, 0, pq, 0, 1);
        }
        return s;
    }
}
