"""Starts `quill serve` on a free loopback port for the checks in Scripts/check/ (openai client,
browser playground, soak) and always stops it. Standard library only.

    with QuillServer(quill, model, extra=["--parallel", "2"]) as server:
        print(server.base_url)          # http://127.0.0.1:PORT
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_quill():
    """The newest quill binary built in this checkout (release or debug)."""
    found = [p for p in (os.path.join(ROOT, ".build", c, "quill") for c in ("release", "debug")) if os.path.exists(p)]
    if not found:
        sys.exit("no quill binary: run `swift build --product quill` (or `make build`) first")
    return max(found, key=os.path.getmtime)


def default_model():
    """SmolLM2 (the real chat model) when fetched into .assets, else the bundled Shakespeare GPT."""
    smol = os.path.join(ROOT, ".assets", "SmolLM2-135M-Instruct.Q4_1.gguf")
    return smol if os.path.exists(smol) else os.path.join(ROOT, "Models", "shakespeare-gpt")


class QuillServer:
    """`quill serve --port 0` as a child process; the port is read from its 'listening on port N' line."""

    def __init__(self, quill, model, extra=(), name="quill", startup_timeout=120):
        self.command = [quill, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", *extra]
        self.name = name
        self.startup_timeout = startup_timeout
        self.process = None
        self.port = None
        self.log = []                     # the server's stderr lines, shown when something fails

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()
        deadline = time.time() + self.startup_timeout
        port_line = {}
        reader = threading.Thread(target=self._read_port, args=(port_line,), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if "port" not in port_line:
            self.stop()
            raise RuntimeError(f"{self.name}: no 'listening on port' line within {self.startup_timeout} s; "
                               f"stderr:\n" + "\n".join(self.log[-20:]))
        self.port = port_line["port"]
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name}: /health never answered 200")

    def _read_port(self, out):
        for line in self.process.stdout:
            if line.startswith("listening on port "):
                out["port"] = int(line.split()[-1])
                break
        threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True).start()

    def _drain(self, stream):
        for line in stream:
            self.log.append(line.rstrip("\n"))

    def get_json(self, path, headers=None):
        request = urllib.request.Request(self.base_url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())

    def get_text(self, path, headers=None):
        request = urllib.request.Request(self.base_url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.read().decode()

    def metrics(self, headers=None):
        """Prometheus text as {name{labels}: value} for the unlabelled and labelled samples."""
        out = {}
        for line in self.get_text("/metrics", headers).splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def rss_kib(self):
        """Resident memory of the server process (Linux /proc)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *exc):
        self.stop()
