"""Benchmark: the CPU one exam request costs inside the app (Flask's test client, the whole WSGI stack, no
HTTP server, one request at a time), per kind: the quiz page (which draws the attempt ahead of time), start,
attempt page, autosave, submit. The steadier measure
beside bench/exam_rush.py, whose latencies depend on queueing.

    .venv/bin/python bench/exam_requests.py [--users 60] [--database-url URL] [--profile "quiz page"|start|page|save|submit]

Uses the same exam as the rush (40 questions, shuffled) and a fresh database (SQLite file by default; a
PostgreSQL database named by --database-url is emptied first). --profile prints cProfile's top entries for
one kind of request (wall time, so it includes waiting for the database).
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exam_rush  # noqa: E402  (its set-up: the exam, the trainees, their enrolments)

KINDS = ("quiz page", "start", "page", "save", "submit")     # the quiz page draws the attempt ahead of Start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--profile", choices=KINDS, default=None)
    args = ap.parse_args()
    instance = tempfile.mkdtemp(prefix="lms-requests-")
    url = args.database_url or f"sqlite:///{instance}/requests.sqlite3"
    quiz_id = exam_rush.setup(url, args.users, instance)
    os.environ["LMS_DATABASE_URL"] = url
    from lms import create_app
    app = create_app()
    trainees = []
    for i in range(args.users):
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"csrf_token": exam_rush.token(html), "email": f"rush{i}@example.com",
                                    "password": "rush-password-1"})
        trainees.append(client)
    gc.collect()
    gc.freeze()                          # as lms/wsgi.py does in each worker
    profiler = cProfile.Profile() if args.profile else None
    cpu = dict.fromkeys(KINDS, 0.0)
    count = dict.fromkeys(KINDS, 0)

    def timed(kind, request):
        if kind == args.profile:
            profiler.enable()
        t = time.process_time()
        response = request()
        cpu[kind] += time.process_time() - t
        count[kind] += 1
        if kind == args.profile:
            profiler.disable()
        return response

    for i, client in enumerate(trainees):
        html = timed("quiz page", lambda c=client: c.get(f"/quizzes/{quiz_id}")).get_data(as_text=True)
        trainees[i] = (client, exam_rush.token(html))
    attempts = []
    for client, tok in trainees:
        resp = timed("start", lambda c=client, t=tok: c.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": t}))
        assert resp.status_code == 302, resp.status_code
        path = urllib.parse.urlsplit(resp.headers["Location"]).path
        html = timed("page", lambda c=client, p=path: c.get(p)).get_data(as_text=True)
        attempts.append((client, path, exam_rush.token(html), [int(p) for p in re.findall(r'data-position="(\d+)"', html)]))
    for client, path, tok, positions in attempts:
        for pos in positions:
            resp = timed("save", lambda c=client, p=path, t=tok, n=pos: c.post(
                p + "/answer", data=json.dumps({"position": n, "response": "0"}),
                headers={"Content-Type": "application/json", "X-CSRFToken": t}))
            assert resp.status_code == 200 and resp.get_json()["saved"], resp.get_data()
        resp = timed("submit", lambda c=client, p=path, t=tok: c.post(p + "/submit", data={"csrf_token": t}))
        assert resp.status_code == 302, resp.status_code
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"exam requests in process, {dialect}, {args.users} trainees x {exam_rush.QUESTIONS} questions: CPU per request "
          + ", ".join(f"{k} {cpu[k] / max(count[k], 1) * 1000:.2f} ms (n={count[k]})" for k in KINDS))
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(40)


if __name__ == "__main__":
    main()
