"""States, statuses, roles and decisions are enums, and the database itself refuses any other value
(a CHECK constraint per column, on SQLite and PostgreSQL); migration 0020 adds those constraints to a
database that already holds rows, without losing any, and stops on a value outside the set."""
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

import lms.assessment.models  # noqa: F401  (every feature's tables in db.metadata)
import lms.credentials.models  # noqa: F401
import lms.employers.models  # noqa: F401
import lms.projects.models  # noqa: F401
from lms import create_app
from lms.extensions import db
from tests.factories import fresh_database

BEFORE = "8ebc73f6a03f"        # the revision before the state checks


def _enum_columns(metadata):
    return [(table, column) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, sa.Enum)]


ENUM_COLUMNS = [(t.name, c.name) for t, c in _enum_columns(db.metadata)]


def _filler(column):
    """A value a NOT NULL column accepts (unique where needed; a state column gets its first value)."""
    model_column = db.metadata.tables[column.table.name].columns[column.name]
    if isinstance(model_column.type, sa.Enum):
        return model_column.type.enums[0]
    python_type = column.type.python_type
    if python_type is str:
        return uuid.uuid4().hex[:getattr(column.type, "length", None) or 32]
    if python_type is datetime:
        return datetime.now(UTC).replace(tzinfo=None)
    return {bool: False, int: 1, float: 1.0, date: date.today(), dict: {}, list: [], bytes: b"x"}.get(
        python_type, 1)


def _values(table, parents=None, **given):
    """A row for ``table``: the given values, and every other NOT NULL column without a default filled
    (a foreign key with a new parent row when ``parents`` is a connection, else with a dangling id)."""
    values = dict(given)
    for column in table.columns:
        needed = not (column.nullable or column.primary_key or column.default is not None
                      or column.server_default is not None or column.name in values)
        if not needed:
            continue
        if column.foreign_keys and parents is not None:
            parent = next(iter(column.foreign_keys)).column.table
            values[column.name] = _insert(parents, parent)
        else:
            values[column.name] = _filler(column)
    return values


def _insert(conn, table, **given):
    return conn.execute(table.insert().values(_values(table, conn, **given))).inserted_primary_key[0]


def test_every_state_column_is_an_enum_with_its_check():
    assert len(ENUM_COLUMNS) >= 10
    for table, column in _enum_columns(db.metadata):
        checks = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        assert f"ck_{table.name}_{column.name}" in checks


@pytest.mark.parametrize("table_name, column_name", ENUM_COLUMNS)
def test_the_database_refuses_an_unknown_state(app, table_name, column_name):
    table = db.metadata.tables[table_name]
    with pytest.raises(IntegrityError) as refused:
        db.session.execute(table.insert().values(_values(table, **{column_name: "paused"})))
    db.session.rollback()
    assert f"ck_{table_name}_{column_name}" in str(refused.value)


def test_a_state_reads_back_as_its_enum_member_equal_to_its_string(app):
    from lms.assessment.models import AttemptState, Question, QuestionStatus
    table = Question.__table__
    _insert(db.session.connection(), table, status="draft")
    status = db.session.execute(sa.select(table.c.status)).scalar_one()
    assert status is QuestionStatus.DRAFT and status == "draft" and f"{status}" == "draft"
    assert AttemptState.OPEN == "open" and AttemptState("graded") is AttemptState.GRADED
    db.session.rollback()


@pytest.fixture
def database_before_checks(tmp_path):
    with fresh_database("lms_states", tmp_path / "states.sqlite3") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision=BEFORE)
            yield app
            db.engine.dispose()


def _counts(conn, tables):
    return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}


def test_the_migration_adds_the_checks_and_keeps_every_row(database_before_checks):
    reflected = sa.MetaData()
    reflected.reflect(db.engine)
    with db.engine.begin() as conn:
        # a row in each state table, with its parents; the rows that refer to them (which a table rebuilt
        # on SQLite with foreign keys on would cascade away)
        _insert(conn, reflected.tables["attempt_items"])
        _insert(conn, reflected.tables["project_grades"], role="agreed")
        _insert(conn, reflected.tables["project_examiners"], role="third")
        _insert(conn, reflected.tables["enrolments"])
        for name in ("questions", "credentials", "experience_claims", "cpd_activities", "status_lists", "user_roles",
                     "organisations"):
            _insert(conn, reflected.tables[name])
        before = _counts(conn, reflected.sorted_tables)
    # every state column the checks' migration (0020) found has rows (later columns come with their own checks)
    assert all(before[name] for name, column in ENUM_COLUMNS
               if name in reflected.tables and column in reflected.tables[name].columns)

    upgrade(directory=database_before_checks.extensions["migrate"].directory)

    inspector = sa.inspect(db.engine)
    for table, column in ENUM_COLUMNS:
        assert f"ck_{table}_{column}" in {c["name"] for c in inspector.get_check_constraints(table)}
    with db.engine.connect() as conn:
        assert _counts(conn, reflected.sorted_tables) == before
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1 if conn.dialect.name == "sqlite" else True
        with pytest.raises(IntegrityError) as refused:
            conn.execute(sa.text("UPDATE attempts SET state = 'paused'"))
        assert "ck_attempts_state" in str(refused.value)


def test_the_migration_stops_on_a_value_outside_the_set_and_names_it(database_before_checks, capfd):
    reflected = sa.MetaData()
    reflected.reflect(db.engine)
    with db.engine.begin() as conn:
        _insert(conn, reflected.tables["projects"], status="archived")
    with pytest.raises(SystemExit):
        upgrade(directory=database_before_checks.extensions["migrate"].directory)
    assert "projects.status holds 'archived', which is not one of awaiting_sponsor" in capfd.readouterr().err
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE
