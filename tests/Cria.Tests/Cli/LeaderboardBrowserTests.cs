using Microsoft.Playwright;

namespace Cria.Tests.Cli;

/// <summary>
/// `cria leaderboard --format html` rendered by headless Debian Chromium (Playwright, no browser download): two
/// evaluated models appear as rows and bars, a header click sorts the table, and a screenshot is kept.
/// Skips when /usr/bin/chromium is absent (.ci/run installs it with apt).
/// </summary>
public class LeaderboardBrowserTests
{
    [SkippableFact]
    public async Task Html_leaderboard_renders_and_sorts_in_chromium()
    {
        string bin = Fixtures.Path_("models/stories260K/stories260K.bin");
        string hf = Fixtures.Path_("models/stories260K-hf");
        HeadlessChromium.SkipIfAbsent();
        using TempDir tmp = new();
        string db = tmp.File("board.db"), html = tmp.File("board.html");
        foreach (string model in new[] { bin, hf })
        {
            CliRunner.Result r = CliRunner.Run("eval", model, "--tasks", "truthfulqa_mc2", "--data-dir", Fixtures.Path_("data"), "--limit", "2", "--db", db, "--ctx", "128");
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        CliRunner.Result board = CliRunner.Run("leaderboard", "--db", db, "--format", "html", "--out", html);
        Assert.True(board.ExitCode == 0, board.Stderr);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await HeadlessChromium.LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        Assert.Equal(2, await page.Locator("#board tbody tr").CountAsync());
        Assert.Equal(2, await page.Locator("svg rect").CountAsync());
        foreach (string width in await page.Locator("svg rect").EvaluateAllAsync<string[]>("rs => rs.map(r => r.getAttribute('width'))"))
            Assert.True(double.Parse(width, System.Globalization.CultureInfo.InvariantCulture) > 0, "a bar of zero width");
        string[] formats = [.. await page.Locator("#board tbody tr td:nth-child(3)").AllTextContentsAsync()];
        Assert.Equal(["hf", "llama2c"], formats.Order());

        // The format column sorts ascending on the first click and descending on the second.
        await page.ClickAsync("#board th:nth-child(3)");
        Assert.Equal(["hf", "llama2c"], await page.Locator("#board tbody tr td:nth-child(3)").AllTextContentsAsync());
        await page.ClickAsync("#board th:nth-child(3)");
        Assert.Equal(["llama2c", "hf"], await page.Locator("#board tbody tr td:nth-child(3)").AllTextContentsAsync());

        string shot = Path.Combine(AppContext.BaseDirectory, "screenshots", "leaderboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 1000);
    }
}
