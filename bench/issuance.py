"""Issuance throughput: sign N credentials and render their PDFs, in one process (one core).

    python bench/issuance.py --n 200

Builds a fresh SQLite database with the shipped content and one signing key, gives N trainees a pending
Foundation credential, then times `issue()` (build + eddsa-rdfc-2022 signature) and the PDF rendering
separately. Prints credentials per second and the PDF sizes.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
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
        t0 = time.perf_counter()
        for c in creds:
            svc.issue(c)
        db.session.commit()
        t_sign = time.perf_counter() - t0
        sizes = []
        t0 = time.perf_counter()
        for c in creds:
            sizes.append(len(certificate_pdf_bytes(c)))
        t_pdf = time.perf_counter() - t0
        n = args.n
        print(f"credentials: {n}")
        print(f"issue (build + sign + store): {t_sign:.2f} s = {n / t_sign:.1f}/s ({1000 * t_sign / n:.1f} ms each)")
        print(f"PDF render: {t_pdf:.2f} s = {n / t_pdf:.1f}/s ({1000 * t_pdf / n:.1f} ms each)")
        print(f"sign + PDF: {n / (t_sign + t_pdf):.1f} credentials/s on one core")
        print(f"PDF size: median {statistics.median(sizes) / 1000:.1f} kB, max {max(sizes) / 1000:.1f} kB")


if __name__ == "__main__":
    main()
