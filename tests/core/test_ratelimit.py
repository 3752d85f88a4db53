"""Rate-limit counters are kept in the database when no Redis is configured, so every worker and app server
shares one count."""
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from lms import create_app
from lms.core import ratelimit
from lms.extensions import db
from tests.factories import PG_URL, fresh_database


@pytest.fixture
def file_app(request, tmp_path):
    """An app whose counters are in the database: on SQLite one on a database file, since on the tests' in-memory
    database the counters are kept in memory (lms.core.ratelimit.choose_storage); on PostgreSQL the usual app."""
    if PG_URL:
        yield request.getfixturevalue("app")
        return
    with fresh_database("lms_rl", tmp_path / "counters.sqlite3") as url:
        app = _app(url)
        with app.app_context():
            db.create_all()
            try:
                yield app
            finally:
                db.session.remove()
                db.drop_all()
                db.engine.dispose()


def _app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "ANONYMOUS_CHECK_LIMIT": "3 per hour"})


def test_two_app_instances_on_one_database_share_one_count(tmp_path):
    with fresh_database("lms_rl", tmp_path / "shared.sqlite3") as url:
        first = _app(url)
        with first.app_context():
            db.create_all()
        try:
            one = first.test_client()
            # anonymous checks through the API, three allowed per hour (an empty list is answered with 400,
            # and counted all the same)
            assert [one.post("/api/v1/verify", json={}).status_code for _ in range(3)] == [400, 400, 400]
            second = _app(url)            # another worker, started after the first one counted
            two = second.test_client()
            assert two.post("/api/v1/verify", json={}).status_code == 429
            assert one.post("/api/v1/verify", json={}).status_code == 429
            # another address has its own count
            other = two.post("/api/v1/verify", json={}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
            assert other.status_code == 400
        finally:
            with first.app_context():
                db.drop_all()
                db.engine.dispose()
            with second.app_context():
                db.engine.dispose()


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_window_ends_and_a_new_one_starts_from_one(file_app, monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(ratelimit, "time", clock)
    store = ratelimit.DatabaseStorage()
    assert [store.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    store.incr("b", 10)
    assert store.get("a") == 3 and store.get_expiry("a") == 1_000_060.0
    clock.now += 30
    assert store.incr("a", 60) == 4 and store.get("b") == 0      # b's window has ended
    clock.now += 31
    assert store.get("a") == 0
    assert store.incr("a", 60) == 1 and store.get_expiry("a") == 1_000_121.0
    # the ended windows' rows are cleared away when a key starts a new window
    assert db.session.scalar(db.select(db.func.count()).select_from(ratelimit.RateLimitCounter)) == 1
    store.clear("a")
    assert store.get("a") == 0 and store.check()


def _wait_at_cleanup(barrier):
    """Hold every DELETE of the counters' table until two are ready to run (the two requests' cleanups)."""
    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM RATE_LIMIT_COUNTER"):
            barrier.wait()
    return before


@pytest.mark.own_database
@pytest.mark.skipif(not PG_URL, reason="row locks and deadlock detection of PostgreSQL")
def test_two_keys_restarting_at_once_both_count(app, monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(ratelimit, "time", clock)
    store = ratelimit.DatabaseStorage()
    store.incr("a", 10)
    store.incr("b", 10)
    clock.now += 20                         # both windows have ended: each next count starts anew and cleans up
    barrier = threading.Barrier(2, timeout=15)
    listener = _wait_at_cleanup(barrier)
    event.listen(db.engine, "before_cursor_execute", listener)
    results, errors = {}, []

    def count(key):
        try:
            with app.app_context():
                results[key] = store.incr(key, 10)
        except Exception as exc:            # noqa: BLE001  (what Flask-Limiter would turn into a 500)
            errors.append(exc)

    try:
        threads = [threading.Thread(target=count, args=(key,)) for key in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert errors == [] and results == {"a": 1, "b": 1}
    assert store.get("a") == 1 and store.get("b") == 1


def test_a_failing_cleanup_does_not_fail_the_count(file_app, monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(ratelimit, "time", clock)
    store = ratelimit.DatabaseStorage()
    store.incr("a", 10)
    clock.now += 20

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM RATE_LIMIT_COUNTER"):
            raise OperationalError(statement, parameters, Exception("deadlock detected"))

    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        assert store.incr("b", 10) == 1         # a new window: the cleanup fails, the count stands
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)
    assert store.get("b") == 1


def test_a_count_does_not_commit_the_callers_unsaved_changes(app, client):
    """On the tests' in-memory SQLite database (one connection for the whole process) the counters are kept in
    memory: a count committed on that connection would commit the caller's unsaved changes with it."""
    from lms.accounts.models import Organisation
    db.session.add(Organisation(name="Unsaved Ltd"))
    db.session.flush()
    first = client.post("/api/v1/verify", json={})      # an anonymous check: counted
    second = client.post("/api/v1/verify", json={})
    assert first.status_code == second.status_code == 400
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    db.session.rollback()
    assert db.session.scalar(db.select(Organisation).where(Organisation.name == "Unsaved Ltd")) is None
