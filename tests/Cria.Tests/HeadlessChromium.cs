using Microsoft.Playwright;

namespace Cria.Tests;

/// <summary>Debian's Chromium driven by Playwright (no browser download); tests skip when it is not installed.</summary>
internal static class HeadlessChromium
{
    public const string Path = "/usr/bin/chromium";

    public static void SkipIfAbsent() => Skip.IfNot(File.Exists(Path), $"{Path} is not installed (apt-get install chromium)");

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Path,
        Headless = true,
        // As root and on a machine without network: no sandbox, no background connections.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
}
