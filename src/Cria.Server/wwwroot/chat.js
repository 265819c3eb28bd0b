// The chat page: keeps the conversation in the browser and streams each answer from
// /v1/chat/completions (server-sent events), so the server stays stateless between turns.
"use strict";
const $ = id => document.getElementById(id);
const log = $("log"), input = $("input"), send = $("send"), stop = $("stop");
const messages = [];
let modelId = null, controller = null;

$("apikey").value = localStorage.getItem("cria-api-key") || "";
$("apikey").addEventListener("change", () => { localStorage.setItem("cria-api-key", $("apikey").value); loadModel(); });

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("apikey").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function loadModel() {
  try {
    const r = await fetch("/v1/models", { headers: headers() });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    modelId = body.data[0].id;
    $("model").textContent = modelId + " · context " + body.data[0].context_length;
  } catch (e) {
    $("model").textContent = "(" + e.message + ")";
  }
}

function bubble(cls, text) {
  const div = document.createElement("div");
  div.className = "msg " + cls;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

function busy(on) {
  send.disabled = on;
  stop.disabled = !on;
}

async function ask(text) {
  messages.push({ role: "user", content: text });
  bubble("user", text);
  const out = bubble("assistant streaming", "");
  out.dataset.state = "streaming";
  controller = new AbortController();
  busy(true);
  let answer = "", tokens = 0, started = 0, painting = false;
  // Tokens can arrive faster than frames (thousands per second on a small model): the text is painted at most once
  // per frame, so the page stays responsive (Stop keeps working) however fast the server streams.
  const paint = () => {
    painting = false;
    out.textContent = answer;
    log.scrollTop = log.scrollHeight;
  };
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), signal: controller.signal,
      body: JSON.stringify({
        model: modelId || undefined, messages, stream: true,
        stream_options: { include_usage: true },
        temperature: Number($("temperature").value), max_tokens: Number($("maxtokens").value),
      }),
    });
    if (!r.ok) {
      const body = await r.json().catch(() => null);
      throw new Error(body && body.error ? body.error.message : r.status + " " + r.statusText);
    }
    const reader = r.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.content) {
          if (!started) started = performance.now();
          answer += delta.content;
          if (!painting) {
            painting = true;
            requestAnimationFrame(paint);
          }
        }
      }
    }
    paint();
    out.dataset.state = "done";
  } catch (e) {
    paint();
    out.dataset.state = e.name === "AbortError" ? "stopped" : "error";
    if (e.name !== "AbortError") bubble("error", e.message);
  } finally {
    out.classList.remove("streaming");
    if (answer) messages.push({ role: "assistant", content: answer });
    else messages.pop();
    if (started && tokens) {
      const seconds = (performance.now() - started) / 1000;
      $("speed").textContent = tokens + " tokens · " + (tokens / Math.max(seconds, 1e-3)).toFixed(1) + " tokens/s";
    }
    controller = null;
    busy(false);
    input.focus();
  }
}

$("form").addEventListener("submit", e => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || controller) return;
  input.value = "";
  ask(text);
});
input.addEventListener("keydown", e => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
stop.addEventListener("click", () => { if (controller) controller.abort(); });
$("clear").addEventListener("click", () => {
  if (controller) controller.abort();
  messages.length = 0;
  log.textContent = "";
  $("speed").textContent = "";
});
loadModel();
