using System.Diagnostics;

namespace Cria.Tests;

/// <summary>Runs the built `cria` command as a separate process, as a user would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string CliDll
    {
        get
        {
            // Tests run from tests/Cria.Tests/bin/<Configuration>/net10.0/.
            string config = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            string dll = Path.Combine(Fixtures.RepoRoot, "src", "Cria.Cli", "bin", config, "net10.0", "cria.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"build the CLI first: {dll} is missing");
            return dll;
        }
    }

    public static Result Run(params string[] args) => RunWithInput(null, args);

    public static Result RunWithInput(string? stdin, params string[] args) => Run(stdin, null, args);

    /// <summary>Runs with environment variables set (a null value removes the variable).</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] args) => Run(null, environment, args);

    private static Result Run(string? stdin, IReadOnlyDictionary<string, string?>? environment, string[] args)
    {
        ProcessStartInfo psi = new("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        psi.ArgumentList.Add(CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CRIA_THREADS"] = "2";
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value == null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cria {string.Join(' ', args)} did not finish within 120 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
