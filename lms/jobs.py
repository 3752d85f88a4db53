"""Background work. A job names a function by its import path and takes plain arguments (ids, strings), so
that it can cross a process boundary.

- :func:`after_commit` schedules a job for after the current transaction commits. With ``LMS_REDIS_URL``
  set it is then enqueued on RQ (a worker started with ``lms worker`` runs it); without it, it runs in this
  process at once after the commit, in its own application context and its own transaction. A transaction
  that rolls back (or a session closed without a commit) drops its jobs: nothing is sent for work that was
  not saved. A job that fails is logged; it never fails the request or command that caused it.
- :func:`enqueue` runs a job now: on the queue when configured, otherwise in the request, returning its
  result (the administrator's cohort issuance shows the count).
"""
from __future__ import annotations

import importlib
import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("lms.jobs")
QUEUE = "lms"
_PENDING = "lms.after_commit"       # session.info key: [(path, args), ...] waiting for the commit


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


def after_commit(path: str, *args) -> None:
    """Run the function at ``path`` with ``args`` once the current transaction has committed (see above)."""
    from lms.extensions import db
    session = db.session()
    if not session.in_transaction():            # tie the job to a transaction, so that it commits or not
        session.begin()
    pending = session.info.setdefault(_PENDING, [])
    if (path, args) not in pending:             # the same job twice in one transaction runs once
        pending.append((path, args))


def _run_here(path: str, args: tuple) -> None:
    """One job in this process, in its own application context (its own session) and transaction."""
    from lms.extensions import db
    with current_app.app_context():
        try:
            _call(path, *args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed; the work that scheduled it is saved", path)


def _dispatch(path: str, args: tuple) -> None:
    if not current_app.config.get("REDIS_URL"):
        _run_here(path, args)
        return
    try:
        job = queue().enqueue(run_job, path, *args, job_timeout=3600)
        log.info("queued %s as %s", path, job.id)
    except Exception:
        log.exception("job %s could not be queued", path)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():         # a savepoint: its jobs wait for the outer transaction
        return
    for path, args in session.info.pop(_PENDING, ()):
        _dispatch(path, args)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is None:              # rolled back or closed: what it scheduled never happens
        session.info.pop(_PENDING, None)
