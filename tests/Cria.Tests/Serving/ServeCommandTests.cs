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
}
