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
