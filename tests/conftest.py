"""Fixtures: an app with a fresh database per test (in-memory SQLite by default, or the
PostgreSQL database named by LMS_TEST_DATABASE_URL, emptied after each test), small factories."""
from __future__ import annotations

import os
import re
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-test-instance-"))

from lms import create_app  # noqa: E402
from lms.config import REPO_ROOT  # noqa: E402
from lms.extensions import db  # noqa: E402

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"


def _config(tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": PG_URL or "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "LMS_OUTBOX": tmp_path / "outbox",
        "LMS_UPLOAD_DIR": tmp_path / "uploads",
        "LMS_KEYS_DIR": tmp_path / "keys",
        "LMS_BASE_URL": "http://lms.example.com",
        "SERVER_NAME": None,
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }


@pytest.fixture(scope="session")
def _pg_schema():
    """On PostgreSQL the tables are created once per session and emptied after each test."""
    if not PG_URL:
        yield
        return
    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "TESTING": True})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own ``g`` and database session), as in
    production; afterwards the test's own session is expired so it reads fresh rows."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            resp = super().open(*args, **kwargs)
        db.session.expire_all()
        return resp


@pytest.fixture
def app(tmp_path, _pg_schema):
    app = create_app(_config(tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if not PG_URL:
            db.create_all()
        yield app
        db.session.remove()
        if PG_URL:       # DELETE is far cheaper than TRUNCATE on tables this small (no new files to create)
            deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables))
            with db.engine.begin() as conn:
                conn.exec_driver_sql(deletes)
        else:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded(app):
    """The shipped content (framework and courses) loaded."""
    from lms.loading import load_all
    return load_all(REPO_ROOT)


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


# --- factories ---

_counter = {"n": 0}


def make_user(roles=("trainee",), email=None, password=PASSWORD, **kw):
    from lms.accounts.services import register
    _counter["n"] += 1
    email = email or f"user{_counter['n']}@example.com"
    user = register(email, password, roles=tuple(roles), name_latin=kw.pop("name_latin", f"User {_counter['n']}"), **kw)
    db.session.commit()
    return user


@pytest.fixture
def users(app):
    """One account per role (plus a second trainee)."""
    return {
        "trainee": make_user(("trainee",), "trainee@example.com"),
        "other": make_user(("trainee",), "other@example.com"),
        "instructor": make_user(("instructor",), "teacher@example.com"),
        "employer": make_user(("employer",), "employer@example.com", organisation="Acme Materials"),
        "admin": make_user(("admin",), "admin@example.com"),
    }


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def as_user(client):
    def _as(user):
        client.post("/logout")
        resp = login(client, user.email)
        assert resp.status_code == 302, resp.data
        return client
    return _as


def outbox_messages(app):
    folder = app.config["LMS_OUTBOX"]
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def link_in(message_path: Path) -> str:
    import email
    msg = email.message_from_bytes(message_path.read_bytes())
    body = msg.get_payload(decode=True).decode()
    return re.search(r"https?://\S+", body).group(0)


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a ``with count_queries() as n:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        box = [0]

        def on_exec(*args, **kwargs):
            box[0] += 1
        event.listen(db.engine, "before_cursor_execute", on_exec)
        try:
            yield box
        finally:
            event.remove(db.engine, "before_cursor_execute", on_exec)
    return counter
