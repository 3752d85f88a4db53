"""Benchmark: the CPU of rendering the bare layout (base.html: head, header, flashes, footer) for a signed-in
trainee, inside a request, without the database's round trips of a real page. Lower bound of what every page
pays for its frame.

    .venv/bin/python bench/layout_render.py [--rounds 7] [--renders 300]

Prints the best and the median round (CPU per render). Run it from another checkout to compare commits:
    (cd OTHER && /path/to/.venv/bin/python bench/layout_render.py)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--renders", type=int, default=300)
    args = ap.parse_args()
    instance = tempfile.mkdtemp(prefix="lms-layout-")
    os.environ["LMS_INSTANCE_PATH"] = instance
    from flask import render_template
    from flask_login import login_user
    from flask_migrate import upgrade

    from lms import create_app
    from lms.accounts.models import User
    from lms.accounts.services import register
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/layout.sqlite3"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        uid = register("layout@example.com", "layout-password-1", roles=("trainee",), name_latin="Layout Bench").id
        db.session.commit()
    rounds = []
    for _ in range(args.rounds):
        t = time.process_time()
        for _ in range(args.renders):
            with app.test_request_context("/dashboard"):
                login_user(db.session.get(User, uid))
                render_template("base.html")
        rounds.append((time.process_time() - t) / args.renders * 1000)
    rounds.sort()
    print(f"layout render in a request ({ROOT.name}): best {rounds[0]:.2f} ms, median {rounds[len(rounds) // 2]:.2f} ms "
          f"per render ({args.rounds} rounds x {args.renders})")


if __name__ == "__main__":
    main()
