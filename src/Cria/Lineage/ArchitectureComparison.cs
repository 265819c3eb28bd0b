using System.Globalization;
using Cria.Model;

namespace Cria.Lineage;

/// <summary>One config field of both models.</summary>
public sealed record ConfigRow(string Field, string A, string B)
{
    public bool Same => A == B;
}

/// <summary>One tensor role with its name in each checkpoint's own naming scheme, and its shapes.</summary>
public sealed record TensorNameRow(string Role, string NameA, string NameB, string ShapeA, string ShapeB);

/// <summary>
/// What the checkpoints declare: config side by side, the naming scheme each uses and the name of every tensor role
/// under both schemes. Names and shapes alone prove little (a model can copy LLaMA's layout, or rename tensors, and be
/// trained from scratch or not); this is context for the weight evidence.
/// </summary>
public sealed record ArchitectureComparison(string SchemeA, string SchemeB, IReadOnlyList<ConfigRow> Config, IReadOnlyList<TensorNameRow> Tensors)
{
    /// <summary>The names llama2.c's model.py gives (its .bin files carry no names; Cria loads them under HF names).</summary>
    public static TensorNaming Llama2c { get; } = new(
        "tok_embeddings.weight", "norm.weight", "output.weight",
        "layers.{0}.attention_norm.weight",
        "layers.{0}.attention.wq.weight", "layers.{0}.attention.wk.weight", "layers.{0}.attention.wv.weight", "layers.{0}.attention.wo.weight",
        "layers.{0}.attention.wq.bias", "layers.{0}.attention.wk.bias", "layers.{0}.attention.wv.bias",
        "layers.{0}.ffn_norm.weight",
        "layers.{0}.feed_forward.w1.weight", "layers.{0}.feed_forward.w3.weight", "layers.{0}.feed_forward.w2.weight");

    public bool SameShape => Config.Where(r => r.Field is not ("format" or "rope layout" or "tied output")).All(r => r.Same);

    public static ArchitectureComparison Of(LoadedModel a, LoadedModel b)
    {
        static string S(object o) => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "";
        List<ConfigRow> cfg = new();
        void Row(string f, Func<LoadedModel, object> get) => cfg.Add(new ConfigRow(f, S(get(a)), S(get(b))));
        Row("format", m => m.Format);
        Row("architecture", m => m.Config.Architecture);
        Row("dim", m => m.Config.Dim);
        Row("hidden dim", m => m.Config.HiddenDim);
        Row("layers", m => m.Config.Layers);
        Row("heads", m => m.Config.Heads);
        Row("kv heads", m => m.Config.KvHeads);
        Row("head dim", m => m.Config.HeadDim);
        Row("vocab", m => m.Config.VocabSize);
        Row("context", m => m.Config.MaxSeqLen);
        Row("rope theta", m => m.Config.RopeTheta);
        Row("rope layout", m => m.Config.RopeLayout);
        Row("norm eps", m => m.Config.NormEps);
        Row("tied output", m => m.Config.TiedEmbeddings);
        Row("weight types", m => string.Join("+", m.Weights.Matrices.Select(t => t.Type).Distinct().OrderBy(t => t.ToString())));
        Row("parameters", m => m.Config.ParameterCount);

        TensorNaming na = NamingOf(a), nb = NamingOf(b);
        List<TensorNameRow> names = new();
        static string Shape(WeightTensor? t) => t == null ? "—" : $"[{t.Rows}, {t.Cols}]";
        void Name(string role, Func<TensorNaming, string> pattern, int layer, Func<LoadedModel, WeightTensor?> tensor)
        {
            string Of(TensorNaming n, LoadedModel m) => layer < 0 ? pattern(n) : layer < m.Config.Layers ? n.Layer(pattern(n), layer) : "—";
            names.Add(new TensorNameRow(role, Of(na, a), Of(nb, b), Shape(tensor(a)), Shape(tensor(b))));
        }
        Name("token embedding", n => n.Embedding, -1, m => m.Weights.TokenEmbedding);
        for (int l = 0; l < Math.Max(a.Config.Layers, b.Config.Layers); l++)
        {
            int layer = l;
            WeightTensor? L(LoadedModel m, Func<LayerWeights, WeightTensor> f) => layer < m.Config.Layers ? f(m.Weights.Layers[layer]) : null;
            Name($"layer {l} attention norm", n => n.AttnNorm, l, _ => null);
            Name($"layer {l} q", n => n.Wq, l, m => L(m, w => w.Wq));
            Name($"layer {l} k", n => n.Wk, l, m => L(m, w => w.Wk));
            Name($"layer {l} v", n => n.Wv, l, m => L(m, w => w.Wv));
            Name($"layer {l} o", n => n.Wo, l, m => L(m, w => w.Wo));
            Name($"layer {l} MLP norm", n => n.FfnNorm, l, _ => null);
            Name($"layer {l} gate", n => n.Gate, l, m => L(m, w => w.WGate));
            Name($"layer {l} up", n => n.Up, l, m => L(m, w => w.WUp));
            Name($"layer {l} down", n => n.Down, l, m => L(m, w => w.WDown));
        }
        Name("final norm", n => n.FinalNorm, -1, _ => null);
        names.Add(new TensorNameRow("output",
            a.Config.TiedEmbeddings ? "(tied to embedding)" : na.Output, b.Config.TiedEmbeddings ? "(tied to embedding)" : nb.Output,
            Shape(a.Weights.Output), Shape(b.Weights.Output)));
        return new ArchitectureComparison(SchemeName(a), SchemeName(b), cfg, names);
    }

    private static TensorNaming NamingOf(LoadedModel m) => m.Naming ?? m.Format switch
    {
        "gguf" => TensorNaming.Gguf,
        "llama2c" => Llama2c,
        _ => TensorNaming.HuggingFace,
    };

    private static string SchemeName(LoadedModel m) => m.Format switch
    {
        "gguf" => "GGUF (llama.cpp names: blk.N.attn_q …)",
        "llama2c" => "llama2.c (unnamed; model.py names: layers.N.attention.wq …)",
        "hf" when m.Naming == TensorNaming.HuggingFaceLn12 => "Hugging Face with renamed norms (model.layers.N.ln1/ln2 for input_layernorm/post_attention_layernorm, as in Yi)",
        "hf" => "Hugging Face (model.layers.N.self_attn.q_proj …)",
        _ => m.Format,
    };

    /// <summary>Human-readable differences, or "same shape".</summary>
    public IEnumerable<string> Differences()
    {
        var diff = Config.Where(r => !r.Same && r.Field is not "format").Select(r => $"{r.Field} {r.A} vs {r.B}").ToList();
        if (diff.Count == 0) yield return "same architecture and shapes";
        else yield return "differs in " + string.Join(", ", diff);
        if (SchemeA != SchemeB) yield return $"tensor names map between schemes: {SchemeA} ↔ {SchemeB} (e.g. {Tensors[2].NameA} ↔ {Tensors[2].NameB})";
    }
}
