"""Benchmark: a real exam's pace (issue 17), and the flood. One asyncio client (aiohttp) plays N trainees against
gunicorn on PostgreSQL (or SQLite), on the same machine.

    .venv/bin/python bench/exam_cohort.py --database-url postgresql+psycopg://lms:lms@127.0.0.1/lms_bench
    .venv/bin/python bench/exam_cohort.py --database-url URL --sizes 1000,1500,2000   # the largest cohort that meets the targets
    .venv/bin/python bench/exam_cohort.py --database-url URL --flood                  # 300 starts within one second
    .venv/bin/python bench/exam_cohort.py --database-url URL --quick                  # 100 trainees, about a minute

The exam: the shipped F1 course with one 12-question exam drawn from its real bank (multiple choice, multiple
response, true/false, matching; 3 questions per module), 45 minutes, one attempt. Set-up (not timed): a fresh
schema (`lms init`), the content (`lms load --path`), N trainees registered and enrolled, each signed in through
the app in process with cheap argon2 parameters (the password hashes are made cheap too, so nothing is re-hashed);
each trainee's client gets its signed session cookie, which the server under test (same LMS_SECRET_KEY) accepts.

The run: trainees arrive uniformly over --spread seconds (60), open the quiz page (which draws their attempt),
read it for 2-6 s and press Start. "start" is what they then wait for: the start (a redirect) and the attempt page
with any stylesheet or script the browser's cache does not hold (Cache-Control honoured, as a browser does).
Each then answers one question every --think seconds on average (20; exponential, i.e. a Poisson process, its
moments independent of how fast the server answers, though a trainee waits for a save before the next), for at
most --window seconds (240, the bench's time limit, so that a run lasts about 5 minutes; about half the cohort
answers all 12 questions before it and submits early), sometimes changing an earlier answer (10%), flagging the
question (15%) and unflagging one (5%), and sometimes reloading the attempt page (10%); the page's clock is
polled as its script does (first after 20-60 s, then every 50-70 s). At the end: the summary page, Submit, the
review page. "page" is every page move (attempt page reloads, summary, review). Saves, flags and submits are
retried once, as a browser retries a request its kept-alive connection dropped, and counted.

Answers lost: after the run, every answer the server acknowledged ({"saved": true}) is compared with what the
database holds for that attempt and question; any difference is a lost answer.

Targets (issue 17, PostgreSQL, 2 cores, load generator on the same cores): p95 start < 300 ms, save < 100 ms,
submit < 300 ms, 0 errors, 0 answers lost. The flood (--flood: 300 trainees, the quiz pages loaded first, then
every Start within one second, one answer a second on average) has no latency target.

gunicorn runs as the README's production section does: 4 gthread workers with one thread each (--workers,
--threads). The last line of the output is `BENCH-JSON {...}` for bench/compare.py.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from verify_json import free_port, postgres_cpu, worker_cpu  # noqa: E402  (the same /proc accounting)

COURSE, QUIZ_KEY, BANK = "f1-system-policy-ethics", "cohort-exam", "f1-system-policy-ethics"
MODULES = ("m1-system", "m2-law-policy", "m3-contracts", "m4-ethics")
PASSWORD = "cohort-password-1"
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
TARGETS_MS = {"start": 300.0, "save": 100.0, "submit": 300.0}
OPS = ("quiz page", "start", "start POST", "save", "flag", "page", "clock", "submit")
ASSET_RE = re.compile(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"')
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
QUIZ_YAML = """title: {en: "Cohort exam (benchmark)", zh: "批次考试（基准测试）"}
intro:
  en: "Twelve questions, three from each module, drawn at random."
  zh: "从每个模块随机抽取三道题，共十二道。"
required: false
time_limit_minutes: 45
attempts: 1
grading: highest
pass_mark: 60
shuffle_questions: true
shuffle_answers: true
review: {feedback: after_submit, answers: after_submit}
sections:
""" + "".join(f"  - {{bank: {BANK}, draw: 3, tag: module-{m}}}\n" for m in MODULES)


# ---------------------------------------------------------------- set-up (not timed)

def write_content(root: Path) -> Path:
    """The framework, the F1 course with one exam instead of its quizzes, and F1's question banks."""
    content = root / "content"
    course = content / "courses" / COURSE
    shutil.copytree(ROOT / "courses" / COURSE, course, ignore=shutil.ignore_patterns("quizzes"))
    (course / "quizzes").mkdir()
    (course / "quizzes" / f"{QUIZ_KEY}.yaml").write_text(QUIZ_YAML, encoding="utf-8")
    shutil.copy(ROOT / "courses" / "framework.yaml", content / "courses" / "framework.yaml")
    (content / "question_banks").mkdir()
    for gift in (ROOT / "question_banks").glob(f"{BANK}.*.gift"):
        shutil.copy(gift, content / "question_banks" / gift.name)
    return content


