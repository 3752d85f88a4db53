"""Benchmark: the public verification JSON (``GET /v/<public_id>``, ``Accept: application/json``) under
gunicorn, against a bare Flask app reading the same row from the same database, in the same run.

    .venv/bin/python bench/verify_json.py [--n 200] [--duration 20] [--connections 16] [--database-url URL]

Builds a fresh database with the shipped content (SQLite in a temporary folder; with a PostgreSQL
--database-url the schema is dropped and re-created by the migrations), issues N Foundation credentials,
then starts two gunicorns with the same settings (2 sync workers each, on two free ports): the platform
(``lms.wsgi:app``) and ``bench/verify_bare_app.py``. After checking that both answer the same JSON, it warms
each up, then sends the same load to each in turn: a fixed number of connections asking for random ids
of the issued set as fast as they are answered (closed loop), for --duration seconds. The load generator
is wrk (with a Lua script for the random ids and p95) when it is installed, otherwise Python threads with
http.client (--load python forces it). Prints requests/s, p50/p95/p99, errors and the CPU the gunicorn
workers spent per request for both apps, the ratio real/bare and whether the targets are met; the last line is
`BENCH-JSON {...}` for bench/compare.py.

Targets (issue: verification JSON, 2 cores): real/bare throughput >= 0.70 and real p99 < 50 ms.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_RATIO = 0.70
TARGET_P99_MS = 50.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

WRK_SCRIPT = r"""
local ids = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(os.time() * 1000 + (tid or 0))
  wrk.headers["Accept"] = "application/json"
end

