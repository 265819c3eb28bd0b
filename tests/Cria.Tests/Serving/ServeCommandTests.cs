using System.Diagnostics;

namespace Cria.Tests.Serving;

/// <summary>`cria serve` refuses bad settings with one clear line before it binds anything.</summary>
public class ServeCommandTests
{
    [SkippableFact]
    public void Bad_settings_fail_with_one_line()
    {
        string model = Fixtures.Path_(ServerFixture.ModelRelative);
        CliRunner.Result noTemplate = CliRunner.Run("serve", model, "--port", "0");
        Assert.Equal(1, noTemplate.ExitCode);
        Assert.Contains("error: the model has no chat template; choose one with --template", noTemplate.Stderr);

        CliRunner.Result badHost = CliRunner.Run("serve", model, "--template", "chatml", "--host", "example.com", "--port", "0");
        Assert.Equal(1, badHost.ExitCode);
        Assert.Contains("error: --host must be an IP address", badHost.Stderr);
    }

    [SkippableFact]
    public async Task Serves_until_SIGTERM_then_exits_cleanly()
    {
        string model = Fixtures.Path_(ServerFixture.ModelRelative);
        Skip.IfNot(OperatingSystem.IsLinux(), "sends SIGTERM with kill(1)");
        ProcessStartInfo psi = new("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { CliRunner.CliDll, "serve", model, "--template", "chatml", "--port", "0", "--threads", "1" }) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        try
        {
            string line = await p.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? "";
            Assert.StartsWith("serving stories260K (chatml template", line);
            string url = line[(line.LastIndexOf(" at ", StringComparison.Ordinal) + 4)..];
            using HttpClient http = new();
            Assert.Contains("\"stories260K\"", await http.GetStringAsync(url + "v1/models"));

            using (Process kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            Assert.True(p.WaitForExit(15_000), "cria serve did not exit after SIGTERM");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
