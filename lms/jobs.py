"""Background work. With ``LMS_REDIS_URL`` set, jobs go to an RQ queue on Redis and a worker started with
``lms worker`` runs them; without it they run at once, in the request. A job names a function by its
import path and takes plain arguments, and runs inside its own application context."""
from __future__ import annotations

import importlib
import logging

from flask import current_app

log = logging.getLogger("lms.jobs")
QUEUE = "lms"


def _call(path: str, *args):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


def run_job(path: str, *args):
    """What the worker runs: a fresh app and one transaction around the job."""
    from lms import create_app
    from lms.config import Settings
    from lms.extensions import db
    app = create_app(Settings.from_env())
    with app.app_context():
        try:
            result = _call(path, *args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def queue():
    from redis import Redis
    from rq import Queue
    return Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(path: str, *args) -> tuple[bool, object]:
    """(True, the RQ job) when queued; (False, the result) when run at once."""
    if current_app.config.get("REDIS_URL"):
        job = queue().enqueue(run_job, path, *args, job_timeout=3600)
        log.info("queued %s%s as %s", path, args, job.id)
        return True, job
    return False, _call(path, *args)