def lms_command(env: dict, *args: str) -> None:
    """The `lms` command of the code under test (its console script may not be installed in a shared venv)."""
    done = subprocess.run([sys.executable, "-c", "import sys; from lms.cli import main; sys.argv[0] = 'lms'; main()",
                           *args], env=env, cwd=str(ROOT), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"set-up: lms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def setup(url: str, trainees: int, instance: Path, env: dict) -> tuple[str, str, list[str]]:
    """A fresh database with the exam and `trainees` enrolled trainees, each signed in: (quiz public id, the
    session cookie's name, each trainee's session cookie value)."""
    from sqlalchemy import create_engine, select, text
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    lms_command(env, "init")
    lms_command(env, "load", "--path", str(write_content(instance)))
    os.environ.update(env)
    from lms import create_app
    from lms.accounts.services import register
    from lms.catalog import services as catalog
    from lms.catalog.models import Course
    from lms.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["LMS_SECRET_KEY"], "ARGON2_PARAMS": CHEAP_ARGON2})
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        for i in range(trainees):
            catalog.enrol(register(f"cohort{i}@example.com", PASSWORD, roles=("trainee",)), course)
        db.session.commit()
        quiz_id = db.session.execute(text("SELECT q.public_id FROM quizzes q JOIN courses c ON c.id = q.course_id "
                                          "WHERE c.slug = :c AND q.key = :k"), {"c": COURSE, "k": QUIZ_KEY}).scalar_one()
        db.session.remove()
        db.engine.dispose()
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = []
    for i in range(trainees):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        reply = client.post("/login", data={"csrf_token": token(page), "email": f"cohort{i}@example.com",
                                            "password": PASSWORD})
        cookie = client.get_cookie(name)
        if reply.status_code != 302 or cookie is None:
            raise SystemExit(f"set-up: trainee {i} could not sign in ({reply.status_code})")
        cookies.append(cookie.value)
    return quiz_id, name, cookies


