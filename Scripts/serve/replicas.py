"""N `quill serve` replicas on loopback ports behind nginx, all on this machine: the tested form of
deploy/nginx/quill-site.conf (same routing and proxy settings; the proxy block is included from
deploy/nginx/quill-proxy.conf itself). Standard library only; needs `nginx` on PATH (apt-get install nginx).

    python3 Scripts/serve/replicas.py [--replicas 2] [--port 8080] [--model M] [--threads 1] [-- serve flags]

runs until Ctrl-C. As a module: `with ReplicaSet(quill, model, replicas=2) as rs: rs.base_url`.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "check"))
from quill_server import ROOT, QuillServer, default_model, default_quill  # noqa: E402

PROXY_CONF = os.path.join(ROOT, "deploy", "nginx", "quill-proxy.conf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(prefix, port, upstreams):
    """A self-contained nginx.conf: quill-site.conf's map and upstream for `upstreams`, run unprivileged."""
    servers = "\n".join(f"        server {u} max_fails=2 fail_timeout=10s;" for u in upstreams)
    return f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    map $http_x_session_id $quill_route {{
        ""      $request_id;
        default $http_x_session_id;
    }}
    upstream quill_replicas {{
        hash $quill_route consistent;
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include {PROXY_CONF};
        }}
    }}
}}
"""


class ReplicaSet:
    """Starts `replicas` quill servers and nginx in front; stops them all on exit."""

    def __init__(self, quill, model, replicas=2, port=0, threads=1, extra=()):
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.servers = [QuillServer(quill, model, extra=["--threads", str(threads), *extra], name=f"replica{i}")
                        for i in range(replicas)]
        self.port = port or free_port()
        self.prefix = tempfile.mkdtemp(prefix="quill-nginx-")
        self.nginx = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def upstream(self, i):
        return f"127.0.0.1:{self.servers[i].port}"

    def __enter__(self):
        try:
            for s in self.servers:
                s.__enter__()
            conf = os.path.join(self.prefix, "nginx.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(self.prefix, self.port, [self.upstream(i) for i in range(len(self.servers))]))
            self.nginx = subprocess.Popen(["nginx", "-e", os.path.join(self.prefix, "error.log"), "-p", self.prefix, "-c", conf],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self._wait_for_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_nginx(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                raise RuntimeError("nginx exited: " + self.nginx.stderr.read())
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("nginx never answered /health")

    def kill_replica(self, i):
        """SIGKILL one replica, as a crash would."""
        self.servers[i].process.send_signal(signal.SIGKILL)
        self.servers[i].process.wait()

    def stop(self):
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __exit__(self, *exc):
        self.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--threads", type=int, default=1, help="worker threads per replica")
    p.add_argument("--quill", default=None)
    p.add_argument("--model", default=None)
    p.add_argument("serve_args", nargs="*", help="extra `quill serve` flags (after --)")
    a = p.parse_args()
    with ReplicaSet(a.quill or default_quill(), a.model or default_model(), a.replicas, a.port, a.threads, a.serve_args) as rs:
        for i in range(a.replicas):
            print(f"replica {i}: http://{rs.upstream(i)}")
        print(f"nginx: {rs.base_url} (Ctrl-C stops everything)", flush=True)
        try:
            while all(s.alive() for s in rs.servers) and rs.nginx.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
