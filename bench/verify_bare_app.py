"""The baseline for bench/verify_json.py: a bare Flask app that answers ``GET /v/<public_id>`` with the same
JSON as the platform's verification endpoint, from the same row of the same database.

    BARE_DATABASE_URL=sqlite:////tmp/x/lms.sqlite3 gunicorn --pythonpath bench 'verify_bare_app:create()'

No blueprints, no login manager, no Babel, no ORM: one SQLAlchemy Core select of the columns the real
endpoint reads (the credential's state and dates, its programme's key, titles, level and competencies via a
join), the same status rules and the same ``json.dumps`` as ``lms.credentials.views._json``. It imports
nothing from ``lms`` so that it stays a baseline. The database URL is read from ``BARE_DATABASE_URL`` (or
``LMS_DATABASE_URL``), the base URL for the issuer's did:web and the credential link from ``LMS_BASE_URL``.
"""
from __future__ import annotations

import gc
import json
import os
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask, Response, abort
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    select,
)

metadata = MetaData()
programmes = Table(
    "programmes", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(80)),
    Column("title_en", String(300)),
    Column("title_zh", String(300)),
    Column("level", String(4)),
    Column("competencies", JSON),
)
credentials = Table(
    "credentials", metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32)),
    Column("programme_id", Integer),
    Column("state", String(20)),
    Column("suspended", Boolean),
    Column("valid_from", DateTime),
    Column("valid_until", DateTime),
    Column("signed_json", Text),
    Column("status_reason", Text),
    Column("status_changed_at", DateTime),
)


def _stamp(when: datetime | None) -> str | None:
    return when.replace(microsecond=0).isoformat() + "Z" if when else None


def _status(row) -> str:
    if row.state in ("pending", "rejected", "revoked", "superseded"):
        return row.state
    if row.suspended:
        return "suspended"
    if row.valid_until is not None and row.valid_until <= datetime.now(UTC).replace(tzinfo=None):
        return "expired"
    return "valid"


def _did(base_url: str) -> str:
    parts = urlsplit(base_url)
    path = ":".join(p for p in parts.path.split("/") if p)
    return f"did:web:{parts.netloc.replace(':', '%3A')}" + (f":{path}" if path else "")


def create() -> Flask:
    url = os.environ.get("BARE_DATABASE_URL") or os.environ["LMS_DATABASE_URL"]
    base_url = os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    issuer = _did(base_url)
    engine = create_engine(url)
    query = (select(credentials.c.public_id, credentials.c.state, credentials.c.suspended, credentials.c.valid_from,
                    credentials.c.valid_until, credentials.c.status_reason, credentials.c.status_changed_at,
                    programmes.c.key, programmes.c.title_en, programmes.c.title_zh, programmes.c.level,
                    programmes.c.competencies)
             .join(programmes, programmes.c.id == credentials.c.programme_id))
    app = Flask(__name__)

    @app.get("/v/<public_id>")
    def verify(public_id: str):
        with engine.connect() as conn:
            row = conn.execute(query.where(credentials.c.public_id == public_id,
                                           credentials.c.signed_json.is_not(None))).first()
        if row is None:
            abort(404)
        status = _status(row)
        out = {"id": row.public_id, "status": status, "programme": row.key,
               "title": {"en": row.title_en, "zh": row.title_zh}, "level": row.level,
               "validFrom": _stamp(row.valid_from), "validUntil": _stamp(row.valid_until),
               "issuer": issuer, "credential": f"{base_url}/v/{row.public_id}/credential.json"}
        if status in ("revoked", "suspended"):
            out["reason"] = row.status_reason
            out["statusChanged"] = _stamp(row.status_changed_at)
        out["competencies"] = row.competencies
        resp = Response(json.dumps(out, ensure_ascii=False, indent=2), mimetype="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    gc.freeze()          # as lms.wsgi does, so that the comparison is of the request path, not of the collector
    return app
