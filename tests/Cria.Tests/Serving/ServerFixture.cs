using Cria.Formats;
using Cria.Server;
using Cria.Text;

namespace Cria.Tests.Serving;

/// <summary>
/// One stories260K service (chatml template, 4 slots of 512 tokens) behind a real Kestrel server on
/// 127.0.0.1 and a free port, shared by a test class. Tests call <see cref="Require"/>, which skips them
/// when the fixtures are absent.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string ModelRelative = "models/stories260K/stories260K.bin";

    public CriaService? Service { get; private set; }
    public CriaServer? Server { get; private set; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public static string? ModelPath => Fixtures.Root is string root && File.Exists(Path.Combine(root, ModelRelative)) ? Path.Combine(root, ModelRelative) : null;

    public static CriaService Load(int parallel, int queueLimit, int context = 512) =>
        new(ModelLoader.Load(ModelPath!), ChatTemplate.ChatML, parallel, context, queueLimit);

    public async Task InitializeAsync()
    {
        if (ModelPath == null) return;
        Service = Load(parallel: 4, queueLimit: 8);
        Server = await CriaServer.StartAsync(Service, "127.0.0.1", 0, apiKey: null);
        Http.BaseAddress = Server.Address;
    }

    public (CriaService Service, CriaServer Server, HttpClient Http) Require()
    {
        Fixtures.Path_(ModelRelative);
        return (Service!, Server!, Http);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (Server != null) await Server.DisposeAsync();
        Service?.Dispose();
    }
}
