"""Rate-limit counters in the database, shared by every worker and every app server.

Flask-Limiter keeps its counters in a storage of the ``limits`` library, chosen by ``RATELIMIT_STORAGE_URI``:
Redis when ``LMS_REDIS_URL`` is set, otherwise this one, ``lms-database://``: a table of the application's own
database, so that "20 per hour" is 20 whatever the number of processes. It is a ``limits`` storage written as
that library documents (a subclass of ``limits.storage.Storage`` registered under its scheme) and supports the
fixed-window strategy, Flask-Limiter's default and the one the application uses.

An in-memory SQLite database (``sqlite://``, what the tests use) is one connection shared by the whole process:
a count committed on it would commit the request's own unsaved changes with it. There the counters are kept in
the process's memory instead (``memory://``; such a database has only one process anyway), and a test that needs
the shared store uses a database file.

Each count is one statement (an upsert that starts a new window when the old one has ended) on a connection of
its own, committed at once: a count survives the request's rollback, and the request's transaction is not
touched. Rows of ended windows are deleted whenever a key starts a new window, after the count is committed and
in a transaction of their own (two keys restarting at once would otherwise each wait for the other's row), and a
failed cleanup is logged, never the request's error.
"""
from __future__ import annotations

import logging
import time

from flask import Flask
from limits.storage import Storage
from sqlalchemy import Float, Integer, Text, case, delete, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base
from lms.extensions import db

log = logging.getLogger(__name__)


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)     # seconds since the epoch (UTC)


_table = RateLimitCounter.__table__
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def choose_storage(app: Flask) -> None:
    """Keep the counters in memory when the database is an in-memory SQLite one (see above)."""
    if app.config.get("RATELIMIT_STORAGE_URI") != "lms-database://":
        return
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and (database in ("", ":memory:") or database.startswith("file::memory:")
                                               or url.query.get("mode") == "memory"):
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"


class DatabaseStorage(Storage):
    """A ``limits`` storage in the application's database (the engine of the current Flask app)."""

    STORAGE_SCHEME = ["lms-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = db.engine
        stmt = _INSERT[engine.dialect.name](_table).values(key=key, hits=amount, expires_at=now + expiry)
        ended = _table.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(index_elements=[_table.c.key], set_={
            "hits": case((ended, stmt.excluded.hits), else_=_table.c.hits + stmt.excluded.hits),
            "expires_at": case((ended, stmt.excluded.expires_at), else_=_table.c.expires_at),
        }).returning(_table.c.hits)
        with engine.begin() as conn:
            hits = conn.execute(stmt).scalar_one()
        if hits == amount:              # a new window for this key: clear away the windows that have ended
            self._clean_up(engine, now)
        return hits

    @staticmethod
    def _clean_up(engine, now: float) -> None:
        """Delete the rows of ended windows, in a transaction of its own once the count is committed (no lock is
        held meanwhile), passing over rows another count holds (``SKIP LOCKED``; SQLite has no row locks). A
        failure only leaves the rows for the next cleanup: it never fails the request."""
        ended = select(_table.c.key).where(_table.c.expires_at <= now).with_for_update(skip_locked=True)
        try:
            with engine.begin() as conn:
                conn.execute(delete(_table).where(_table.c.key.in_(ended.scalar_subquery())))
        except SQLAlchemyError:
            log.warning("Rate-limit counters: the rows of ended windows were not cleared away", exc_info=True)

    def _row(self, key: str):
        with db.engine.connect() as conn:
            return conn.execute(select(_table.c.hits, _table.c.expires_at)
                                .where(_table.c.key == key, _table.c.expires_at > time.time())).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(_table).where(_table.c.key == key))
