"""Declarative base with a constraint naming convention, and shared column helpers."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Timezone-naive UTC 'now' (all timestamps are stored in UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """An unguessable identifier for public URLs (never a row id)."""
    return uuid.uuid4().hex


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - driver specific
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except Exception:
            pass
        cur.close()


# A pooled connection unused for this long is checked with a round trip before it is handed out again.
IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Check a pooled connection only when it has been idle, instead of before every checkout.

    SQLAlchemy's ``pool_pre_ping`` costs every request one extra round trip to the server. A connection
    handed back moments ago is as good as the server is, so the ping is kept for connections that sat
    unused long enough for a server restart or a network cut to have closed them. A failed ping makes
    the pool drop the connection and open a fresh one, as ``pool_pre_ping`` does."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, record):
        if record is not None:
            record.info["lms.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        since = record.info.get("lms.idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")