def saved_answers(url: str) -> dict[str, dict[int, object]]:
    """What the database holds: {attempt public id: {position: response}} for every answered item."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    out: dict[str, dict[int, object]] = {}
    with engine.connect() as conn:
        for public_id, position, response in conn.execute(text(
                "SELECT a.public_id, i.position, CAST(i.response AS TEXT) FROM attempt_items i JOIN attempts a ON a.id = i.attempt_id "
                "WHERE i.response IS NOT NULL")):
            out.setdefault(public_id, {})[position] = json.loads(response)
    engine.dispose()
    return out


def token(page: str) -> str:
    m = TOKEN_RE.search(page)
    return m.group(1) or m.group(2)


# ---------------------------------------------------------------- one trainee's browser

class Browser:
    """A trainee's browser: its cookies, its cache of the stylesheet and script, its timings and errors."""

    def __init__(self, run: Run, n: int, cookie: str):
        self.run, self.n = run, n
        self.cookies = {run.cookie_name: cookie}
        self.assets: dict[str, tuple[str | None, float]] = {}      # address: (ETag, fresh until)
        self.rng = random.Random(n)
        self.quiz_page = ""

    async def request(self, method: str, path: str, *, op: str | None = None, retry: bool = False,
                      **kw) -> tuple[int, str, dict]:
        """One request, timed under ``op``; a dropped kept-alive connection is retried once when ``retry``."""
        import aiohttp
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **kw.pop("headers", {})}
        t = time.perf_counter()
        for attempt in range(2 if retry else 1):
            try:
                async with self.run.session.request(method, f"{self.run.base}{path}", headers=headers,
                                                    allow_redirects=False, **kw) as resp:
                    body = await resp.text()
                    break
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if attempt or not retry:
                    self.run.error(op or path, type(exc).__name__)
                    return 0, "", {}
                self.run.retries += 1
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.run.error(op or path, type(exc).__name__)
                return 0, "", {}
        for value in resp.headers.getall("Set-Cookie", []):
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if op:
            self.run.timed(op, time.perf_counter() - t)
        return resp.status, body, dict(resp.headers)

    async def page(self, path: str, op: str | None = "page") -> tuple[int, str]:
        """GET a page, then the stylesheet and script the cache does not hold fresh (both at once)."""
        t = time.perf_counter()
        status, body, _ = await self.request("GET", path)
        now = time.monotonic()
        wanted = {a or b for a, b in ASSET_RE.findall(body)}
        await asyncio.gather(*(self.asset(url) for url in wanted if self.assets.get(url, (None, 0.0))[1] <= now))
        if op:
            self.run.timed(op, time.perf_counter() - t)
        if status != 200:
            self.run.error(op or "page", status)
        return status, body

    async def asset(self, url: str) -> None:
        etag = self.assets.get(url, (None, 0.0))[0]
        status, _, h = await self.request("GET", url, headers={"If-None-Match": etag} if etag else {})
        self.run.asset_requests += 1
        if status not in (200, 304):
            self.run.error("asset", status)
        cc = h.get("Cache-Control", "")
        m = re.search(r"max-age=(\d+)", cc)
        fresh = time.monotonic() + int(m.group(1)) if m and "no-cache" not in cc else 0.0
        self.assets[url] = (h.get("ETag") or etag, fresh)

    async def json_post(self, path: str, payload: dict, op: str, csrf: str) -> bool:
        status, body, _ = await self.request("POST", path, op=op, retry=True, data=json.dumps(payload),
                                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
        ok = status == 200 and '"saved":true' in body.replace(" ", "")
        if not ok and status:
            self.run.error(op, status)
        return ok

    async def form_post(self, path: str, fields: dict, op: str | None) -> tuple[int, dict]:
        status, _, headers = await self.request("POST", path, op=op, retry=True, data=fields)
        return status, headers


# ---------------------------------------------------------------- the exam, as one trainee sits it

class QuestionFields(HTMLParser):
    """The answer fields of each question on an attempt page, read by the fields' names and types as a browser's
    form is (not by the markup's layout, attributes or question types): {position: fields}."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: dict[int, dict] = {}
        self.current: int | None = None
        self.options: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "fieldset" and (a.get("data-position") or "").isdigit():
            self.current = int(a["data-position"])
            self.questions[self.current] = {"radio": [], "checkbox": [], "selects": {}, "text": False}
        elif self.current is not None and tag in ("select", "option"):
            self.matching(self.questions[self.current], tag, a)
        elif self.current is not None and a.get("name") == f"q{self.current}":
            self.answer_field(self.questions[self.current], tag, a.get("type") or "text", a.get("value") or "")

    def matching(self, q: dict, tag: str, a: dict) -> None:
        """A matching question's row (a select named q<position>-<row>) and its choices."""
        row = (a.get("name") or "").removeprefix(f"q{self.current}-")
        if tag == "select" and row.isdigit() and row != a.get("name"):
            self.options = q["selects"].setdefault(int(row), [])
        elif tag == "option" and self.options is not None and a.get("value"):
            self.options.append(a["value"])

    @staticmethod
    def answer_field(q: dict, tag: str, kind: str, value: str) -> None:
        """A field named q<position>: a radio or check box (its value), or a text."""
        if tag == "input" and kind in ("radio", "checkbox"):
            q[kind].append(value)
        elif tag == "textarea" or tag == "input" and kind == "text":
            q["text"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.options = None
        elif tag == "fieldset":
            self.current = None


def questions(page: str) -> list[tuple[int, dict]]:
    """(position, answer fields) of each question that takes an answer, in the page's order."""
    reader = QuestionFields()
    reader.feed(page)
    return [(pos, q) for pos, q in reader.questions.items()
            if q["radio"] or q["checkbox"] or q["selects"] or q["text"]]


def answer_for(rng: random.Random, q: dict):
    """(what the page's script sends, what the database then holds) for a random answer to the question."""
    if q["checkbox"]:                                     # multiple response: the indexes of the options ticked
        picked = sorted(rng.sample(q["checkbox"], rng.randint(1, len(q["checkbox"]))), key=int)
        return picked, [int(v) for v in picked]
    if sorted(q["radio"]) == ["false", "true"]:
        v = rng.choice(q["radio"])
        return v, v == "true"
    if q["radio"]:                                        # one option: its index
        v = rng.choice(q["radio"])
        return v, int(v)
    if q["selects"]:                                      # matching: one choice per row
        sent = {str(i): rng.choice(q["selects"][i]) for i in sorted(q["selects"]) if q["selects"][i]}
        return sent, sent
    text = f"answer {rng.randint(0, 10**6)}"
    return text, text


async def sit(b: Browser, arrive: float, start_at: float | None) -> None:
    """One trainee: the quiz page, Start, the answers at the exam's pace, flags and page moves, Submit."""
    run, rng = b.run, b.rng
    quiz = f"/quizzes/{run.quiz_id}"
    if start_at is None:                                  # a real exam: arrive, read the quiz page, press Start
        await run.sleep_until(arrive)
        _, page = await b.page(quiz, "quiz page")
        await asyncio.sleep(rng.uniform(2, 6) * run.scale)
    else:                                                 # the flood: the quiz page was loaded before the wave
        page = b.quiz_page
        await run.sleep_until(start_at)
    t = time.perf_counter()
    status, headers = await b.form_post(f"{quiz}/start", {"csrf_token": token(page)}, "start POST")
    location = headers.get("Location", "")
    if status != 302 or "/attempts/" not in location:
        run.error("start", status)
        return
    attempt = "/attempts/" + location.rsplit("/attempts/", 1)[1].split("?")[0].split("#")[0]
    status, page = await b.page(attempt, None)
    run.timed("start", time.perf_counter() - t)
    if status != 200:
        run.error("start", status)
        return
    csrf, items = token(page), questions(page)
    clock = asyncio.create_task(poll_clock(b, attempt))
    acknowledged = run.acknowledged.setdefault(attempt.rsplit("/", 1)[1], {})
    await answer_questions(b, attempt, csrf, items, acknowledged, time.monotonic() + run.window)
    clock.cancel()
    await b.page(f"{attempt}/summary")
    status, headers = await b.form_post(f"{attempt}/submit", {"csrf_token": csrf}, "submit")
    if status != 302:
        run.error("submit", status)
        return
    run.submitted += 1
    await b.page(urlpath(headers.get("Location", f"{attempt}/review")))


async def answer_questions(b: Browser, attempt: str, csrf: str, items: list, acknowledged: dict, deadline: float):
    """The answers as a Poisson process: each one's moment is drawn from the last one's moment, not from when the
    server answered it, so that a slow server does not slow the trainees down (it still gets the same pace)."""
    run, rng = b.run, b.rng
    todo = items
    flagged: set[int] = set()
    done = 0
    next_at = time.monotonic()
    while done < len(todo):
        next_at += rng.expovariate(1 / run.think)
        if next_at > deadline:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            return
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if done and rng.random() < 0.10:                  # changes an earlier answer
            pos, fields = rng.choice(todo[:done])
        else:
            pos, fields = todo[done]
            done += 1
        sent, stored = answer_for(rng, fields)
        run.sent += 1
        if await b.json_post(f"{attempt}/answer", {"position": pos, "response": sent}, "save", csrf):
            acknowledged[pos] = stored
        if rng.random() < 0.15 and pos not in flagged:
            flagged.add(pos)
            await b.json_post(f"{attempt}/flag", {"position": pos, "flagged": True}, "flag", csrf)
        elif flagged and rng.random() < 0.05:
            pos = flagged.pop()
            await b.json_post(f"{attempt}/flag", {"position": pos, "flagged": False}, "flag", csrf)
        if rng.random() < 0.10:                           # back to the attempt page (e.g. from another tab)
            await b.page(attempt)


async def poll_clock(b: Browser, attempt: str) -> None:
    """As the page's script does: first after 20-60 s, then every 50-70 s."""
    await asyncio.sleep(b.rng.uniform(20, 60) * b.run.scale)
    while True:
        status, _, _ = await b.request("GET", f"{attempt}/clock", op="clock")
        if status != 200:
            b.run.error("clock", status)
        await asyncio.sleep(b.rng.uniform(50, 70) * b.run.scale)


def urlpath(location: str) -> str:
    return "/" + location.split("://", 1)[-1].split("/", 1)[1] if "://" in location else location


# ---------------------------------------------------------------- the run

class Run:
    def __init__(self, base: str, quiz_id: str, cookie_name: str, think: float, window: float, flood: bool):
        self.base, self.quiz_id, self.cookie_name = base, quiz_id, cookie_name
        # the reading before Start and the clock's polls follow a shortened exam (--quick), not the flood's pace
        self.think, self.window, self.scale = think, window, 1.0 if flood else think / 20
        self.timings: dict[str, list[float]] = {op: [] for op in OPS}
        self.errors: dict[str, int] = {}
        self.acknowledged: dict[str, dict[int, object]] = {}
        self.sent = self.submitted = self.retries = self.asset_requests = 0
        self.t0 = time.monotonic()
        self.session = None

    def timed(self, op: str, seconds: float) -> None:
        self.timings[op].append(seconds)

    def error(self, op: str, what) -> None:
        key = f"{op} {what}"
        self.errors[key] = self.errors.get(key, 0) + 1

    async def sleep_until(self, offset: float) -> None:
        await asyncio.sleep(max(0.0, self.t0 + offset - time.monotonic()))


async def drive(run: Run, cookies: list[str], spread: float, flood: bool) -> None:
    import aiohttp
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.0)    # gunicorn keeps idle connections 2 s
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        run.session = session
        browsers = [Browser(run, i, c) for i, c in enumerate(cookies)]
        rng = random.Random(0)
        if flood:                                        # the quiz pages first, 32 at a time, untimed
            gate = asyncio.Semaphore(32)

            async def open_quiz(b: Browser) -> None:
                async with gate:
                    b.quiz_page = (await b.page(f"/quizzes/{run.quiz_id}", None))[1]
            await asyncio.gather(*(open_quiz(b) for b in browsers))
            run.t0 = time.monotonic()
            await asyncio.gather(*(sit(b, 0, i * spread / len(browsers)) for i, b in enumerate(browsers)))
        else:
            run.t0 = time.monotonic()
            await asyncio.gather(*(sit(b, rng.uniform(0, spread), None) for b in browsers))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000 if values else float("nan")


def lost_answers(acknowledged: dict, stored: dict) -> int:
    return sum(1 for att, answers in acknowledged.items() for pos, value in answers.items()
               if stored.get(att, {}).get(pos) != value)


def one_run(args, trainees: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="lms-cohort-"))
    url = args.database_url or f"sqlite:///{instance}/cohort.sqlite3"
    env = {**os.environ, "LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(instance), "LMS_SECRET_KEY": secrets.token_hex(32),
           "LMS_KEYS_DIR": str(instance / "keys")}
    t = time.perf_counter()
    quiz_id, cookie_name, cookies = setup(url, trainees, instance, env)
    setup_s = time.perf_counter() - t
    port = args.port or free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                               "--worker-class", "gthread", "--threads", str(args.threads), "--backlog", "2048",
                               "--log-level", "warning", "lms.wsgi:app"], env=env, cwd=str(ROOT))
    try:
        wait_ready(port)
        run = Run(f"http://127.0.0.1:{port}", quiz_id, cookie_name, args.think, args.window, args.flood)
        cpu0, pg0, me0, wall = worker_cpu(server.pid), postgres_cpu(), time.process_time(), time.perf_counter()
        asyncio.run(drive(run, cookies, args.spread, args.flood))
        wall = time.perf_counter() - wall
        # PostgreSQL's: of its processes alive at both ends (a backend that ended takes its time with it)
        cpu = {"workers": (worker_cpu(server.pid) - cpu0) / wall, "postgres": max(0.0, postgres_cpu() - pg0) / wall,
               "load generator": (time.process_time() - me0) / wall}
    finally:
        server.terminate()
        server.wait(15)
    stored = saved_answers(url)
    shutil.rmtree(instance, ignore_errors=True)
    ops = {op: {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95), "p99": pct(v, 99)} for op, v in run.timings.items()}
    acknowledged = sum(len(a) for a in run.acknowledged.values())
    result = {"kind": "flood" if args.flood else "exam", "trainees": trainees, "wall": wall, "setup": setup_s, "ops": ops,
              "errors": sum(run.errors.values()), "error_kinds": run.errors, "sent": run.sent, "acknowledged": acknowledged,
              "lost": lost_answers(run.acknowledged, stored), "submitted": run.submitted, "retries": run.retries,
              "assets": run.asset_requests, "cpu": cpu,
              "gunicorn": f"{args.workers} gthread workers x {args.threads} threads",
              "database": "postgresql" if url.startswith("postgresql") else "sqlite"}
    result["met"] = None if args.flood else all(
        [ops[op]["p95"] < limit for op, limit in TARGETS_MS.items()] + [result["errors"] == 0, result["lost"] == 0])
    return result


