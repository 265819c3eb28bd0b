using System.Globalization;

namespace Cria.Bench;

/// <summary>`--name value` and `--flag` arguments after the command word.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string?> _values = new();
    private readonly HashSet<string> _used = new();

    public Options(IEnumerable<string> args)
    {
        List<string> list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith('-')) throw new ArgumentException($"unexpected argument '{a}'");
            string name = a.TrimStart('-');
            bool hasValue = i + 1 < list.Count && !list[i + 1].StartsWith('-');
            _values[name] = hasValue ? list[++i] : null;
        }
    }

    public string? String(string name, string? fallback = null)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v ?? throw new ArgumentException($"--{name} needs a value") : fallback;
    }

    public string Required(string name) => String(name) ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback, params string[] aliases)
    {
        foreach (string n in aliases.Prepend(name))
        {
            string? v = String(n);
            if (v != null)
                return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) && r > 0
                    ? r
                    : throw new ArgumentException($"--{n} must be a positive integer, not '{v}'");
        }
        return fallback;
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? v)) return false;
        return v == null ? true : throw new ArgumentException($"--{name} takes no value");
    }

    /// <summary>Rejects options no command asked for, so a typo does not silently fall back to a default.</summary>
    public void RejectUnknown()
    {
        string? unknown = _values.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown != null) throw new ArgumentException($"unknown option --{unknown}");
    }
}
