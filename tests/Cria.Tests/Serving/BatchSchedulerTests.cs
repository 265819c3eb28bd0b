using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Text;

namespace Cria.Tests.Serving;

/// <summary>The scheduler batches sequences without changing what each one generates, and frees slots promptly.</summary>
public class BatchSchedulerTests
{
    private static GenerationRequest Request(ITokenizer tok, string prompt, int max, ulong seed, bool ignoreEos = false) => new()
    {
        PromptIds = tok.Encode(prompt, addBos: true),
        MaxNewTokens = max,
        Sampling = new SamplingOptions { Temperature = 0.9f, Seed = seed },
        StopStrings = ["Tom"],
        StopAtEos = !ignoreEos,
    };

    [SkippableFact]
    public async Task Concurrent_sequences_generate_exactly_what_Generator_does_alone()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(ServerFixture.ModelRelative));
        ITokenizer tok = m.Tokenizer!;
        GenerationRequest[] requests =
        [
            Request(tok, "Once upon a time", 60, 1),
            Request(tok, "The cat", 25, 2),
            Request(tok, "Lily and her mom went to the park. They", 80, 3),
            Request(tok, "One day", 5, 4),
            Request(tok, "The sun", 40, 5, ignoreEos: true),
        ];

        List<(string Text, List<int> Ids, FinishReason Reason)> expected = new();
        using (LlamaModel single = new(m))
            foreach (GenerationRequest r in requests)
            {
                using KvCache cache = single.CreateCache(256);
                GenerationStats stats = new();
                string text = string.Concat(new Generator(single, tok, cache).Generate(r, stats).Select(t => t.Text));
                expected.Add((text, stats.GeneratedIds, stats.FinishReason));
            }

        using LlamaModel model = new(m);
        // 3 slots for 5 requests: two wait in the queue and join the batch as others finish.
        using BatchScheduler scheduler = new(model, tok, slots: 3, contextLength: 256, queueLimit: 8);
        ScheduledGeneration[] running = requests.Select(r => scheduler.Submit(r)).ToArray();
        for (int i = 0; i < running.Length; i++)
        {
            string text = "";
            await foreach (GeneratedToken t in running[i].Tokens.ReadAllAsync()) text += t.Text;
            GenerationStats stats = await running[i].Completion;
            Assert.Equal(expected[i].Ids, stats.GeneratedIds);
            Assert.Equal(expected[i].Text, text);
            Assert.Equal(expected[i].Reason, stats.FinishReason);
        }
        Assert.Equal(0, scheduler.ActiveSlots);
        Assert.True(scheduler.Counters.BatchedTokens > scheduler.Counters.DecodeSteps, "sequences were never batched together");
    }

    [SkippableFact]
    public async Task Cancelling_frees_the_slot_within_one_decode_step()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(ServerFixture.ModelRelative));
        using LlamaModel model = new(m);
        using BatchScheduler scheduler = new(model, m.Tokenizer!, slots: 2, contextLength: 512, queueLimit: 0);
        using CancellationTokenSource cts = new();
        ScheduledGeneration g = scheduler.Submit(Request(m.Tokenizer!, "Once upon a time", 500, 7, ignoreEos: true) with { StopStrings = [] }, cts.Token);
        int read = 0;
        await foreach (GeneratedToken _ in g.Tokens.ReadAllAsync())
            if (++read == 3) break;
        cts.Cancel();
        int atCancel = g.Stats.GeneratedTokens;
        GenerationStats stats = await g.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(FinishReason.Cancelled, stats.FinishReason);
        // The scheduler checks for cancellation before every step: one step already under way may still add a token.
        Assert.InRange(stats.GeneratedTokens - atCancel, 0, 1);
        Assert.True(stats.GeneratedTokens < 500);
        Assert.Equal(0, scheduler.ActiveSlots);
        Assert.Equal(1, scheduler.Counters.Cancelled);
    }

    [SkippableFact]
    public void Requests_beyond_slots_and_queue_are_refused()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(ServerFixture.ModelRelative));
        using LlamaModel model = new(m);
        using BatchScheduler scheduler = new(model, m.Tokenizer!, slots: 1, contextLength: 512, queueLimit: 1);
        using CancellationTokenSource cts = new();
        GenerationRequest r = Request(m.Tokenizer!, "Once upon a time", 400, 1, ignoreEos: true) with { StopStrings = [] };
        scheduler.Submit(r, cts.Token);
        scheduler.Submit(r, cts.Token);
        Assert.Throws<QueueFullException>(() => scheduler.Submit(r, cts.Token));
        Assert.Equal(1, scheduler.Counters.Rejected);
        cts.Cancel();
        Assert.Throws<ArgumentException>(() => scheduler.Submit(r with { PromptIds = new int[513] }));
    }
}