def wait_ready(port: int) -> None:
    import http.client
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}")


def report(r: dict, args) -> str:
    head = ("flood: every Start within one second, then one answer a second on average" if r["kind"] == "flood" else
            f"exam cohort: arrivals over {args.spread:g} s, one answer every {args.think:g} s on average, "
            f"window {args.window:g} s")
    lines = [f"{head}; {r['database']}, {r['trainees']} trainees, gunicorn {r['gunicorn']} "
             f"(set-up {r['setup']:.0f} s, run {r['wall']:.0f} s)"]
    for op in OPS:
        v = r["ops"][op]
        target = f"   target p95 < {TARGETS_MS[op]:g} ms" if op in TARGETS_MS and r["kind"] == "exam" else ""
        lines.append(f"  {op:<10} n={v['n']:<6} p50 {v['p50']:7.1f} ms  p95 {v['p95']:7.1f} ms  p99 {v['p99']:7.1f} ms{target}")
    lines.append(f"  errors: {r['errors']} {dict(sorted(r['error_kinds'].items())[:6])}; retried after a dropped connection: "
                 f"{r['retries']}; stylesheet and script requests: {r['assets']}")
    lines.append(f"  answers sent {r['sent']}, acknowledged {r['acknowledged']} (last per question), lost {r['lost']}; "
                 f"submitted {r['submitted']}/{r['trainees']}")
    lines.append("  cores busy on average: " + ", ".join(f"{k} {v:.2f}" for k, v in r["cpu"].items()))
    if r["met"] is not None:
        lines.append(f"  targets (p95 start < 300 ms, save < 100 ms, submit < 300 ms, 0 errors, 0 lost): "
                     f"{'met' if r['met'] else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trainees", type=int, default=None, help="cohort size (1000; --flood 300; --quick 100)")
    ap.add_argument("--sizes", default=None, help="comma-separated cohort sizes, run in turn; reports the largest "
                                                  "that meets the targets (e.g. 1000,1500,2000)")
    ap.add_argument("--spread", type=float, default=None, help="seconds over which trainees arrive (60; --flood 1)")
    ap.add_argument("--think", type=float, default=None, help="mean seconds between two answers (20; --flood 1)")
    ap.add_argument("--window", type=float, default=None, help="seconds each trainee answers before submitting (240)")
    ap.add_argument("--flood", action="store_true", help="300 starts within one second, no latency target")
    ap.add_argument("--quick", action="store_true", help="100 trainees over 15 s, one answer every 4 s, 45 s window")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn gthread workers (README production: 4)")
    ap.add_argument("--threads", type=int, default=1, help="threads per worker (README production: 1)")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is dropped); "
                                                          "default a temporary SQLite file")
    ap.add_argument("--port", type=int, default=None)
    args = ap.parse_args()
    preset = ({"trainees": 300, "spread": 1.0, "think": 1.0, "window": 60.0} if args.flood else
              {"trainees": 100, "spread": 15.0, "think": 4.0, "window": 45.0} if args.quick else
              {"trainees": 1000, "spread": 60.0, "think": 20.0, "window": 240.0})
    if args.flood and args.quick:
        preset["trainees"] = 100
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.trainees]
    results = []
    for n in sizes:
        results.append(one_run(args, n))
        print(report(results[-1], args), flush=True)
    out = dict(results[0])
    if len(sizes) > 1:
        met = [r["trainees"] for r in results if r["met"]]
        out = {**results[0], "runs": results, "largest_met": max(met) if met else None}     # the figures: the first size
        print(f"largest cohort that met the targets: {out['largest_met'] or 'none of ' + args.sizes}")
    print("BENCH-JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
