"""Migrating an empty database gives exactly the models' schema (SQLite, and PostgreSQL when configured)."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from lms import create_app
from lms.extensions import db
from tests.conftest import fresh_database

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    with fresh_database("lms_migr", tmp_path / "unused.sqlite3") as url:
        yield url


def test_migrations_give_the_models_schema(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], diff
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "competencies", "courses", "lessons", "enrolments", "alembic_version"} <= tables
        # and the history runs back down cleanly
        downgrade(directory=app.extensions["migrate"].directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_evidence_stored_in_words_is_cleared_and_facts_are_kept(empty_database):
    """0019: an evidence summary stored in the words of the issuing request's language cannot be shown in
    another language, so it is cleared; one stored as facts stays."""
    import sqlalchemy as sa
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="41f4e2300435")
        now = sa.func.current_timestamp()
        users = sa.table("users", *(sa.column(c) for c in ("id", "public_id", "email", "password_hash", "locale",
                                                          "active", "session_version", "created_at")))
        progs = sa.table("programmes", sa.column("id"), sa.column("key"), sa.column("level"),
                         sa.column("competencies", sa.JSON), sa.column("requirements", sa.JSON),
                         sa.column("approval"), sa.column("validity_years"), sa.column("cpd", sa.JSON),
                         sa.column("updated_at"))
        creds = sa.table("credentials", sa.column("id"), sa.column("public_id"), sa.column("holder_id"),
                         sa.column("programme_id"), sa.column("state"), sa.column("suspended"),
                         sa.column("share_full"), sa.column("requested_at"), sa.column("evidence_summary", sa.JSON))
        words = {"requirements": [{"label": "课程已完成：F1", "detail": "完成于 2026-01-02"}]}
        facts = {"requirements": [{"kind": "hours", "state": "counted", "met": True, "value": 8, "target": 8}]}
        with db.engine.begin() as conn:
            conn.execute(users.insert().values(id=1, public_id="u" * 32, email="a@example.com", password_hash="x",
                                               locale="zh", active=True, session_version=1, created_at=now))
            conn.execute(progs.insert().values(id=1, key="foundation", level="F", competencies=[], requirements={},
                                               approval="automatic", validity_years=3, cpd={}, updated_at=now))
            for n, summary in ((1, words), (2, facts)):
                conn.execute(creds.insert().values(id=n, public_id=str(n) * 32, holder_id=1, programme_id=1,
                                                   state="revoked" if n == 1 else "active", suspended=False,
                                                   share_full=True, requested_at=now, evidence_summary=summary))
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            stored = dict(conn.execute(sa.select(creds.c.id, creds.c.evidence_summary)).all())
        assert stored == {1: None, 2: facts}
        with db.engine.begin() as conn:
            for table in (creds, progs, users):
                conn.execute(table.delete())
        downgrade(directory=directory, revision="base")
        db.engine.dispose()
