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

    public static Result RunWithInput(string? stdin, params string[] args) => Run(stdin, TimeSpan.FromSeconds(120), args);

    /// <summary>For the few commands (the demo) that may take minutes on a loaded machine.</summary>
    public static Result Run(string? stdin, TimeSpan timeout, params string[] args)
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
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cria {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:F0} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
