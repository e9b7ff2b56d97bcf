"""The web playground (GET / of `quill serve`) in real headless Chromium, driven over the DevTools
protocol: load the page, set the system prompt and temperature, type a message and press Enter, watch
the answer stream in, read the tokens/s line, stop a long answer with the Stop button (its slot must
come free), rate an answer with its thumbs-up button (stored in the server's feedback file), and save a
screenshot whose path is printed. One PASS/FAIL line per check; exit 1 on failure.

    apt-get install chromium; Scripts/setup/openai_check_venv.sh      # websocket-client is in .venv-check
    .venv-check/bin/python Scripts/check/playground_browser.py [--quill Q] [--model M] [--out runs/playground]
"""
import argparse
import base64
import itertools
import json
import os
import re
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websocket  # websocket-client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quill_server import ROOT, QuillServer, default_model, default_quill  # noqa: E402

results = []
KEY = "sk-playground-check"


class Browser:
    """Headless Chromium with one page, spoken to over its DevTools websocket."""

    def __init__(self, binary, width=1280, height=860):
        self.profile = tempfile.mkdtemp(prefix="quill-chromium-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + 60
        for line in self.process.stderr:
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
            if time.time() > deadline:
                break
        if port is None:
            self.close()
            raise RuntimeError("chromium printed no 'DevTools listening' line")
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            page = next(t for t in json.loads(r.read()) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        """Sends one command and returns its result (events that arrive meanwhile are dropped)."""
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == i:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:60]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def wait(self, expression, timeout=60, interval=0.05):
        """Polls until `expression` is truthy; returns its value or raises after `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout} s waiting for {expression}")

    def click(self, selector):
        """A real mouse click at the element's centre."""
        box = self.js(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                      f" return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type_into(self, selector, text):
        self.click(selector)
        self.call("Input.insertText", text=text)

    def press_enter(self):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                      **({"text": "\r"} if kind == "keyDown" else {}))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def check(name, fn):
    start = time.time()
    try:
        detail = fn()
        results.append((name, True))
        print(f"PASS {name} ({time.time() - start:.1f} s){': ' + detail if detail else ''}", flush=True)
    except Exception as e:  # noqa: BLE001
        results.append((name, False))
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


# Records each chat request body the page sends (feedback posts are not recorded); `window.__extra` is merged into the next one (the check
# adds ignore_eos so that the "long answer" is long whatever the model would say).
SPY = """
window.__bodies = [];
window.__extra = null;
const realFetch = window.fetch.bind(window);
window.fetch = (url, options) => {
  if (options && options.body && String(url).endsWith("/chat/completions")) {
    let body = JSON.parse(options.body);
    if (window.__extra) { body = Object.assign(body, window.__extra); options = Object.assign({}, options, { body: JSON.stringify(body) }); }
    window.__bodies.push(body);
  }
  return realFetch(url, options);
};
true
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quill", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "playground"))
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("chromium not found: apt-get install chromium")
    os.makedirs(args.out, exist_ok=True)
    quill, model = args.quill or default_quill(), args.model or default_model()
    print(f"chromium {args.chromium}; quill {os.path.relpath(quill, ROOT)}; model {os.path.relpath(model, ROOT)}", flush=True)
    feedback_dir = tempfile.TemporaryDirectory()
    feedback_db = os.path.join(feedback_dir.name, "feedback.sqlite")
    with QuillServer(quill, model, ["--parallel", "2", "--feedback-db", feedback_db], name="playground") as server, \
         QuillServer(quill, model, ["--parallel", "1", "--api-key", KEY], name="keyed") as keyed:
        browser = Browser(args.chromium)
        try:
            run_checks(browser, server, args.out, feedback_db)
            run_key_checks(browser, keyed, args.out)
        finally:
            browser.close()
    failed = [n for n, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} checks passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def run_checks(b, server, out, feedback_db):
    model_id = server.get_json("/v1/models")["data"][0]["id"]
    stamp = time.strftime("%Y%m%d-%H%M%S")

    def load():
        b.call("Page.navigate", url=server.base_url + "/")
        b.wait("document.readyState === 'complete' && !!document.getElementById('prompt')", timeout=30)
        expect(b.js("document.title") == "Quill playground", f"title {b.js('document.title')!r}")
        shown = b.js("document.getElementById('model').textContent")
        expect(model_id in shown, f"model line {shown!r} does not name {model_id}")
        expect(b.js("document.getElementById('stop').disabled") is True, "Stop enabled before anything runs")
        b.js(SPY)
        return shown
    check("page loads, names the model", load)

    def settings():
        b.js("document.getElementById('system').value = ''")
        b.type_into("#system", "You are a terse assistant. Answer in one sentence.")
        # The range input moved the way a user's arrow keys move it: value changes, input event fires.
        b.js("(() => { const t = document.getElementById('temperature'); t.value = '0.3';"
             " t.dispatchEvent(new Event('input', { bubbles: true })); })()")
        shown = b.js("document.getElementById('temperatureValue').textContent")
        expect(shown == "0.3", f"temperature label shows {shown!r}")
        b.js("document.getElementById('maxTokens').value = '48'")
        return "system prompt typed, temperature 0.3, max tokens 48"
    check("set system prompt and temperature", settings)

    def chat():
        b.type_into("#prompt", "What is the capital of France?")
        b.press_enter()
        b.wait("document.querySelectorAll('.msg.user').length === 1", timeout=10)
        expect(b.js("document.getElementById('prompt').value") == "", "prompt box not cleared after sending")
        lengths = set()
        deadline = time.time() + 120
        while time.time() < deadline:
            text = b.js("(document.querySelector('.msg.assistant') || {}).textContent || ''")
            if text:
                lengths.add(len(text))
            if b.js("!!document.getElementById('lastStats')"):
                break
            time.sleep(0.02)
        answer = b.js("document.querySelector('.msg.assistant').textContent")
        expect(answer and "Error" not in answer, f"answer {answer!r}")
        expect(b.js("document.querySelector('.msg.assistant').className") == "msg assistant", "answer shown as an error")
        body = b.js("window.__bodies[0]")
        expect(body["messages"][0] == {"role": "system", "content": "You are a terse assistant. Answer in one sentence."},
               f"system message sent: {body['messages'][0]}")
        expect(body["temperature"] == 0.3 and body["max_tokens"] == 48 and body["stream"] is True, f"body {body}")
        return f"{answer!r} (seen at {len(lengths)} lengths while streaming)"
    check("type, Enter, answer streams in", chat)

    def rate():
        stats = b.js("document.getElementById('lastStats').textContent")
        m = re.match(r"(\d+) tokens · ([\d.]+) tok/s · (\d+) ms to first token · (stop|length)$", stats)
        expect(m is not None, f"stats line {stats!r}")
        expect(int(m.group(1)) > 0 and float(m.group(2)) > 0, f"stats {stats!r}")
        return stats
    check("tokens/s line", rate)

    def thumbs():
        b.click(".rating .rate")                     # the first button: thumbs up
        b.wait("document.querySelector('.rating .rate').classList.contains('chosen')", timeout=10)
        with sqlite3.connect(feedback_db) as db:
            rows = db.execute("SELECT rating, response FROM feedback").fetchall()
        answer = b.js("document.querySelector('.msg.assistant').textContent")
        expect(len(rows) == 1 and rows[0][0] == 1, f"feedback rows {rows}")
        expect(rows[0][1] == answer, f"stored answer {rows[0][1]!r} is not the shown {answer!r}")
        return f"rating +1 stored with the {len(answer)}-character answer"
    check("thumbs up stores the rating", thumbs)

    shot = os.path.join(out, f"playground-{stamp}.png")

    def screenshot():
        b.screenshot(shot)
        expect(os.path.getsize(shot) > 10_000, "screenshot suspiciously small")
        return shot
    check("screenshot after the first answer", screenshot)

    def stop():
        b.js("window.__extra = { ignore_eos: true }")
        b.js("document.getElementById('maxTokens').value = '4000'")
        b.type_into("#prompt", "Tell me a very long story about a dragon.")
        b.click("#send")
        b.wait("document.querySelectorAll('.msg.assistant').length === 2 &&"
               " document.querySelectorAll('.msg.assistant')[1].textContent.length > 40", timeout=120)
        expect(b.js("document.getElementById('stop').disabled") is False, "Stop disabled while answering")
        b.click("#stop")
        stats = b.wait("document.getElementById('lastStats') && document.querySelectorAll('.stats')[1].id === 'lastStats'"
                       " && document.getElementById('lastStats').textContent", timeout=10)
        expect(stats.endswith("· stopped"), f"stats after Stop {stats!r}")
        expect(b.js("document.getElementById('send').disabled") is False, "Send still disabled after Stop")
        deadline = time.time() + 10
        while time.time() < deadline and server.metrics().get("quill_slots_busy", 1) != 0:
            time.sleep(0.1)
        expect(server.metrics().get("quill_slots_busy") == 0, "the stopped answer still holds a slot")
        text = b.js("document.querySelectorAll('.msg.assistant')[1].textContent")
        time.sleep(0.5)
        expect(b.js("document.querySelectorAll('.msg.assistant')[1].textContent") == text, "text still growing after Stop")
        return f"{stats} after {len(text)} characters; slot free"
    check("Stop ends a long answer and frees its slot", stop)

    def second_turn():
        b.js("window.__extra = null")
        b.js("document.getElementById('maxTokens').value = '24'")
        b.type_into("#prompt", "Thanks!")
        b.press_enter()
        b.wait("document.querySelectorAll('.stats').length === 3 && document.querySelectorAll('.stats')[2].id === 'lastStats'",
               timeout=120)
        body = b.js("window.__bodies[2]")
        roles = [m["role"] for m in body["messages"]]
        expect(roles == ["system", "user", "assistant", "user", "assistant", "user"], f"history roles {roles}")
        final = os.path.join(out, f"playground-{stamp}-stopped.png")
        b.screenshot(final)
        return f"history {roles}; screenshot {final}"
    check("a third turn sends the history (stopped answer kept)", second_turn)


def run_key_checks(b, server, out):
    """A server that wants a key: the page still loads, the 401 is shown as an error, the typed key works."""
    def refused():
        b.call("Page.navigate", url=server.base_url + "/")
        b.wait("document.readyState === 'complete' && !!document.getElementById('prompt')", timeout=30)
        b.js("localStorage.removeItem('quill.apiKey'); document.getElementById('apiKey').value = ''")
        b.js(SPY)
        b.js("document.getElementById('maxTokens').value = '8'")
        b.type_into("#prompt", "Hello?")
        b.press_enter()
        b.wait("!!document.getElementById('lastStats')", timeout=30)
        bubble = b.js("document.querySelector('.msg.error') && document.querySelector('.msg.error').textContent")
        expect(bubble and "API key" in bubble, f"error bubble {bubble!r}")
        expect(b.js("document.getElementById('send').disabled") is False, "Send disabled after an error")
        stats = b.js("document.getElementById('lastStats').textContent")
        expect(stats.startswith("not answered"), f"stats after the error {stats!r}")
        return f"{bubble!r}; {stats!r}"
    check("keyed server: a request without the key shows the 401 message", refused)

    def with_key():
        b.type_into("#apiKey", KEY)
        b.js("document.getElementById('apiKey').dispatchEvent(new Event('change'))")
        b.type_into("#prompt", "Hello again")
        b.press_enter()
        b.wait("document.querySelectorAll('.stats').length === 2 && document.querySelectorAll('.stats')[1].id === 'lastStats'",
               timeout=120)
        body = b.js("window.__bodies[window.__bodies.length - 1]")
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        expect(users == ["Hello again"], f"user turns sent after the refused one: {users}")
        answers = b.js("[...document.querySelectorAll('.msg.assistant')].map(e => e.textContent)")
        expect(len(answers) == 1 and answers[0], f"answers {answers}")
        expect(b.js("localStorage.getItem('quill.apiKey')") == KEY, "key not remembered")
        shot = os.path.join(out, f"playground-{time.strftime('%Y%m%d-%H%M%S')}-key.png")
        b.screenshot(shot)
        return f"{answers[0]!r}; screenshot {shot}"
    check("keyed server: the typed key is sent and remembered", with_key)


if __name__ == "__main__":
    sys.exit(main())
