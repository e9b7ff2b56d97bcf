"""Checks the deployment files in deploy/ without a cluster: the Kubernetes manifest parses, its
Deployment selects its own pods, its probes and Service target a declared container port, and every
`quill serve` flag in it (and in the systemd unit) is one `quill serve --help` lists; the nginx site
passes `nginx -t` (with its include pointed at this checkout). Exits 1 on the first failure.

    python3 Scripts/check/deploy_files.py [--quill .build/debug/quill]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(message):
    sys.exit(f"FAIL {message}")


def serve_flags(quill):
    help_text = subprocess.run([quill, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"--[a-z][a-z-]+", help_text))


def check_flags(args, known, where):
    unknown = [a for a in args if a.startswith("--") and a not in known]
    if unknown:
        fail(f"{where}: `quill serve` has no {unknown}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quill", default=os.path.join(ROOT, ".build", "debug", "quill"))
    known = serve_flags(p.parse_args().quill)

    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "deploy", "k8s", "quill.yaml"))))
    kinds = {d["kind"]: d for d in docs}
    if set(kinds) != {"Deployment", "Service"}:
        fail(f"k8s: expected a Deployment and a Service, got {sorted(kinds)}")
    dep, svc = kinds["Deployment"], kinds["Service"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    if dep["spec"]["selector"]["matchLabels"].items() - labels.items():
        fail("k8s: the Deployment's selector does not match its pod labels")
    if svc["spec"]["selector"].items() - labels.items():
        fail("k8s: the Service's selector does not match the pods")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    args = container["args"]
    if args[0] != "serve" or str(ports["http"]) != args[args.index("--port") + 1]:
        fail("k8s: the container port is not the port `quill serve` listens on")
    check_flags(args, known, "k8s")
    for probe in ("readinessProbe", "livenessProbe"):
        if container[probe]["httpGet"]["port"] not in ports or container[probe]["httpGet"]["path"] != "/health":
            fail(f"k8s: {probe} does not poll /health on a declared port")
    for sp in svc["spec"]["ports"]:
        if sp["targetPort"] not in ports:
            fail(f"k8s: Service targets undeclared port {sp['targetPort']}")
    print("PASS k8s manifest")

    unit = open(os.path.join(ROOT, "deploy", "systemd", "quill@.service")).read().replace("\\\n", " ")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    words = exec_start.split()
    if words[1] != "serve":
        fail("systemd: ExecStart does not run `quill serve`")
    check_flags(words, known, "systemd")
    print("PASS systemd unit flags")

    if shutil.which("nginx"):
        with tempfile.TemporaryDirectory() as tmp:
            site = open(os.path.join(ROOT, "deploy", "nginx", "quill-site.conf")).read()
            site = site.replace("/etc/nginx/quill-proxy.conf", os.path.join(ROOT, "deploy", "nginx", "quill-proxy.conf"))
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\nhttp {{\n{site}\n}}\n")
            r = subprocess.run(["nginx", "-t", "-e", f"{tmp}/error.log", "-p", tmp, "-c", conf], capture_output=True, text=True)
            if r.returncode != 0:
                fail("nginx -t: " + r.stderr)
        print("PASS nginx site (nginx -t)")
    else:
        print("SKIP nginx site: nginx is not installed")


if __name__ == "__main__":
    main()
