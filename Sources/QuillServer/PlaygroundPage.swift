// The web playground served at GET /: one self-contained page (inline CSS and JavaScript, no CDN, no
// build step) that chats with /v1/chat/completions over SSE — system prompt, temperature, top-p, max
// tokens, a stop button (aborts the fetch, which frees the slot), tokens per second per answer, and
// thumbs up/down on each answer (POST /v1/feedback, when the server keeps feedback).

enum PlaygroundPage {
    /// The page, with the model's id filled in (HTML-escaped).
    static func html(model: String) -> String {
        let escaped = model.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        return template.replacingOccurrences(of: "{{MODEL}}", with: escaped)
    }

    static let template = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quill playground</title>
<style>
  :root { --bg: #f6f5f1; --panel: #fff; --ink: #1d1d1b; --muted: #6b6b66; --accent: #2f5d8a; --line: #dcdad3; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink);
         display: grid; grid-template-columns: 280px 1fr; height: 100vh; }
  aside { padding: 18px; border-right: 1px solid var(--line); background: var(--panel); overflow-y: auto; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .model { color: var(--muted); font-size: 13px; margin-bottom: 16px; word-break: break-all; }
  label { display: block; font-size: 13px; color: var(--muted); margin: 12px 0 4px; }
  textarea, input { width: 100%; font: inherit; padding: 7px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
  input[type=range] { padding: 0; }
  .value { float: right; color: var(--ink); }
  main { display: flex; flex-direction: column; height: 100vh; }
  #log { flex: 1; overflow-y: auto; padding: 20px 28px; }
  .msg { max-width: 760px; width: fit-content; min-width: 48px; margin: 0 0 14px; padding: 10px 14px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
  .user { background: #e3ebf3; margin-left: auto; }
  .assistant { background: var(--panel); border: 1px solid var(--line); }
  .error { background: #fbe9e7; border: 1px solid #e8b4ab; }
  .stats { color: var(--muted); font-size: 12px; margin: -8px 0 14px; }
  form { display: flex; gap: 8px; padding: 14px 28px; border-top: 1px solid var(--line); background: var(--panel); }
  #prompt { flex: 1; resize: none; height: 46px; }
  button { font: inherit; padding: 0 18px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
  button.secondary { background: #8a8a84; }
  button:disabled { opacity: .5; cursor: default; }
  .row { display: flex; gap: 8px; margin-top: 16px; }
  .row button { flex: 1; height: 34px; }
  .rating { margin: -10px 0 14px; }
  .rate { background: none; color: var(--muted); padding: 0 4px; font-size: 14px; }
  .rate.chosen { color: var(--accent); font-weight: bold; }
</style>
</head>
<body>
<aside>
  <h1>Quill playground</h1>
  <div class="model" id="model" data-model="{{MODEL}}">model: {{MODEL}}</div>
  <label for="system">System prompt</label>
  <textarea id="system" rows="4">You are a helpful assistant.</textarea>
  <label for="temperature">Temperature <span class="value" id="temperatureValue">0.7</span></label>
  <input id="temperature" type="range" min="0" max="2" step="0.05" value="0.7">
  <label for="topP">Top-p <span class="value" id="topPValue">0.95</span></label>
  <input id="topP" type="range" min="0.05" max="1" step="0.05" value="0.95">
  <label for="maxTokens">Max tokens</label>
  <input id="maxTokens" type="number" min="1" max="8192" value="256">
  <label for="apiKey">API key (if the server needs one)</label>
  <input id="apiKey" type="password" autocomplete="off">
  <div class="row"><button type="button" class="secondary" id="clear">New chat</button></div>
</aside>
<main>
  <div id="log"></div>
  <form id="form">
    <textarea id="prompt" placeholder="Send a message (Enter to send, Shift+Enter for a new line)"></textarea>
    <button type="submit" id="send">Send</button>
    <button type="button" id="stop" class="secondary" disabled>Stop</button>
  </form>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const model = $("model").dataset.model;
let history = [];          // {role, content} turns so far
let controller = null;     // aborts the running answer

for (const id of ["temperature", "topP"]) {
  $(id).addEventListener("input", () => { $(id + "Value").textContent = $(id).value; });
}
$("apiKey").value = localStorage.getItem("quill.apiKey") || "";
$("apiKey").addEventListener("change", () => localStorage.setItem("quill.apiKey", $("apiKey").value));

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  $("log").appendChild(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}

function note(text) {
  const div = document.createElement("div");
  div.className = "stats";
  div.textContent = text;
  $("log").appendChild(div);
  return div;
}

function authHeaders() {
  const headers = { "Content-Type": "application/json" };
  if ($("apiKey").value) headers["Authorization"] = "Bearer " + $("apiKey").value;
  return headers;
}

// Thumbs up/down under an answer, in their own row after the stats line (whose text stays as it was);
// a second click stores another rating.
function rateButtons(stats, responseID) {
  const row = document.createElement("div");
  row.className = "rating";
  stats.after(row);
  // Thumbs up / down as ▲ / ▼ (in every common font; emoji are missing from many headless and Linux setups).
  for (const [label, rating] of [["\u25B2 Good", 1], ["\u25BC Bad", -1]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "rate";
    button.textContent = label;
    button.title = rating > 0 ? "Good answer" : "Bad answer";
    button.dataset.rating = String(rating);
    button.addEventListener("click", async () => {
      const response = await fetch("/v1/feedback", { method: "POST", headers: authHeaders(),
                                                      body: JSON.stringify({ response_id: responseID, rating }) }).catch(() => null);
      for (const b of row.querySelectorAll(".rate")) b.classList.toggle("chosen", b === button && response && response.ok);
      if (!response || !response.ok) button.title = response && response.status === 404 ? "This server keeps no feedback" : "Feedback failed";
    });
    row.appendChild(button);
  }
}

function busy(on) {
  $("send").disabled = on;
  $("stop").disabled = !on;
}

async function send(text) {
  history.push({ role: "user", content: text });
  bubble("user", text);
  const answer = bubble("assistant", "");
  const stats = note("waiting for the first token…");
  const system = $("system").value.trim();
  const body = {
    model, stream: true, stream_options: { include_usage: true },
    messages: (system ? [{ role: "system", content: system }] : []).concat(history),
    temperature: parseFloat($("temperature").value), top_p: parseFloat($("topP").value),
    max_tokens: parseInt($("maxTokens").value, 10) || 256,
  };
  const headers = authHeaders();
  controller = new AbortController();
  busy(true);
  const start = performance.now();
  let first = null, last = null, pieces = 0, tokens = null, reply = "", finish = "", failed = false, responseID = null;
  try {
    const response = await fetch("/v1/chat/completions", { method: "POST", headers, body: JSON.stringify(body), signal: controller.signal });
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      throw new Error((error.error && error.error.message) || ("HTTP " + response.status));
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffered.indexOf("\n\n")) >= 0) {
        const event = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        if (chunk.id) responseID = chunk.id;
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
        for (const choice of chunk.choices || []) {
          if (choice.delta && choice.delta.content) {
            if (first === null) first = performance.now();
            last = performance.now();
            pieces += 1;
            reply += choice.delta.content;
            answer.textContent = reply;
            $("log").scrollTop = $("log").scrollHeight;
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
    }
  } catch (error) {
    if (error.name === "AbortError") { finish = "stopped"; } else {
      failed = true;
      finish = "error";
      answer.className = "msg error";
      answer.textContent = (reply ? reply + "\n\n" : "") + "Error: " + error.message;
    }
  } finally {
    busy(false);
    controller = null;
  }
  if (reply) history.push({ role: "assistant", content: reply });
  else if (failed) history.pop();     // a refused turn is not part of the conversation: not sent again
  const count = tokens !== null ? tokens : pieces;
  const rate = first !== null && last > first && count > 1 ? ((count - 1) / ((last - first) / 1000)).toFixed(1) : "–";
  const ttft = first !== null ? Math.round(first - start) + " ms to first token" : "no tokens";
  stats.textContent = failed && !reply ? "not answered (the message is not kept in the conversation)"
    : `${count} tokens · ${rate} tok/s · ${ttft}` + (finish ? ` · ${finish}` : "");
  if (reply && responseID) rateButtons(stats, responseID);
  const previous = $("lastStats");
  if (previous) previous.removeAttribute("id");
  stats.id = "lastStats";             // what the browser check reads
}

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("prompt").value.trim();
  if (!text || controller) return;
  $("prompt").value = "";
  send(text);
});
$("prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("form").requestSubmit(); }
});
$("stop").addEventListener("click", () => { if (controller) controller.abort(); });
$("clear").addEventListener("click", () => { if (controller) controller.abort(); history = []; $("log").innerHTML = ""; });
</script>
</body>
</html>
"""#
}
