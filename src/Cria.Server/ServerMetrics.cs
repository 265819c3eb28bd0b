using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Cria.Generation;

namespace Cria.Server;

/// <summary>HTTP counters plus the scheduler's, rendered in Prometheus' text exposition format.</summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Path, int Status), long> _requests = new();

    public void CountRequest(string path, int status) => _requests.AddOrUpdate((path, status), 1, (_, n) => n + 1);

    public string Render(BatchScheduler scheduler)
    {
        SchedulerCounters c = scheduler.Counters;
        StringBuilder sb = new();
        void Metric(string name, string type, string help, double value)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        sb.Append("# HELP cria_http_requests_total HTTP requests by path and status code.\n");
        sb.Append("# TYPE cria_http_requests_total counter\n");
        foreach (var ((path, status), n) in _requests.OrderBy(kv => kv.Key.Path, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            sb.Append(CultureInfo.InvariantCulture, $"cria_http_requests_total{{path=\"{path}\",status=\"{status}\"}} {n}\n");
        Metric("cria_generation_requests_total", "counter", "Generation requests accepted by the scheduler.", c.Submitted);
        Metric("cria_generation_rejected_total", "counter", "Generation requests refused because the queue was full (429).", c.Rejected);
        Metric("cria_generation_cancelled_total", "counter", "Generations stopped because the client went away.", c.Cancelled);
        Metric("cria_generation_finished_total", "counter", "Generations that left their slot, for any reason.", c.Completed);
        Metric("cria_prompt_tokens_total", "counter", "Prompt tokens processed.", c.PromptTokens);
        Metric("cria_generated_tokens_total", "counter", "Tokens generated.", c.GeneratedTokens);
        Metric("cria_tokens_per_second", "gauge", "Tokens generated per second over the last 10 s, all slots together.", Math.Round(c.TokensPerSecond, 2));
        Metric("cria_decode_steps_total", "counter", "Batched decode steps run.", c.DecodeSteps);
        Metric("cria_decode_batched_tokens_total", "counter", "Sequences fed across all decode steps (divide by steps for the mean batch).", c.BatchedTokens);
        Metric("cria_prefill_seconds_total", "counter", "Time the scheduler spent on prompts.", Math.Round(c.PrefillSeconds, 6));
        Metric("cria_sampling_seconds_total", "counter", "Time the scheduler spent sampling and emitting tokens.", Math.Round(c.SampleSeconds, 6));
        Metric("cria_decode_forward_seconds_total", "counter", "Time the scheduler spent in batched decode forward passes.", Math.Round(c.ForwardSeconds, 6));
        Metric("cria_queue_length", "gauge", "Requests waiting for a slot.", scheduler.QueueLength);
        Metric("cria_slots_active", "gauge", "Slots generating now.", scheduler.ActiveSlots);
        Metric("cria_slots_total", "gauge", "Slots (--parallel).", scheduler.Slots);
        Metric("cria_context_length", "gauge", "Context per slot in tokens.", scheduler.ContextLength);
        return sb.ToString();
    }
}
