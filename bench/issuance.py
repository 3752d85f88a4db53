"""Issuance throughput: sign N credentials and render their PDFs, in one process (one core).

    python bench/issuance.py            # N = 1000, as in issue #5
    python bench/issuance.py --n 200

Times are given both as wall time (time.perf_counter) and as this process's CPU time (time.process_time):
on a shared machine the CPU time is the per-core figure, since another process's load does not count in it.

Builds a fresh SQLite database with the shipped content and one signing key, gives N trainees a pending
Foundation credential, then times `issue()` (build + eddsa-rdfc-2022 signature) and the PDF rendering
separately. Prints credentials per second and the PDF sizes; target (issue 17): sign + PDF >= 20 credentials per
second per core. The last line is `BENCH-JSON {...}` for bench/compare.py.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

TARGET_PER_CORE = 20.0      # issue 17: sign + PDF, credentials per second per core (CPU time)

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    from lms import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}", "LMS_OUTBOX": tmp / "outbox",
                      "LMS_KEYS_DIR": tmp / "keys", "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024,
                                                                      "parallelism": 1}})
    with app.app_context(), app.test_request_context():
        from flask_migrate import upgrade
        from sqlalchemy import select

        from lms.accounts.services import register
        from lms.config import REPO_ROOT
        from lms.credentials import keys
        from lms.credentials import services as svc
        from lms.credentials.models import Credential, Programme
        from lms.credentials.views import certificate_pdf_bytes
        from lms.extensions import db
        from lms.loading import load_all
        upgrade(directory=app.extensions["migrate"].directory)
        load_all(REPO_ROOT)
        keys.create_key()
        prog = db.session.scalar(select(Programme).where(Programme.key == "foundation"))
        creds = []
        for i in range(args.n):
            user = register(f"bench{i}@example.com", "bench-password-1", roles=("trainee",),
                            name_latin=f"Trainee {i}", name_zh="张伟")
            creds.append(Credential(holder=user, programme=prog, state="pending"))
        db.session.add_all(creds)
        db.session.commit()
        load_before = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        for c in creds:
            svc.issue(c)
        db.session.commit()
        t_sign, c_sign = time.perf_counter() - t0, time.process_time() - c0
        sizes = []
        t0, c0 = time.perf_counter(), time.process_time()
        for c in creds:
            sizes.append(len(certificate_pdf_bytes(c)))
        t_pdf, c_pdf = time.perf_counter() - t0, time.process_time() - c0
        n = args.n
        print(f"credentials: {n}")
        for label, wall, cpu in (("issue (build + sign + store)", t_sign, c_sign), ("PDF render", t_pdf, c_pdf),
                                 ("sign + PDF", t_sign + t_pdf, c_sign + c_pdf)):
            print(f"{label}: wall {wall:.2f} s = {n / wall:.1f}/s ({1000 * wall / n:.1f} ms each); "
                  f"CPU {cpu:.2f} s = {n / cpu:.1f}/s ({1000 * cpu / n:.1f} ms each)")
        print(f"sign + PDF per core (CPU time): {n / (c_sign + c_pdf):.1f} credentials/s; "
              f"wall: {n / (t_sign + t_pdf):.1f} credentials/s")
        load_after = os.getloadavg()
        print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
              f"on {os.cpu_count()} cores (this process counts for 1)")
        print(f"PDF size: median {statistics.median(sizes) / 1000:.1f} kB, max {max(sizes) / 1000:.1f} kB")
        per_core = n / (c_sign + c_pdf)
        print(f"target (issue 17): >= {TARGET_PER_CORE:g} credentials/s per core: "
              f"{'met' if per_core >= TARGET_PER_CORE else 'NOT met'}")
        print("BENCH-JSON " + json.dumps({"kind": "issuance", "n": n, "per_core": per_core, "wall_rate": n / (t_sign + t_pdf),
                                          "sign_ms": 1000 * c_sign / n, "pdf_ms": 1000 * c_pdf / n,
                                          "met": per_core >= TARGET_PER_CORE}))


if __name__ == "__main__":
    main()
