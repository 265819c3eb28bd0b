using System.Runtime.InteropServices;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// ggml's own quantizers and dequantizers, called in the libggml-base that LLamaSharp.Backend.Cpu copies under
/// runtimes/. Only the base library is loaded: it holds the scalar reference routines and needs no CPU backend.
/// </summary>
internal sealed unsafe class GgmlReference
{
    // ggml_type_traits in the ggml that LLamaSharp 0.30.0 ships (checked against ggml.h of that era):
    //   const char* type_name; int64_t blck_size; int64_t blck_size_interleave; size_t type_size; bool is_quantized;
    //   ggml_to_float_t to_float; ggml_from_float_t from_float_ref;
    // Offsets are spelled out because a wrong one would call through a garbage pointer and kill the test host;
    // Traits() checks the plain fields before any pointer is used.
    private const int NameOffset = 0, BlockSizeOffset = 8, TypeSizeOffset = 24, ToFloatOffset = 40, FromFloatRefOffset = 48;

    private static readonly string[] Variants = ["noavx", "", "avx", "avx2", "avx512"];

    private readonly delegate* unmanaged<int, byte*> _getTypeTraits;
    private readonly delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint> _quantizeChunk;

    public string LibraryPath { get; }

    /// <summary>ggml's version and commit as the library reports them, or "unknown" for builds without those exports.</summary>
    public string Version { get; }

    private GgmlReference(string path, nint handle)
    {
        LibraryPath = path;
        Version = $"{ExportedString(handle, "ggml_version")} ({ExportedString(handle, "ggml_commit")})";
        _getTypeTraits = (delegate* unmanaged<int, byte*>)NativeLibrary.GetExport(handle, "ggml_get_type_traits");
        _quantizeChunk = (delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint>)NativeLibrary.GetExport(handle, "ggml_quantize_chunk");
    }

    private static string ExportedString(nint handle, string export)
        => NativeLibrary.TryGetExport(handle, export, out nint f)
            ? Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)f)()) ?? "unknown"
            : "unknown";

    private static readonly Lazy<(GgmlReference? Library, string Why)> Loaded = new(Load);

    /// <summary>The loaded library; skips the calling test (with the reason) when it cannot be loaded here.</summary>
    public static GgmlReference Get()
    {
        var (library, why) = Loaded.Value;
        Skip.If(library == null, $"ggml cross-check skipped: {why}");
        return library!;
    }

    private static (GgmlReference?, string) Load()
    {
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            var other => other.ToString().ToLowerInvariant(),
        };
        (string os, string file) = OperatingSystem.IsWindows() ? ("win", "ggml-base.dll")
            : OperatingSystem.IsMacOS() ? ("osx", "libggml-base.dylib")
            : ("linux", "libggml-base.so");
        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", $"{os}-{arch}", "native");

        var tried = new List<string>();
        foreach (string variant in Variants)
        {
            string path = Path.Combine(native, variant, file);
            if (!File.Exists(path)) continue;
            if (!NativeLibrary.TryLoad(path, out nint handle))
            {
                tried.Add($"{path} (failed to load)");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "ggml_get_type_traits", out _) || !NativeLibrary.TryGetExport(handle, "ggml_quantize_chunk", out _))
            {
                tried.Add($"{path} (lacks ggml_get_type_traits / ggml_quantize_chunk)");
                continue;
            }
            return (new GgmlReference(path, handle), "");
        }
        string why = tried.Count > 0 ? string.Join("; ", tried) : $"no {file} under {native} (the build copies it there from the LLamaSharp.Backend.Cpu package, which has none for some platforms)";
        return (null, why);
    }

    public static int GgmlType(DType type) => type switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.Q4_0 => 2,
        DType.Q4_1 => 3,
        DType.Q5_0 => 6,
        DType.Q5_1 => 7,
        DType.Q8_0 => 8,
        DType.Q2_K => 10,
        DType.Q3_K => 11,
        DType.Q4_K => 12,
        DType.Q5_K => 13,
        DType.Q6_K => 14,
        DType.BF16 => 30,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private byte* Traits(DType type)
    {
        byte* traits = _getTypeTraits(GgmlType(type));
        Assert.True(traits != null, $"ggml_get_type_traits({type}) returned null");
        string? name = Marshal.PtrToStringUTF8(*(nint*)(traits + NameOffset));
        long blockSize = *(long*)(traits + BlockSizeOffset);
        ulong typeSize = *(ulong*)(traits + TypeSizeOffset);
        Assert.True(string.Equals(name, type.ToString(), StringComparison.OrdinalIgnoreCase)
                && blockSize == type.BlockSize() && typeSize == (ulong)type.BlockBytes(),
            $"ggml_type_traits layout mismatch for {type}: name '{name}', block size {blockSize}, type size {typeSize}");
        return traits;
    }

    /// <summary>ggml's to_float for the type: dequantizes n elements.</summary>
    public float[] ToFloat(DType type, byte[] blocks, int n)
    {
        var toFloat = (delegate* unmanaged<void*, float*, long, void>)*(nint*)(Traits(type) + ToFloatOffset);
        Assert.True(toFloat != null, $"ggml has no to_float for {type}");
        Assert.True(type.ByteCount(n) <= blocks.Length);
        var result = new float[n];
        fixed (byte* src = blocks)
        fixed (float* dst = result)
            toFloat(src, dst, n);
        return result;
    }

    /// <summary>ggml's from_float_ref for the type: quantizes one row.</summary>
    public byte[] FromFloatRef(DType type, float[] row)
    {
        var fromFloat = (delegate* unmanaged<float*, void*, long, void>)*(nint*)(Traits(type) + FromFloatRefOffset);
        Assert.True(fromFloat != null, $"ggml has no from_float_ref for {type}");
        var result = new byte[type.ByteCount(row.Length)];
        fixed (float* src = row)
        fixed (byte* dst = result)
            fromFloat(src, dst, row.Length);
        return result;
    }

    /// <summary>ggml_quantize_chunk without an importance matrix, i.e. what llama-quantize does without --imatrix.</summary>
    public byte[] QuantizeChunk(DType type, float[] rows, int rowLength)
    {
        Traits(type);
        int rowCount = rows.Length / rowLength;
        var result = new byte[type.ByteCount(rows.Length)];
        nuint written;
        fixed (float* src = rows)
        fixed (byte* dst = result)
            written = _quantizeChunk(GgmlType(type), src, dst, 0, rowCount, rowLength, null);
        Assert.Equal((nuint)result.Length, written);
        return result;
    }
}
