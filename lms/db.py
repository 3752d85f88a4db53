"""Declarative base with a constraint naming convention, and shared column helpers."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, MetaData, bindparam, event, insert, text, update
from sqlalchemy.dialects import postgresql
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


def state_type(states: type[StrEnum], length: int, name: str) -> Enum:
    """The column type of a state (or status, role, decision): one of ``states``' values, stored as their
    string in a VARCHAR(length), with a CHECK constraint ``ck_<table>_<name>`` so the database itself
    refuses any other value. Reading gives the enum member, which compares equal to its string."""
    return Enum(states, native_enum=False, create_constraint=True, length=length, name=name,
                values_callable=lambda members: [m.value for m in members])


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


# ------------------------------------------------------------------ many rows in one statement

_BULK: dict[tuple, object] = {}


def _pg_array_column(table, name: str) -> tuple[str, bool]:
    """(PostgreSQL array element type, whether the values are JSON sent as text) of one column."""
    col_type = table.c[name].type
    if isinstance(col_type, JSON):
        return "TEXT", True
    return col_type.compile(dialect=postgresql.dialect()), False


def _pg_arrays(table, columns: list[str], rows: list[dict]) -> tuple[list[str], list[str], list[str], dict]:
    """The unnest arguments, the select expressions and the parameters for ``rows`` of ``table``."""
    quote = postgresql.dialect().identifier_preparer.quote
    args, exprs, params = [], [], {}
    for i, name in enumerate(columns):
        element, is_json = _pg_array_column(table, name)
        args.append(f"CAST(:c{i} AS {element}[])")
        exprs.append(f"CAST(t.c{i} AS JSON)" if is_json else f"t.c{i}")
        values = [r[name] for r in rows]
        params[f"c{i}"] = [None if v is None else json.dumps(v) for v in values] if is_json else values
    return [quote(n) for n in columns], args, exprs, params


def _table_name(table) -> str:
    return postgresql.dialect().identifier_preparer.format_table(table)


def _with_defaults(table, rows: list[dict]) -> list[dict]:
    """The rows with the Python-side defaults of the columns they leave out (as the ORM would fill them)."""
    given = set(rows[0])
    fill = [c for c in table.columns if c.name not in given and c.default is not None and not c.primary_key
            and (c.default.is_scalar or c.default.is_callable)]
    if not fill:
        return rows
    return [{**r, **{c.name: c.default.arg if c.default.is_scalar else c.default.arg(None) for c in fill}} for r in rows]


def insert_rows(session, table, rows: list[dict]) -> None:
    """Insert many rows of ``table``. On PostgreSQL it is one short statement whatever their number (an array
    per column, unnested), which the driver prepares once; a statement per row costs the server a parse and
    an execution each. Elsewhere (SQLite, in process) an executemany."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    rows = _with_defaults(table, rows)
    columns = list(rows[0])
    names, args, exprs, params = _pg_arrays(table, columns, rows)
    key = ("insert", table.name, tuple(columns))
    if key not in _BULK:
        _BULK[key] = text(f"INSERT INTO {_table_name(table)} ({', '.join(names)}) SELECT {', '.join(exprs)} "
                          f"FROM unnest({', '.join(args)}) AS t({', '.join(f'c{i}' for i in range(len(columns)))})")
    session.execute(_BULK[key], params)


def update_rows(session, table, rows: list[dict], key: str = "id") -> None:
    """Update many rows of ``table``, each dict naming the row by ``key`` and giving new column values; on
    PostgreSQL in one statement (as ``insert_rows``), elsewhere an executemany."""
    if not rows:
        return
    columns = list(rows[0])
    changed = [c for c in columns if c != key]
    if session.get_bind().dialect.name != "postgresql":
        stmt_key = ("update-many", table.name, key, tuple(changed))
        if stmt_key not in _BULK:
            _BULK[stmt_key] = (update(table).where(table.c[key] == bindparam("b_key"))
                               .values({c: bindparam(f"b_{c}") for c in changed}))
        session.execute(_BULK[stmt_key], [{"b_key": r[key], **{f"b_{c}": r[c] for c in changed}} for r in rows])
        return
    ordered = [key, *changed]
    names, args, exprs, params = _pg_arrays(table, ordered, rows)
    stmt_key = ("update", table.name, key, tuple(changed))
    if stmt_key not in _BULK:
        sets = ", ".join(f"{names[i]} = {exprs[i]}" for i in range(1, len(ordered)))
        _BULK[stmt_key] = text(f"UPDATE {_table_name(table)} SET {sets} FROM unnest({', '.join(args)}) "
                               f"AS t({', '.join(f'c{i}' for i in range(len(ordered)))}) "
                               f"WHERE {_table_name(table)}.{names[0]} = t.c0")
    session.execute(_BULK[stmt_key], params)


MAX_PAGE = 100_000      # far past any list's last page; a larger number would overflow the database's integer


def requested_page() -> int:
    """The ``page`` query argument of a paginated list: 1 when missing or not a number, never above MAX_PAGE."""
    from flask import request
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
