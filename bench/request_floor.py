"""Benchmark: the CPU a request costs under gunicorn before any work is done — a bare WSGI function, a bare
Flask app that reads its session, and this app's cheapest requests (a fingerprinted static file, /healthz) and
a 404 page. Each is served by gunicorn (2 gthread workers, 1 thread, as `lms serve` runs) and loaded by wrk
(Debian package `wrk`) for a few seconds; the workers' CPU comes from /proc.

    .venv/bin/python bench/request_floor.py [--seconds 6] [--rounds 2]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from verify_json import worker_cpu  # noqa: E402  (the same /proc accounting)

BARE = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

from flask import Flask, session
flask_app = Flask(__name__)
flask_app.secret_key = "bench"

@flask_app.get("/")
def hello():
    session.get("seen")
    return "ok"
'''


def measure(target: str, chdir: str, path: str, env: dict, seconds: int, port: int = 5113) -> str:
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                               "--worker-class", "gthread", "--threads", "1", "--log-level", "warning",
                               "--chdir", chdir, target], env=env)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/login" if path == "static" else "/healthz" if target.startswith("lms") else "/")
                html = conn.getresponse().read().decode()
                break
            except OSError:
                time.sleep(0.2)
        if path == "static":
            path = re.search(r'href="(/static/css/app\.css[^"]*)"', html).group(1)
        before = worker_cpu(server.pid)
        out = subprocess.run(["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True, check=True).stdout
        cpu = worker_cpu(server.pid) - before
        n = int(re.search(r"(\d+) requests in", out).group(1))
        return f"{target:<18} {path[:36]:<36} {n:>7} requests  {cpu / n * 1000:.3f} ms CPU per request"
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="lms-floor-")
    Path(scratch, "bare.py").write_text(BARE)
    env = {**os.environ, "LMS_INSTANCE_PATH": scratch, "LMS_DATABASE_URL": f"sqlite:///{scratch}/floor.sqlite3"}
    for _ in range(args.rounds):
        for target, chdir, path in (("bare:app", scratch, "/"), ("bare:flask_app", scratch, "/"),
                                    ("lms.wsgi:app", str(ROOT), "static"), ("lms.wsgi:app", str(ROOT), "/healthz"),
                                    ("lms.wsgi:app", str(ROOT), "/no-such-page")):
            print(measure(target, chdir, path, env, args.seconds), flush=True)


if __name__ == "__main__":
    main()
