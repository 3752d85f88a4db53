"""Benchmark: import 10,000 GIFT questions (parse + store) into a fresh SQLite database.

    .venv/bin/python bench/gift_import.py [--count 10000] [--database-url URL]

Target (issues 3 and 17): under 5 s. Prints the parse time, the import time and the total; the last line is
`BENCH-JSON {...}` for bench/compare.py.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
TARGET_S = 5.0


def make_gift(count: int) -> str:
    kinds = [
        "::Q{n}::Which route turns patent {n} into shares? {{\n=Capital contribution#Right.\n~Licence#No.\n~Assignment#No.\n####Article 16.}}",
        "::Q{n}::A licence transfers ownership of patent {n}.{{F#A licence grants use.#Right.}}",
        "::Q{n}::Royalty rate for deal {n} (%)? {{#3:0.5}}",
        "::Q{n}::Who runs programme {n}? {{=Torch Centre =%50%MOST =%0%*#No}}",
        "::Q{n}::Match for case {n}. {{=Licence -> use =Assignment -> ownership = -> shares}}",
        "::Q{n}::Pick the requirements for patent {n}. {{~%50%Novelty ~%50%Inventive step ~%-100%Beauty}}",
    ]
    blocks = []
    for n in range(count):
        if n % 500 == 0:
            blocks.append(f"$CATEGORY: $course$/top/TTM/D{1 + (n // 500) % 8}/D{1 + (n // 500) % 8}.1")
        blocks.append(f"// [id:B-{n}] [tag:level-F] [tag:difficulty-2]\n" + kinds[n % len(kinds)].format(n=n))
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lms-bench-")
    os.environ["LMS_INSTANCE_PATH"] = tmp
    from lms import create_app
    from lms.assessment import banks
    from lms.config import REPO_ROOT
    from lms.extensions import db
    from lms.loading import load_all

    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    text = make_gift(args.count)
    with app.app_context():
        db.drop_all()
        db.create_all()
        # the framework, so that categories align with competencies as in production
        (Path(tmp) / "c" / "courses").mkdir(parents=True)
        (Path(tmp) / "c" / "courses" / "framework.yaml").write_bytes((REPO_ROOT / "courses" / "framework.yaml").read_bytes())
        load_all(Path(tmp) / "c")
        t0 = time.perf_counter()
        questions = banks.parse_questions(text, "gift", "bench.gift")
        t1 = time.perf_counter()
        bank = banks.get_or_create_bank("bench-en", "en")
        report = banks.import_questions(bank, questions, source="import")
        db.session.commit()
        t2 = time.perf_counter()
        print(f"questions: {len(questions)} ({len(text) / 1e6:.1f} MB of GIFT); {report.line()}")
        print(f"parse {t1 - t0:.2f} s, import {t2 - t1:.2f} s, total {t2 - t0:.2f} s "
              f"({db.engine.dialect.name})")
        print(f"target (issue 17): < {TARGET_S:g} s: {'met' if t2 - t0 < TARGET_S else 'NOT met'}")
        print("BENCH-JSON " + json.dumps({"kind": "gift", "count": len(questions), "parse": t1 - t0, "import": t2 - t1,
                                          "total": t2 - t0, "database": db.engine.dialect.name,
                                          "met": t2 - t0 < TARGET_S}))


if __name__ == "__main__":
    main()
