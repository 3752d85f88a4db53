"""Migrating an empty database gives exactly the models' schema (SQLite, and PostgreSQL when configured)."""
import os
from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from lms import create_app
from lms.extensions import db

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")


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


def test_0019_turns_stored_final_reasons_into_facts_and_back(empty_database):
    """Revision 0019: the sentences stored before it become facts (an unknown text a legacy note), and back."""
    from sqlalchemy import text

    from lms.catalog.models import Course
    from lms.projects.models import Brief, Grade, Project
    from tests.conftest import make_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        examiner = make_user(("instructor",), name_latin="Li Hua")
        brief = Brief(course=Course(slug="c", code="C", level="F"), key="b", level="F")
        bases = [{"rule": "single"}, {"rule": "mean", "totals": [76.0, 74.4], "limit": 15.0},
                 {"rule": "third", "closest": [90.0, 80.0], "totals": [90.0, 40.0, 80.0]},
                 {"rule": "agreed", "examiner_id": examiner.id, "reason": "The market section prevails."},
                 {"rule": "legacy", "text": "decided by the board"}]
        projects = [Project(brief=brief, trainee=examiner, title="t", description="d", trainee_role="r",
                            sponsor_org="o", sponsor_kind="company", sponsor_name="n", sponsor_email="s@example.com",
                            final_basis=basis) for basis in bases]
        projects[3].grades.append(Grade(examiner_id=examiner.id, role="agreed", reason="The market section prevails.",
                                        submitted_at=datetime(2026, 12, 1)))
        db.session.add_all(projects)
        db.session.commit()
        ids = [p.id for p in projects]
        db.session.remove()
        downgrade(directory=directory, revision="41f4e2300435")
        with db.engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, final_reason FROM projects")).all())
        assert [stored[i] for i in ids] == [
            "single examiner",
            "mean of the two examiners' grades (76 and 74.4; difference 1.6 ≤ 15, same pass/fail)",
            "third examiner: mean of the two closest grades (90 and 80; all three: 90, 40, 80)",
            "agreed by Li Hua after reconciliation: The market section prevails.",
            "decided by the board"]
        upgrade(directory=directory)
        assert [db.session.get(Project, i).final_basis for i in ids] == bases
        db.session.remove()
        db.engine.dispose()


def _fill(table, **given):
    """A row for ``table`` as reflected: the given values, and a plain value for every other required column."""
    import sqlalchemy as sa
    row = dict(given)
    for col in table.columns:
        if col.name in row or col.nullable or col.primary_key or col.server_default is not None:
            continue
        kind = col.type.python_type if hasattr(col.type, "python_type") else str
        try:
            kind = col.type.python_type
        except NotImplementedError:
            kind = str
        row[col.name] = {int: 1, bool: False, float: 1.0, datetime: datetime(2026, 1, 1)}.get(
            kind, f"{col.name}-{row.get('id', 1)}"[:8] if not isinstance(col.type, sa.JSON) else {})
    return row


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(empty_database):
    """On SQLite a table whose constraints change is rebuilt (copied, dropped, renamed). With foreign keys
    enforced, dropping it would delete every row that refers to it with ON DELETE CASCADE: 0014 rebuilds the
    question banks, and their questions must all still be there afterwards."""
    import sqlalchemy as sa
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="59296868be56")           # 0013, before the banks are rebuilt
        meta = sa.MetaData()
        meta.reflect(db.engine, only=("question_banks", "question_categories", "questions"))
        banks, categories, questions = (meta.tables[n] for n in ("question_banks", "question_categories", "questions"))
        with db.engine.begin() as conn:
            conn.execute(banks.insert().values(_fill(banks, id=1, slug="bank", title="Bank", language="en")))
            conn.execute(categories.insert().values(_fill(categories, id=1, bank_id=1, context="course", path="top", segments=["top"])))
            for n in (1, 2, 3):
                conn.execute(questions.insert().values(_fill(questions, id=n, public_id=f"{n:032d}", bank_id=1,
                                                             category_id=1)))
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM questions")).scalar() == 3
            assert conn.execute(sa.text("SELECT count(*) FROM question_banks")).scalar() == 1
        with db.engine.begin() as conn:
            for table in ("questions", "question_categories", "question_banks"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        downgrade(directory=directory, revision="base")
        db.engine.dispose()
