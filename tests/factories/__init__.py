"""What tests share besides fixtures: test settings, the test client, small factories and helpers.

Test modules import from here (``from tests.factories import login, make_user``), never from one another or
from a conftest; fixtures live in the conftest files.
"""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms.config import Settings
from lms.extensions import db

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"


def settings_for(tmp_path: Path, database_url: str | None = None, **config) -> Settings:
    """Settings for a test application: no ``LMS_*`` variable of the environment is read (every other setting
    has its default), files go under ``tmp_path``, the database is ``database_url`` (default: in-memory
    SQLite, or LMS_TEST_DATABASE_URL's PostgreSQL database) and ``config`` is set over the rest."""
    return Settings(tmp_path / "instance", environ={}, overrides={
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url or PG_URL or "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "LMS_BASE_URL": "http://lms.example.com",
        "SERVER_NAME": None,
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        **file_folders(tmp_path),
        **config,
    })


def file_folders(tmp_path: Path) -> dict:
    """The folders a test's mail, uploads and signing keys go to."""
    return {"LMS_OUTBOX": tmp_path / "outbox", "LMS_UPLOAD_DIR": tmp_path / "uploads", "LMS_KEYS_DIR": tmp_path / "keys"}


# fixture name -> how its data is made, once per test session, in a template database (tests/conftest.py)
TEMPLATES: dict = {}


def template_data(name: str):
    """Make the decorated ``build(tmp_path)`` the fixture ``name``: its data is made once per session in a
    template database (with ``tmp_path`` a folder of the template's) and every test asking for the fixture runs
    on that template, inside its own transaction, with a copy of the template's files; ``build`` returns
    plain values (ids, not ORM objects), which the fixture gives each test."""
    def register(build):
        TEMPLATES[name] = build

        @pytest.fixture(name=name)
        def fixture(_database, tmp_path):
            results = _database[1]
            return results[name] if name in results else build(tmp_path)
        return fixture
    return register


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own ``g`` and database session), as in
    production; afterwards the test's own session is expired so it reads fresh rows."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            resp = super().open(*args, **kwargs)
        db.session.expire_all()
        return resp


@contextmanager
def fresh_database(prefix: str, sqlite_path: Path):
    """A new, empty database: a SQLite file, or a temporary database on the PostgreSQL server of
    LMS_TEST_DATABASE_URL (dropped afterwards)."""
    if not PG_URL:
        yield f"sqlite:///{sqlite_path}"
        return
    url = make_url(PG_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- people ---

_counter = {"n": 0}


def make_user(roles=("trainee",), email=None, password=PASSWORD, **kw):
    from lms.accounts.services import register
    _counter["n"] += 1
    email = email or f"user{_counter['n']}@example.com"
    user = register(email, password, roles=tuple(roles), name_latin=kw.pop("name_latin", f"User {_counter['n']}"), **kw)
    db.session.commit()
    return user


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def client_of(app, user=None):
    """A new test client, signed in as ``user`` when given."""
    c = app.test_client()
    if user is not None:
        assert login(c, user.email).status_code == 302
    return c


# --- mail ---

def outbox_messages(app):
    folder = app.config["LMS_OUTBOX"]
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def link_in(message_path: Path) -> str:
    import email
    msg = email.message_from_bytes(message_path.read_bytes())
    body = msg.get_payload(decode=True).decode()
    return re.search(r"https?://\S+", body).group(0)
