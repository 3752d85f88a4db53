"""Measure: the CPU of the two checks that run before every request's view: the body-limit and sign-in hook
(lms/core/limits.py) and Flask-Limiter's own check (it looks for default limits; there are none), per kind of
request, in a request context with no view run (best of three loops of 20,000).

    .venv/bin/python bench/request_hooks.py
"""
import os
import tempfile
import time

os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp())
from flask import session

from lms import create_app
from lms.core import limits
from lms.extensions import limiter

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
N = 20000
for path, method, signed in (("/attempts/0123456789abcdef0123456789abcdef/answer", "POST", True),
                             ("/attempts/0123456789abcdef0123456789abcdef/save", "POST", True),
                             ("/courses", "GET", False), ("/api/v1/verify", "POST", False)):
    with app.test_request_context(path, method=method):
        if signed:
            session["_user_id"] = "0123456789abcdef0123456789abcdef:1"
        for name, fn in (("lms body/sign-in hook", limits._before_request), ("Flask-Limiter check", limiter._check_request_limit)):
            fn()
            best = None
            for _ in range(3):
                t = time.process_time()
                for _ in range(N):
                    fn()
                v = (time.process_time() - t) / N * 1e6
                best = v if best is None else min(best, v)
            print(f"{method:4} {path[-10:]:10} {'signed in' if signed else 'anonymous':9} {name:22} {best:.1f} µs")
