using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Server;
using Microsoft.Playwright;

namespace Cria.Tests.Serving;

/// <summary>
/// The chat page in headless Chromium (Debian's, driven by Playwright; no browser download): type, send, see a
/// streamed answer equal to the API's, continue the conversation, keep a screenshot, and stop an answer
/// mid-stream. Skips when
/// /usr/bin/chromium is absent (.ci/run installs it with apt).
/// </summary>
public class ChatPageBrowserTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [SkippableFact]
    public async Task The_page_streams_answers_over_several_turns()
    {
        var (_, server, http) = fx.Require();
        HeadlessChromium.SkipIfAbsent();

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await HeadlessChromium.LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(server.Address.ToString());
        await page.WaitForFunctionAsync("document.getElementById('model').textContent.startsWith('stories260K')");

        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#maxtokens", "40");
        await page.FillAsync("#input", "Once upon a time");
        await page.PressAsync("#input", "Enter");
        await page.WaitForSelectorAsync(".assistant[data-state=done]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        string first = await page.EvalOnSelectorAsync<string>(".assistant", "e => e.textContent");

        // The same request through the API, not streamed: the page must show exactly that answer.
        using HttpResponseMessage r = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Once upon a time" } },
            temperature = 0,
            max_tokens = 40,
        });
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), first);
        Assert.Matches(@"^40 tokens · [0-9.]+ tokens/s$", await page.TextContentAsync("#speed"));

        await page.FillAsync("#input", "What happened next?");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("document.querySelectorAll('.assistant[data-state=done]').length === 2", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Equal(2, await page.Locator(".user").CountAsync());
        Assert.False(string.IsNullOrEmpty(await page.Locator(".assistant").Nth(1).TextContentAsync()));
        Assert.True(await page.IsEnabledAsync("#send"));
        Assert.False(await page.IsEnabledAsync("#stop"));

        string shot = Path.Combine(AppContext.BaseDirectory, "screenshots", "chat-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 1000);

        // Stop, on a server of its own whose context allows an answer of tens of thousands of tokens: decoding a token of
        // stories260K takes ~0.1 ms, so even 8000 tokens (under a second) could end before the click lands on a
        // busy machine. The test adds ignore_eos to the page's request (the page never sends it), so the answer runs
        // until Stop; the server sees the disconnect and frees the slot.
        using CriaService longService = ServerFixture.Load(parallel: 1, queueLimit: 1, context: 65536);
        await using CriaServer longServer = await CriaServer.StartAsync(longService, "127.0.0.1", 0, apiKey: null);
        await page.RouteAsync("**/v1/chat/completions", async route =>
        {
            JsonObject body = JsonNode.Parse(route.Request.PostData!)!.AsObject();
            body["ignore_eos"] = true;
            await route.ContinueAsync(new RouteContinueOptions { PostData = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()) });
        });
        await page.GotoAsync(longServer.Address.ToString());
        await page.WaitForFunctionAsync("document.getElementById('model').textContent.startsWith('stories260K')");
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#maxtokens", "64000");
        await page.FillAsync("#input", "Once upon a time");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("document.querySelector('.assistant').textContent.length > 0", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        // Forced: while tokens arrive every frame the growing log keeps moving the button, and Playwright's
        // wait for a stable element would outlast the answer.
        Assert.True(await page.IsEnabledAsync("#stop"));
        await page.ClickAsync("#stop", new PageClickOptions { Force = true });
        await page.WaitForSelectorAsync(".assistant[data-state=stopped]", new PageWaitForSelectorOptions { Timeout = 10_000 });
        Assert.True(await page.IsEnabledAsync("#send"));
        for (int i = 0; i < 200 && longService.Scheduler.Counters.Cancelled == 0; i++) await Task.Delay(25);
        Assert.Equal(1, longService.Scheduler.Counters.Cancelled);
        Assert.Equal(0, longService.Scheduler.ActiveSlots);
        Assert.True(longService.Scheduler.Counters.GeneratedTokens < 64000, "the answer ran to its limit before Stop");
    }
}
