"""Signing and refusing, in one process (CPU time): ``signing.sign`` on credentials of the shipped programmes, and
``check_bounds`` + ``signing.verify`` on the crafted 2 KB document of tests/credentials/test_verification.py.

    .venv/bin/python bench/canonicalisation.py [ROOT]     # ROOT: another checkout to measure (e.g. the old code)

Credentials are built by bench/issuance.py's steps once and kept in /tmp/lms-bench-credentials.json.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
CACHE = Path("/tmp/lms-bench-credentials.json")


def credentials() -> list[dict]:
    if CACHE.exists():
        return json.loads(CACHE.read_text())
    import tempfile

    from lms import create_app
    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'b.sqlite3'}", "LMS_OUTBOX": tmp / "outbox",
                      "LMS_KEYS_DIR": tmp / "keys",
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    with app.app_context(), app.test_request_context():
        from flask_migrate import upgrade
        from sqlalchemy import select

        from lms.accounts.services import register
        from lms.config import REPO_ROOT
        from lms.credentials import keys
        from lms.credentials import services as svc
        from lms.credentials.models import Credential, Programme
        from lms.extensions import db
        from lms.loading import load_all
        upgrade(directory=app.extensions["migrate"].directory)
        load_all(REPO_ROOT)
        keys.create_key()
        out = []
        for prog in list(db.session.scalars(select(Programme))):
            user = register(f"b-{prog.key}@example.com", "bench-password-1", roles=("trainee",),
                            name_latin="Trainee X", name_zh="张伟")
            cred = Credential(holder=user, programme=prog, state="pending")
            db.session.add(cred)
            db.session.commit()
            svc.issue(cred)
            db.session.commit()
            out.append(json.loads(cred.signed_json))
    CACHE.write_text(json.dumps(out, ensure_ascii=False))
    return out


def main() -> None:
    docs = [{k: v for k, v in d.items() if k != "proof"} for d in credentials()]
    from lms.credentials import signing
    from tests.credentials.test_verification import crafted
    key = signing.generate_key()
    for d in docs:
        signing.sign(d, key, "did:web:x#k", "2026-01-01T00:00:00Z")
    rounds = []
    for _ in range(5):
        start = time.process_time()
        for i in range(10):
            for d in docs:
                signing.sign(d, key, "did:web:x#k", f"2026-01-01T00:00:{i:02d}Z")
        rounds.append((time.process_time() - start) / (10 * len(docs)) * 1000)
    print(f"{ROOT}: sign, CPU per credential: best {min(rounds):.1f} ms, median {sorted(rounds)[2]:.1f} ms")
    bomb = crafted(9)
    times = []
    for _ in range(20):
        start = time.process_time()
        signing.check_bounds(bomb)
        result = signing.verify(bomb, lambda m: key.public_key())
        times.append(time.process_time() - start)
    print(f"crafted document ({len(json.dumps(bomb))} bytes): {result.errors[0]}; "
          f"CPU median {sorted(times)[10] * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
