"""Issuing for a whole cohort: in the request without Redis; through RQ with a real Redis server and a
worker process (`lms worker --burst`) when LMS_REDIS_URL is set."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.config import REPO_ROOT
from lms.extensions import db
from tests.factories import fresh_database, login, make_user

F1 = "f1-system-policy-ethics"


def _content_without_programmes(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "courses", root / "courses")
    shutil.copytree(REPO_ROOT / "question_banks", root / "question_banks")
    return root


def _trainee_who_meets_foundation(tmp_path):
    """Load everything but the programmes, let a trainee complete F1 (nothing can be issued yet), then
    load the programmes: the trainee now meets the Foundation requirements and holds nothing."""
    from lms.catalog import services as catalog
    from lms.demo import certified_holder
    from lms.loading import load_all
    load_all(_content_without_programmes(tmp_path))
    teacher = make_user(("instructor",), "teacher@example.com")
    trainee = make_user(("trainee",), "cohort@example.com", name_latin="Cohort Member")
    certified_holder(trainee, teacher, catalog.course_by_slug(F1))
    db.session.commit()
    load_all(REPO_ROOT)
    return trainee


def test_cohort_issuance_runs_in_the_request_without_redis(app, tmp_path):
    from lms.credentials import keys
    from lms.credentials.models import Credential
    keys.create_key()
    _trainee_who_meets_foundation(tmp_path)
    assert db.session.scalar(select(Credential)) is None
    admin = make_user(("admin",), "admin@example.com")
    c = app.test_client()
    login(c, admin.email)
    page = c.post("/admin/credentials/cohort", data={"course": F1}, follow_redirects=True).get_data(as_text=True)
    assert "1 certificate(s) issued" in page
    assert db.session.scalar(select(Credential)).state == "active"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed (apt-get install redis-server)")
def test_cohort_issuance_goes_through_rq_and_a_worker(tmp_path):
    from flask_migrate import upgrade

    from lms import create_app
    from lms.credentials import keys
    from lms.credentials.models import Credential
    port = _free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with fresh_database("lms_jobs", tmp_path / "jobs.sqlite3") as url:
            env = {"LMS_DATABASE_URL": url, "LMS_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                   "LMS_INSTANCE_PATH": str(tmp_path / "instance"), "LMS_KEYS_DIR": str(tmp_path / "keys"),
                   "LMS_BASE_URL": "http://lms.example.com"}
            old = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                # the rate-limit counters stay in the database: the limiter is one object for the whole test run,
                # and must not be left on a Redis that stops with this test
                app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "LMS_OUTBOX": tmp_path / "outbox",
                                  "RATELIMIT_STORAGE_URI": "lms-database://",
                                  "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
                with app.app_context():
                    upgrade(directory=app.extensions["migrate"].directory)
                    keys.create_key()
                    _trainee_who_meets_foundation(tmp_path)
                    admin = make_user(("admin",), "admin@example.com")
                    for _ in range(50):
                        try:
                            from redis import Redis
                            Redis(port=port).ping()
                            break
                        except Exception:
                            time.sleep(0.1)
                    c = app.test_client()
                    login(c, admin.email)
                    page = c.post("/admin/credentials/cohort", data={"course": F1},
                                  follow_redirects=True).get_data(as_text=True)
                    assert "Queued: a background worker" in page
                    assert db.session.scalar(select(Credential)) is None          # nothing yet: the worker does it
                    lms = Path(sys.executable).parent / "lms"
                    done = subprocess.run([str(lms), "worker", "--burst"], env={**os.environ, **env}, timeout=300,
                                          capture_output=True, text=True)
                    assert done.returncode == 0, done.stderr[-2000:]
                    db.session.expire_all()
                    cred = db.session.scalar(select(Credential))
                    assert cred is not None and cred.state == "active" and cred.holder.email == "cohort@example.com"
                    db.session.remove()
                    db.engine.dispose()
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
    finally:
        redis.terminate()
        redis.wait(timeout=10)
