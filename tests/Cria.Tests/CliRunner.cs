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

    /// <summary>For the few commands (the demo) that may take minutes on a loaded machine.</summary>
    public static Result Run(string? stdin, TimeSpan timeout, params string[] args)
    {
        using Process p = Start(null, args);
        return Finish(p, stdin, args, timeout);
    }

    /// <summary>Runs with environment variables set (a null value removes the variable).</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] args) => Run(null, environment, args);

    private static Result Run(string? stdin, IReadOnlyDictionary<string, string?>? environment, string[] args)
    {
        using Process p = Start(environment, args);
        return Finish(p, stdin, args);
    }

    /// <summary>
    /// Runs the CLI through bash so the command line can set limits first, e.g. <c>ulimit -f 256</c>:
    /// <paramref name="prefix"/> is shell text placed before <c>exec dotnet cria.dll "$@"</c>.
    /// </summary>
    public static Result RunUnderShell(string prefix, params string[] args)
    {
        ProcessStartInfo psi = Info("bash");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{prefix}; exec dotnet \"$0\" \"$@\"");
        psi.ArgumentList.Add(CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        return Finish(p, null, args);
    }

    /// <summary>Starts the CLI and returns at once; stdin, stdout and stderr are redirected (close, drain or read them).</summary>
    public static Process Start(params string[] args) => Start(null, args);

    private static Process Start(IReadOnlyDictionary<string, string?>? environment, string[] args)
    {
        ProcessStartInfo psi = Info("dotnet");
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value == null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        psi.ArgumentList.Add(CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static ProcessStartInfo Info(string program)
    {
        ProcessStartInfo psi = new(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        psi.Environment["CRIA_THREADS"] = "2";
        return psi;
    }

    private static Result Finish(Process p, string? stdin, string[] args) => Finish(p, stdin, args, TimeSpan.FromSeconds(120));

    private static Result Finish(Process p, string? stdin, string[] args, TimeSpan timeout)
    {
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cria {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