function request()
  return wrk.format("GET", "/v/" .. ids[math.random(#ids)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH-RESULT %d %d %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


# ---------------------------------------------------------------- the database

def setup(url: str, n: int, instance: Path) -> list[str]:
    """A fresh schema with the shipped content, one signing key and n issued Foundation credentials."""
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    os.environ["LMS_KEYS_DIR"] = str(instance / "keys")
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from lms import create_app
    from lms.accounts.services import register
    from lms.config import REPO_ROOT
    from lms.credentials import keys
    from lms.credentials import services as svc
    from lms.credentials.models import Credential, Programme
    from lms.extensions import db
    from lms.loading import load_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LMS_OUTBOX": instance / "outbox",
                      "LMS_KEYS_DIR": instance / "keys",
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    with app.app_context(), app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
        load_all(REPO_ROOT)
        keys.create_key()
        prog = db.session.scalar(select(Programme).where(Programme.key == "foundation"))
        creds = []
        for i in range(n):
            user = register(f"verify{i}@example.com", "bench-password-1", roles=("trainee",),
                            name_latin=f"Trainee {i}", name_zh="张伟")
            creds.append(Credential(holder=user, programme=prog, state="pending"))
        db.session.add_all(creds)
        db.session.commit()
        for c in creds:
            svc.issue(c)
        db.session.commit()
        ids = [c.public_id for c in creds]
        db.session.remove()
        db.engine.dispose()
    return ids


# ---------------------------------------------------------------- the servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(spec: list[str], port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                             "--worker-class", "sync", "--log-level", "warning", "--backlog", "2048", *spec],
                            env=env, cwd=str(ROOT))


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen, port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited with {proc.returncode}")
        try:
            if get(port, path, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer 200 on {path} within {seconds:.0f} s")


def proc_stats():
    """(pid, ppid, name, CPU seconds) of every process that can be read."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                head, _, tail = fh.read().rpartition(")")
        except OSError:
            continue
        fields = tail.split()
        yield int(entry), int(fields[1]), head.partition("(")[2], (int(fields[11]) + int(fields[12])) / CLK_TCK


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) of the gunicorn master's live child processes."""
    return sum(cpu for _, ppid, _, cpu in proc_stats() if ppid == master)


def postgres_cpu() -> float:
    """CPU seconds of the live PostgreSQL processes (its backends serve both apps' queries)."""
    return sum(cpu for _, _, name, cpu in proc_stats() if name == "postgres")


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLK_TCK


# ---------------------------------------------------------------- the load

def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def load_wrk(port: int, ids_file: Path, script: Path, duration: float, connections: int, threads: int) -> dict:
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}", "--", str(ids_file)],
                         capture_output=True, text=True, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise SystemExit("wrk printed no result:\n" + out)
    n, dur_us, e_conn, e_read, e_write, e_status, e_timeout, p50, p95, p99, pmax = map(int, line.split()[1:])
    return {"n": n, "seconds": dur_us / 1e6, "p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000,
            "max": pmax / 1000, "errors": e_conn + e_read + e_write + e_status + e_timeout,
            "error_kinds": {k: v for k, v in (("connect", e_conn), ("read", e_read), ("write", e_write),
                                              ("status", e_status), ("timeout", e_timeout)) if v}}


def load_python(port: int, ids: list[str], duration: float, connections: int) -> dict:
    """Closed loop: `connections` threads, each sending its next request when the last is answered."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        local_errors: dict[str, int] = {}
        start.wait()
        while time.perf_counter() < deadline[0]:
            t = time.perf_counter()
            try:
                conn.request("GET", f"/v/{rng.choice(ids)}", headers={"Accept": "application/json"})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    local_errors[f"status {resp.status}"] = local_errors.get(f"status {resp.status}", 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                local_errors[type(exc).__name__] = local_errors.get(type(exc).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            local.append(time.perf_counter() - t)
        conn.close()
        with lock:
            latencies.extend(local)
            for k, v in local_errors.items():
                errors[k] = errors.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + duration
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))] * 1000 \
            if latencies else float("nan")
    return {"n": len(latencies) + sum(errors.values()), "seconds": seconds, "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "max": pct(100), "errors": sum(errors.values()), "error_kinds": errors}


# ---------------------------------------------------------------- the run

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="credentials to issue (the ids asked for)")
    ap.add_argument("--duration", type=float, default=20, help="seconds of measured load per app")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load per app first")
    ap.add_argument("--connections", type=int, default=16, help="concurrent connections (closed loop)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for each app")
    ap.add_argument("--database-url", default=None, help="e.g. postgresql+psycopg://lms:lms@127.0.0.1/lms_bench "
                                                          "(its public schema is dropped); default a temporary SQLite")
    ap.add_argument("--load", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    ap.add_argument("--bare-first", action="store_true", help="measure the bare app before the platform")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    load = args.load if args.load != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if load == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --load python")

    instance = Path(tempfile.mkdtemp(prefix="lms-verify-"))
    url = args.database_url or f"sqlite:///{instance / 'verify.sqlite3'}"
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    servers: list[subprocess.Popen] = []

    def stop_servers() -> None:
        for p in servers:
            if p.poll() is None:
                p.terminate()
        for p in servers:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        servers.clear()

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    try:
        t0 = time.perf_counter()
        ids = setup(url, args.n, instance)
        print(f"setup: {dialect}, {len(ids)} credentials issued in {time.perf_counter() - t0:.1f} s", flush=True)
        ids_file = instance / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        script = instance / "verify.lua"
        script.write_text(WRK_SCRIPT)
        env = {**os.environ, "LMS_DATABASE_URL": url, "BARE_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(instance),
               "LMS_KEYS_DIR": str(instance / "keys")}
        apps = {"real": ["lms.wsgi:app"],
                "bare": ["--pythonpath", str(ROOT / "bench"), "verify_bare_app:create()"]}
        ports = {}
        procs = {}
        for name, spec in apps.items():
            ports[name] = free_port()
            procs[name] = start_gunicorn(spec, ports[name], args.workers, env)
            servers.append(procs[name])
        for name in apps:
            wait_ready(procs[name], ports[name], f"/v/{ids[0]}")

        # the same answer from both, for every id
        bodies = {name: [json.loads(get(ports[name], f"/v/{i}")[1]) for i in ids[:20]] for name in apps}
        same = bodies["real"] == bodies["bare"]
        sizes = {name: len(get(ports[name], f"/v/{ids[0]}")[1]) for name in apps}
        if not same:
            diff = {k for r, b in zip(bodies["real"], bodies["bare"], strict=True) for k in set(r) | set(b) if r.get(k) != b.get(k)}
            print(f"WARNING: the two apps answer different JSON (fields {sorted(diff)})", file=sys.stderr)

        def run(name: str, seconds: float) -> dict:
            cpu0, gen0, busy0, pg0 = worker_cpu(procs[name].pid), children_cpu(), machine_busy(), postgres_cpu()
            if load == "wrk":
                r = load_wrk(ports[name], ids_file, script, seconds, args.connections, args.threads)
            else:
                r = load_python(ports[name], ids, seconds, args.connections)
            r["server_cpu"] = worker_cpu(procs[name].pid) - cpu0
            r["gen_cpu"] = children_cpu() - gen0 if load == "wrk" else float("nan")
            r["busy"] = machine_busy() - busy0
            r["pg_cpu"] = postgres_cpu() - pg0 if dialect == "postgresql" else 0.0
            r["rps"] = r["n"] / r["seconds"]
            return r

        order = ["bare", "real"] if args.bare_first else ["real", "bare"]
        for name in order:
            run(name, args.warmup)
        results = {}
        for name in order:
            results[name] = run(name, args.duration)
            print(f"  measured {name}: {results[name]['rps']:.0f} req/s", file=sys.stderr, flush=True)
    finally:
        stop_servers()
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)

    gen = (f"wrk {args.threads} threads x {args.connections} connections" if load == "wrk"
           else f"Python http.client, {args.connections} threads")
    lines = [f"verification JSON, {dialect}, {len(ids)} credentials, gunicorn {args.workers} sync workers per app, "
             f"{gen}, {args.duration:g} s per app after {args.warmup:g} s warm-up (order: {', '.join(order)})",
             f"  same JSON from both apps: {'yes' if same else 'NO'} ({sizes['real']} / {sizes['bare']} bytes)"]
    labels = {"real": "real lms.wsgi:app", "bare": "bare verify_bare_app"}
    for name in ("real", "bare"):
        r = results[name]
        kinds = f" {r['error_kinds']}" if r["error_kinds"] else ""
        secs = r["seconds"]
        parts = [f"workers {r['server_cpu'] / secs:.2f}"]
        if dialect == "postgresql":
            parts.append(f"PostgreSQL {r['pg_cpu'] / secs:.2f}")
        if load == "wrk":
            other = r["busy"] - r["server_cpu"] - r["pg_cpu"] - r["gen_cpu"]
            parts += [f"wrk {r['gen_cpu'] / secs:.2f}", f"other processes {max(other, 0) / secs:.2f}"]
        lines.append(f"  {labels[name]:<21} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
                     f"p99 {r['p99']:6.1f} ms  errors {r['errors']}{kinds}")
        lines.append(f"  {'':<21} n={r['n']}, workers' CPU {1000 * r['server_cpu'] / max(r['n'], 1):.2f} ms/request; "
                     f"cores busy {r['busy'] / secs:.2f} of {os.cpu_count()}: {', '.join(parts)}")
    ratio = results["real"]["rps"] / results["bare"]["rps"]
    p99 = results["real"]["p99"]
    errors = results["real"]["errors"]
    lines.append(f"  throughput real/bare {ratio:.2f} (target >= {TARGET_RATIO:.2f}): "
                 f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    lines.append(f"  real p99 {p99:.1f} ms (target < {TARGET_P99_MS:g} ms): {'met' if p99 < TARGET_P99_MS else 'NOT met'}"
                 + (f"; {errors} errors" if errors else ""))
    print("\n".join(lines))
    print("BENCH-JSON " + json.dumps({"kind": "verify", "ratio": ratio, "real_rps": results["real"]["rps"],
                                      "bare_rps": results["bare"]["rps"], "real_p99": p99, "errors": errors,
                                      "same_json": same, "database": dialect, "met": ratio >= TARGET_RATIO}))


if __name__ == "__main__":
    main()
