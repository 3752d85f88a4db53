"""Benchmark: an exam rush. N trainees start the same 40-question exam within one second, save every
answer one request at a time (as the page's autosave does), and submit, against gunicorn.

    .venv/bin/python bench/exam_rush.py [--users 300] [--workers 2] [--database-url URL]

Without --database-url a fresh SQLite file is used; with a PostgreSQL URL the database is emptied first.
Prints p50/p95/p99 per operation, the errors, and the saved answers counted in the database against
the answers sent. "first page" is what a trainee waits for after pressing Start: the start, the exam's page and
the page's stylesheet and script, fetched as a browser does (kept while Cache-Control says they are fresh, asked
again otherwise; --no-assets leaves them out, as the figures before the sixth session were taken). Targets (issue 3, PostgreSQL, 2 cores): p95 start < 200 ms, save < 50 ms,
submit < 300 ms, 0 errors, 0 answers lost.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from verify_json import postgres_cpu, proc_stats, worker_cpu  # noqa: E402  (the same /proc accounting)

QUESTIONS = 40
ASSET_RE = re.compile(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"')
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Client:
    """One trainee's browser: keep-alive connections (a second one for the page's files, fetched in parallel with
    the first, as browsers do) and its cookies."""

    def __init__(self, port: int, assets: bool = True):
        self.port = port
        self.conns = {"page": None, "asset": None}
        self.cookies: dict[str, str] = {}
        self.load_assets = assets
        self.assets: dict[str, tuple[str | None, float]] = {}     # address: (ETag, fresh until)
        self.asset_requests = 0
        self.asset_errors: list[str] = []

    def page(self, path: str) -> tuple[int, str, dict]:
        """GET a page, then its stylesheet and script as a browser would: not at all while its copy is fresh
        (Cache-Control max-age), else asked again, with If-None-Match when it has a copy; two at once."""
        status, html, headers = self.request("GET", path)
        if self.load_assets:
            now = time.monotonic()
            wanted = [url for url in ((a or b) for a, b in ASSET_RE.findall(html))
                      if self.assets.get(url, (None, 0.0))[1] <= now]
            helper = None
            if len(wanted) > 1:
                helper = threading.Thread(target=self._asset, args=(wanted.pop(0), "asset"))
                helper.start()
            for url in wanted:
                self._asset(url, "page")
            if helper:
                helper.join()
        return status, html, headers

    def _asset(self, url: str, conn: str) -> None:
        etag = self.assets.get(url, (None, 0.0))[0]
        status, _, h = self.request("GET", url, headers={"If-None-Match": etag} if etag else None, conn=conn)
        self.asset_requests += 1
        if status not in (200, 304):
            self.asset_errors.append(f"asset {status}")
        cc = h.get("Cache-Control", "")
        m = re.search(r"max-age=(\d+)", cc)
        fresh = time.monotonic() + int(m.group(1)) if m and "no-cache" not in cc else 0.0
        self.assets[url] = (h.get("ETag") or etag, fresh)

    def request(self, method: str, path: str, body=None, headers=None, conn: str = "page") -> tuple[int, str, dict]:
        h = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        h.update(headers or {})
        for attempt in range(2):
            try:
                if self.conns[conn] is None:
                    self.conns[conn] = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conns[conn].request(method, path, body=body, headers=h)
                resp = self.conns[conn].getresponse()
                data = resp.read().decode("utf-8", "replace")
                break
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.conns[conn].close()
                self.conns[conn] = None
                if attempt:
                    raise
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, data, dict(resp.getheaders())

    def form(self, path: str, fields: dict) -> tuple[int, str, dict]:
        return self.request("POST", path, urllib.parse.urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})


def token(html: str) -> str:
    m = TOKEN_RE.search(html)
    return m.group(1) or m.group(2)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000 if values else float("nan")


def setup(url: str, users: int, instance: str) -> str:
    os.environ["LMS_INSTANCE_PATH"] = instance
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lms import create_app
    from lms.accounts.services import register
    from lms.assessment import banks
    from lms.assessment.models import Quiz, QuizSection
    from lms.catalog import services as catalog
    from lms.catalog.models import Course, Lesson, Module
    from lms.extensions import db
    from lms.loading import load_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024,
                                                                        "parallelism": 1}})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
        content = Path(instance) / "content" / "courses"
        content.mkdir(parents=True)
        (content / "framework.yaml").write_bytes((ROOT / "courses" / "framework.yaml").read_bytes())
        load_all(content.parent)
        gift = "$CATEGORY: $course$/top/TTM/D1/D1.1\n\n" + "\n\n".join(
            f"// [id:R-{n}] [tag:level-F]\n::R{n}::Question {n}: which route gives shares for IP? "
            "{=Capital contribution#Right ~Licence#No ~Assignment#No ~Joint R&D#No}" for n in range(QUESTIONS))
        bank = banks.get_or_create_bank("rush-en", "en")
        banks.import_questions(bank, banks.parse_questions(gift, "gift", "rush.gift"))
        course = Course(slug="rush", code="R1", title_en="Rush", level="F", hours=1, status="published")
        module = Module(key="m1", position=0, title_en="M1")
        course.modules = [module]
        db.session.add(course)
        db.session.flush()
        module.lessons = [Lesson(key="l1", position=0, course_id=course.id, title_en="L1", body_en="x", hours=1)]
        quiz = Quiz(course_id=course.id, key="rush", module_key="m1", title_en="Rush exam", time_limit_minutes=60,
                    shuffle_questions=True, shuffle_answers=True, attempts_allowed=1)
        quiz.sections = [QuizSection(position=0, bank="rush", idnumbers=[f"R-{n}" for n in range(QUESTIONS)])]
        db.session.add(quiz)
        for i in range(users):
            u = register(f"rush{i}@example.com", "rush-password-1", roles=("trainee",))
            catalog.enrol(u, course)
        db.session.commit()
        return quiz.public_id


def count_saved(url: str, instance: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from lms import create_app
    from lms.assessment.models import Attempt, AttemptItem
    from lms.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        saved = db.session.scalar(select(func.count()).select_from(AttemptItem).where(AttemptItem.response.is_not(None)))
        graded = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.state == "graded"))
        return saved, graded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--port", type=int, default=5099)
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean seconds a trainee spends on a question before its answer is saved (0 = flood)")
    ap.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, as lms serve runs, or sync)")
    ap.add_argument("--threads", type=int, default=1, help="threads per gthread worker (lms serve: 1)")
    ap.add_argument("--no-assets", dest="assets", action="store_false",
                    help="do not fetch the pages' stylesheet and script as a browser would (the fourth and fifth "
                         "sessions' figures were taken without them)")
    ap.add_argument("--profile", metavar="PREFIX", default=None,
                    help="sample one worker with py-spy: PREFIX-start.txt for the start wave, PREFIX-save.txt after it "
                         "(collapsed stacks)")
    args = ap.parse_args()
    instance = tempfile.mkdtemp(prefix="lms-rush-")
    url = args.database_url or f"sqlite:///{instance}/rush.sqlite3"
    quiz_id = setup(url, args.users, instance)
    env = {**os.environ, "LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": instance}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{args.port}", "--workers",
                               str(args.workers), "--log-level", "warning", "--backlog", "2048", "--worker-class", args.worker_class,
                               "--threads", str(args.threads) if args.worker_class == "gthread" else "1", "lms.wsgi:app"],
                              env=env, cwd=str(ROOT))
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        clients = [Client(args.port, args.assets) for _ in range(args.users)]
        tokens = {}

        def prepare(i):
            c = clients[i]
            _, html, _ = c.request("GET", "/login")
            c.form("/login", {"csrf_token": token(html), "email": f"rush{i}@example.com", "password": "rush-password-1"})
            _, html, _ = c.page(f"/quizzes/{quiz_id}")
            tokens[i] = token(html)

        run_threads(prepare, args.users, 32)
        timings = {"start": [], "first page": [], "save": [], "submit": [], "save_sent": []}
        errors: list[str] = []
        sent = [0]
        lock = threading.Lock()
        barrier = threading.Barrier(args.users)
        wave = {"left": args.users, "cpu": None, "pg": None, "t": None, "me": None}

        spy = {}

        def profile(phase: str) -> None:
            """Stop the running py-spy sampler (it writes its file on SIGINT) and start one for ``phase``."""
            if not args.profile:
                return
            if spy.get("p"):
                spy["p"].send_signal(signal.SIGINT)
                spy["p"].wait(30)
            if phase:
                worker = min(pid for pid, ppid, _, _ in proc_stats() if ppid == server.pid)
                spy["p"] = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking",
                                             "--rate", "200", "--format", "raw", "--pid", str(worker),
                                             "--output", f"{args.profile}-{phase}.txt"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)

        def page_loaded():
            """Called when a trainee's first page arrived: the last one closes the start wave."""
            with lock:
                wave["left"] -= 1
                if wave["left"] == 0:
                    wave.update(cpu=worker_cpu(server.pid), pg=postgres_cpu(), t=time.perf_counter(), me=time.process_time())
                    threading.Thread(target=profile, args=("save",)).start()

        def trainee(i):
            c = clients[i]
            barrier.wait()
            time.sleep(i / args.users)                  # all starts spread over one second
            t = time.perf_counter()
            status, _, headers = c.form(f"/quizzes/{quiz_id}/start", {"csrf_token": tokens[i]})
            dt = time.perf_counter() - t
            if status != 302 or "/attempts/" not in headers.get("Location", ""):
                with lock:
                    errors.append(f"start {status}")
                page_loaded()
                return
            attempt_path = urllib.parse.urlsplit(headers["Location"]).path
            _, html, _ = c.page(attempt_path)
            first_page = time.perf_counter() - t
            page_loaded()
            tok = token(html)
            positions = [int(p) for p in re.findall(r'data-position="(\d+)"', html)]
            local = {"start": [dt], "first page": [first_page], "save": [], "submit": [], "save_sent": []}
            rng = random.Random(i)
            for pos in positions:
                if args.think:
                    time.sleep(args.think * rng.uniform(0.5, 1.5))
                body = json.dumps({"position": pos, "response": "0"})
                t = time.perf_counter()
                status, data, _ = c.request("POST", attempt_path + "/answer", body,
                                            {"Content-Type": "application/json", "X-CSRFToken": tok})
                local["save"].append(time.perf_counter() - t)
                local["save_sent"].append(t)
                with lock:
                    sent[0] += 1
                    if status != 200 or '"saved":true' not in data.replace(" ", ""):
                        errors.append(f"save {status}")
            t = time.perf_counter()
            status, _, _ = c.form(attempt_path + "/submit", {"csrf_token": tok})
            local["submit"].append(time.perf_counter() - t)
            with lock:
                if status != 302:
                    errors.append(f"submit {status}")
                for k, v in local.items():
                    timings[k].extend(v)

        profile("start")
        cpu0, pg0, self0 = worker_cpu(server.pid), postgres_cpu(), time.process_time()
        wall = time.perf_counter()
        run_threads(trainee, args.users, args.users)
        profile("")
        cpu1, pg1, self1 = worker_cpu(server.pid), postgres_cpu(), time.process_time()
        wave_s = wave["t"] - wall if wave["t"] else float("nan")
        wall = time.perf_counter() - wall
    finally:
        server.terminate()
        server.wait(10)
    saved, graded = count_saved(url, instance)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    lines = [f"exam rush, {dialect}, {args.users} trainees x {QUESTIONS} questions, gunicorn {args.workers} "
             f"{args.worker_class} workers{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''}, think time {args.think:g} s (wall {wall:.1f} s)"]
    for op in ("start", "first page", "save", "submit"):
        v = timings[op]
        lines.append(f"  {op:<10} n={len(v):<6} p50 {pct(v, 50):7.1f} ms  p95 {pct(v, 95):7.1f} ms  p99 {pct(v, 99):7.1f} ms")
    if wave["t"]:
        later = [d for d, sent_at in zip(timings["save"], timings["save_sent"], strict=True) if sent_at > wave["t"]]
        lines.append(f"  saves sent after the start wave: n={len(later):<6} p50 {pct(later, 50):7.1f} ms  "
                     f"p95 {pct(later, 95):7.1f} ms  p99 {pct(later, 99):7.1f} ms")
    errors += [e for c in clients for e in c.asset_errors]
    lines.append(f"  errors: {len(errors)} {sorted(set(errors))[:5]}")
    if wave["cpu"] is not None:
        lines.append(f"  start wave (every start and first page served) took {wave_s:.1f} s: workers' CPU "
                     f"{(wave['cpu'] - cpu0) / args.users * 1000:.1f} ms per trainee (start, attempt page and its assets), "
                     f"PostgreSQL {(wave['pg'] - pg0) / args.users * 1000:.1f} ms, load generator {(wave['me'] - self0) / args.users * 1000:.1f} ms")
        later = len(timings["save"]) + len(timings["submit"])
        lines.append(f"  after it: workers' CPU {(cpu1 - wave['cpu']) / max(later, 1) * 1000:.2f} ms per save or submit "
                     f"({later} requests), PostgreSQL {(pg1 - wave['pg']) / max(later, 1) * 1000:.2f} ms; "
                     f"load generator {(self1 - self0) / wall:.2f} cores on average")
    lines.append(f"  stylesheet and script requests: {sum(c.asset_requests for c in clients)} "
                 f"({'fetched as a browser does' if args.assets else 'not fetched: --no-assets'})")
    lines.append(f"  answers sent {sent[0]}, saved in the database {saved}, lost {sent[0] - saved}; "
                 f"graded attempts {graded}/{args.users}")
    print("\n".join(lines))


def run_threads(fn, n: int, width: int) -> None:
    threads = []
    sem = threading.Semaphore(width)

    def wrap(i):
        with sem:
            try:
                fn(i)
            except Exception as exc:  # report and keep going
                print(f"trainee {i}: {type(exc).__name__}: {exc}", file=sys.stderr)
    for i in range(n):
        t = threading.Thread(target=wrap, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
