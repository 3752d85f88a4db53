"""Fixtures. How the database of a test is made (see the README's "How the test fixtures work"):

* A *template* is an application with its database (in-memory SQLite, or a PostgreSQL database of the server
  named by LMS_TEST_DATABASE_URL), its schema created and, for the fixtures named in ``TEMPLATES``, their
  content loaded, once per test session. A test gets the template of the data fixtures it asks for
  (``loaded``: the shipped content; ``content``: the projects' small content), built the first time one asks.
* Each test runs inside one transaction on one connection, rolled back at its end: every session of the test
  (its own, each request's) and every plain ``db.engine`` connection joins it, and what they commit becomes a
  savepoint released inside it (``join_transaction_mode="create_savepoint"``).
* A test marked ``own_database`` (two real transactions at once, threads) gets an application and database of
  its own instead, as every test used to: a new in-memory SQLite database, or the PostgreSQL tables emptied
  afterwards.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.config import REPO_ROOT
from lms.extensions import db, limiter
from tests.factories import (  # noqa: F401 - the names test modules used to import from here
    PASSWORD,
    PG_URL,
    TEMPLATES,
    IsolatedClient,
    file_folders,
    fresh_database,
    link_in,
    login,
    make_user,
    obschema,
    outbox_messages,
    settings_for,
)
from tests.factories.content import BANK, F1, PROJECTS_DIR


def _config(tmp_path: Path) -> dict:
    """Compatibility: the test configuration as a dict (``settings_for`` gives it as settings)."""
    return dict(settings_for(tmp_path).overrides)


# --- the data a template holds ---

def _load_shipped(root: Path):
    """``loaded``: the shipped content (framework, courses, banks, programmes) as ``lms load`` loads it."""
    from lms.loading import load_all
    return load_all(REPO_ROOT)


def _load_project_content(root: Path) -> Path:
    """``content``: the framework, course F1 (without its quizzes) and the test brief
    (tests/projects/brief.yaml), loaded from files in ``root/content``."""
    from lms.loading import load_all
    content = root / "content"
    (content / "courses").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "courses" / "framework.yaml", content / "courses")
    shutil.copytree(REPO_ROOT / "courses" / F1, content / "courses" / F1, ignore=shutil.ignore_patterns("quizzes"))
    (content / "courses" / F1 / "projects").mkdir()
    shutil.copy(PROJECTS_DIR / "brief.yaml", content / "courses" / F1 / "projects" / "scan.yaml")
    load_all(content)
    return content


# a template applies the builders in the order they were registered: these two first
TEMPLATES.update(loaded=_load_shipped, content=_load_project_content)


@dataclass
class Template:
    app: object
    folder: Path                             # its instance folder, outbox, uploads and keys
    results: dict = field(default_factory=dict)
    extensions: frozenset = frozenset()      # what app.extensions held when built: the rest is a test's cache


def _savepoints_on_sqlite(engine) -> None:
    """pysqlite begins transactions on its own and knows nothing of savepoints: let SQLAlchemy emit BEGIN
    (SQLAlchemy's documented recipe for SAVEPOINT on pysqlite)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    """Builds each template the first time a test needs it; drops them at the end of the session."""
    built: dict[frozenset, Template] = {}
    databases: list[str] = []

    def template(names: frozenset) -> Template:
        if names in built:
            return built[names]
        folder = tmp_path_factory.mktemp("template")
        url = _template_database(names, databases)
        app = create_app(settings_for(folder, url))
        app.test_client_class = IsolatedClient
        extensions = frozenset(app.extensions)
        _savepoints_on_sqlite(_engine(app))
        with app.app_context():
            _empty_schema()
            results = {name: TEMPLATES[name](folder) for name in TEMPLATES if name in names}
            db.session.commit()
            db.session.remove()
        _drop_caches(app, extensions)
        built[names] = Template(app, folder, results, extensions)
        return built[names]

    yield template
    for tpl in built.values():
        with tpl.app.app_context():
            db.drop_all()
            db.engine.dispose()
    _drop_databases(databases)


def _engine(app):
    with app.app_context():
        return db.engine


def _empty_schema() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()


def _template_database(names: frozenset, databases: list[str]) -> str | None:
    """The database of a template: in-memory SQLite (None); on PostgreSQL, the empty template uses
    LMS_TEST_DATABASE_URL's database and every other one a database of its own, created here."""
    if not PG_URL or not names:
        return None
    url = make_url(PG_URL)
    name = f"{url.database}_{'_'.join(sorted(names))}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    databases.append(name)
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_databases(names: list[str]) -> None:
    _admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


def _admin(*statements: str) -> None:
    if not statements:
        return
    from sqlalchemy import create_engine
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    admin.dispose()


@contextmanager
def _one_transaction(engine, monkeypatch):
    """Everything the test does on ``engine`` runs on one connection, in one transaction rolled back at the end:
    sessions are bound to that connection and ``engine.connect()`` hands it out, closing it does nothing, and a
    transaction begun on it (a session's, ``engine.begin()``) is a savepoint inside the test's transaction."""
    conn = engine.connect()
    outer = conn.begin()
    options = conn.execution_options

    def execution_options(**opt):       # an AUTOCOMMIT connection joins the test's transaction too
        opt.pop("isolation_level", None)
        return options(**opt)
    try:
        with monkeypatch.context() as mp:
            # every session is bound to the connection, so that it joins the transaction (join_transaction_mode)
            mp.setattr(db.session.session_factory.class_, "get_bind", lambda *_a, bind=None, **_kw: bind or conn)
            mp.setattr(engine, "connect", lambda: conn)
            mp.setattr(conn, "close", lambda: None)
            mp.setattr(conn, "begin", conn.begin_nested)
            mp.setattr(conn, "execution_options", execution_options)
            try:
                yield
            finally:
                db.session.remove()
    finally:        # whatever the test left, the next one starts from the template (the pool rolls back on return)
        if outer.is_active:
            outer.rollback()
        conn.close()


@contextmanager
def _test_config(app, tmp_path: Path, extensions: frozenset):
    """The template's configuration with this test's folders, restored afterwards with its caches emptied
    (a cache a test filled may name rows the rollback removed)."""
    saved = dict(app.config)
    app.config.update(settings_for(tmp_path).overrides | {"SQLALCHEMY_DATABASE_URI": saved["SQLALCHEMY_DATABASE_URI"]})
    try:
        yield
    finally:
        app.config.clear()
        app.config.update(saved)
        _drop_caches(app, extensions)


def _drop_caches(app, extensions: frozenset) -> None:
    """Forget what the application's code kept in ``app.extensions`` since it was built (caches)."""
    for key in set(app.extensions) - extensions:
        del app.extensions[key]


@pytest.fixture(autouse=True)
def _issued_credentials_conform():
    """Every credential a test issues passes 1EdTech's official OB 3.0 schema (checked at the test's end)."""
    obschema.start()
    yield
    obschema.check()


@pytest.fixture(scope="session", autouse=True)
def _one_scoped_session_mode():
    """A session on a connection that is in a transaction already (the test's) commits to a savepoint."""
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")


@pytest.fixture
def _database(request, tmp_path, _templates, monkeypatch):
    """(app, the template's results) of this test, inside its app context."""
    if request.node.get_closest_marker("own_database"):
        if PG_URL:
            _templates(frozenset())         # the schema on LMS_TEST_DATABASE_URL's database
        with _own_database(tmp_path) as app:
            yield app, {}
        return
    tpl = _templates(frozenset(name for name in TEMPLATES if name in request.fixturenames))
    for files in file_folders(tpl.folder).values():      # the files the template's data made, the test's own
        if files.exists():
            shutil.copytree(files, tmp_path / files.name)
    with _test_config(tpl.app, tmp_path, tpl.extensions), tpl.app.app_context():
        with _one_transaction(db.engine, monkeypatch):
            limiter.reset()         # rate-limit counts kept in memory outlive the rollback: each test starts at 0
            yield tpl.app, tpl.results


@contextmanager
def _own_database(tmp_path):
    """An application and database of the test's own, as every test had before templates: committed for real,
    then dropped (SQLite) or emptied (PostgreSQL, whose schema the empty template made)."""
    app = create_app(settings_for(tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if not PG_URL:
            db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            if PG_URL:       # DELETE is far cheaper than TRUNCATE on tables this small (no new files to create)
                deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables))
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(deletes)
            else:
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(_database):
    return _database[0]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded(app, _database):
    """The shipped content (framework and courses) loaded: the load's report."""
    if "loaded" in _database[1]:
        return _database[1]["loaded"]
    return _load_shipped(REPO_ROOT)


@pytest.fixture
def content(app, _database, tmp_path):
    """The framework, course F1 and the test brief (tests/projects/brief.yaml) loaded from files: the folder
    holding them (the test's own copy, free to change and load again)."""
    root = tmp_path / "content"
    if "content" in _database[1]:
        shutil.copytree(_database[1]["content"], root)
        return root
    return _load_project_content(tmp_path)


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


@pytest.fixture
def quiz(app, loaded, users):
    """A small timed quiz of F1 with its own bank (tests/factories/content.py's BANK) in place of F1's shipped
    quizzes, the instructor teaching F1, the trainee enrolled."""
    from lms.assessment import banks
    from lms.assessment.models import Quiz, QuizSection
    from lms.catalog import services as catalog
    from lms.catalog.models import Course, CourseInstructor
    bank = banks.get_or_create_bank("exam-en", "en")
    banks.import_questions(bank, banks.parse_questions(BANK, "gift", "exam.gift"))
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.instructors.append(CourseInstructor(user_id=users["instructor"].id))
    for shipped in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        db.session.delete(shipped)     # these tests use their own small quiz
    q = Quiz(course_id=course.id, key="m1-quiz", module_key="m1-system", title_en="Module 1 quiz",
             title_zh="模块一测验", time_limit_minutes=20, attempts_allowed=2, pass_mark=60)
    q.sections = [QuizSection(position=0, bank="exam", draw=4, tag="m1"),
                  QuizSection(position=1, bank="exam", idnumbers=["X-6"], mark=2)]
    db.session.add(q)
    catalog.enrol(users["trainee"], course)
    db.session.commit()
    return q


@pytest.fixture
def people(content):
    """The projects' cast: two trainees enrolled in F1, F1's lecturer, a practitioner examiner, a third
    instructor and an administrator."""
    from lms.catalog.models import Course, CourseInstructor, Enrolment
    p = {
        "trainee": make_user(("trainee",), "trainee@example.com", name_latin="Zhang Wei"),
        "other": make_user(("trainee",), "other@example.com"),
        "lecturer": make_user(("instructor",), "lecturer@example.com", name_latin="Li Hua"),
        "practitioner": make_user(("instructor",), "practitioner@example.com", name_latin="Zhao Gang"),
        "third": make_user(("instructor",), "third@example.com"),
        "admin": make_user(("admin",), "admin@example.com"),
    }
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.instructors.append(CourseInstructor(user_id=p["lecturer"].id))
    for who in ("trainee", "other"):        # real projects are for trainees enrolled in the brief's course
        db.session.add(Enrolment(user_id=p[who].id, course_id=course.id))
    db.session.commit()
    return p


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_database(request, tmp_path):
    """The URL of a new database without tables: a SQLite file, then (with LMS_TEST_DATABASE_URL) a PostgreSQL
    database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    with fresh_database("lms_migr", tmp_path / "unused.sqlite3") as url:
        yield url


@pytest.fixture
def as_user(client):
    def _as(user):
        client.post("/logout")
        resp = login(client, user.email)
        assert resp.status_code == 302, resp.data
        return client
    return _as


_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a ``with count_queries() as n:`` block (the savepoints of the test's
    transaction are not statements of the code under test, and are not counted)."""

    @contextmanager
    def counter():
        box = [0]

        def on_exec(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
                box[0] += 1
        event.listen(db.engine, "before_cursor_execute", on_exec)
        try:
            yield box
        finally:
            event.remove(db.engine, "before_cursor_execute", on_exec)
    return counter
