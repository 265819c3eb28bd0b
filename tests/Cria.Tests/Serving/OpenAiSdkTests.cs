using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Cria.Server;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace Cria.Tests.Serving;

/// <summary>The server driven by the official OpenAI .NET SDK and by Microsoft.Extensions.AI.OpenAI, as existing apps would.</summary>
public class OpenAiSdkTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Prompt = "Once upon a time";

    private OpenAIClient Client()
    {
        var (_, server, _) = fx.Require();
        return new OpenAIClient(new ApiKeyCredential("no-key"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });
    }

    [SkippableFact]
    public async Task Chat_non_streaming_and_streaming_agree_and_report_usage()
    {
        ChatClient chat = Client().GetChatClient("stories260K");
        ChatCompletionOptions options = new() { Temperature = 0, MaxOutputTokenCount = 24 };
        ChatCompletion c = (await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options)).Value;
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, c.FinishReason);
        Assert.Equal(24, c.Usage.OutputTokenCount);
        Assert.True(c.Usage.InputTokenCount > 5);
        Assert.Equal("stories260K", c.Model);
        string text = c.Content[0].Text;
        Assert.False(string.IsNullOrWhiteSpace(text));

        string streamed = "";
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate u in chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            foreach (ChatMessageContentPart part in u.ContentUpdate) streamed += part.Text;
            finish ??= u.FinishReason;
        }
        Assert.Equal(text, streamed);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, finish);
    }

    [SkippableFact]
    public async Task Models_lists_the_served_model()
    {
        OpenAIModelClient models = Client().GetOpenAIModelClient();
        OpenAIModelCollection list = (await models.GetModelsAsync()).Value;
        Assert.Equal("stories260K", Assert.Single(list).Id);
        Assert.Equal("stories260K", (await models.GetModelAsync("stories260K")).Value.Id);
        ClientResultException e = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("gpt-4o"));
        Assert.Equal(404, e.Status);
    }

    [SkippableFact]
    public async Task Completions_through_the_sdk_equal_cria_generate()
    {
        // OpenAI 2.15 keeps its legacy completions client internal; the request goes through the SDK's own
        // pipeline (its auth, headers and error handling) instead.
        var (_, server, _) = fx.Require();
        ClientPipeline pipeline = Client().Pipeline;
        string body = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, temperature = 0, max_tokens = 40 });
        using PipelineMessage message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(server.Address, "v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(body));
        await pipeline.SendAsync(message);
        Assert.Equal(200, message.Response!.Status);
        using JsonDocument doc = JsonDocument.Parse(message.Response.Content);
        JsonElement choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal(40, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        CliRunner.Result cli = CliRunner.Run("generate", Fixtures.Path_(ServerFixture.ModelRelative), "-p", Prompt, "--temperature", "0", "-n", "40");
        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(cli.Stdout.TrimEnd('\n'), choice.GetProperty("text").GetString());
    }

    [SkippableFact]
    public async Task Greedy_chat_equals_cria_generate_on_the_rendered_template()
    {
        ChatClient chat = Client().GetChatClient("stories260K");
        ChatCompletion c = (await chat.CompleteChatAsync(
            [new SystemChatMessage("You tell stories."), new UserChatMessage("Tell me about a dog.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 50 })).Value;
        string rendered = Cria.Text.ChatTemplate.ChatML.Render([Cria.Text.ChatMessage.System("You tell stories."), Cria.Text.ChatMessage.User("Tell me about a dog.")]);
        CliRunner.Result cli = CliRunner.Run("generate", Fixtures.Path_(ServerFixture.ModelRelative), "-p", rendered, "--temperature", "0", "-n", "50", "--stop", "<|im_end|>");
        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(cli.Stdout.TrimEnd('\n'), c.Content[0].Text);
    }

    [SkippableFact]
    public async Task Extensions_AI_client_over_http_equals_the_in_process_CriaChatClient()
    {
        var (service, _, _) = fx.Require();
        IChatClient remote = Client().GetChatClient("stories260K").AsIChatClient();
        using IChatClient local = new CriaChatClient(service);
        ChatOptions options = new() { Temperature = 0, MaxOutputTokens = 30 };
        Microsoft.Extensions.AI.ChatMessage[] messages = [new(ChatRole.User, "The little bird")];

        ChatResponse overHttp = await remote.GetResponseAsync(messages, options);
        ChatResponse inProcess = await local.GetResponseAsync(messages, options);
        Assert.Equal(inProcess.Text, overHttp.Text);
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Length, overHttp.FinishReason);
        Assert.Equal(30, inProcess.Usage!.OutputTokenCount);

        string streamed = "";
        await foreach (ChatResponseUpdate u in remote.GetStreamingResponseAsync(messages, options)) streamed += u.Text;
        string localStreamed = "";
        UsageDetails? usage = null;
        await foreach (ChatResponseUpdate u in local.GetStreamingResponseAsync(messages, options))
        {
            localStreamed += u.Text;
            usage ??= u.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
        }
        Assert.Equal(inProcess.Text, streamed);
        Assert.Equal(inProcess.Text, localStreamed);
        Assert.Equal(30, usage!.OutputTokenCount);
        Assert.Equal("stories260K", local.GetService<ChatClientMetadata>()!.DefaultModelId);
    }
}
