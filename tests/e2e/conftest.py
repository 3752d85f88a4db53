"""Browser journeys: a live server on 127.0.0.1 (its own database, built by the migrations and
`lms load` as in production) driven by Playwright in Debian's Chromium."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms.config import REPO_ROOT
from tests.factories import fresh_database, settings_for
from tests.factories.journeys import confirm_registration, last_link_to  # noqa: F401 - the names journeys used to import from here

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "e2e" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe-core is injected as a script; the app's strict CSP would (rightly) refuse it
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def e2e_database(tmp_path_factory):
    with fresh_database("lms_e2e", tmp_path_factory.mktemp("e2e") / "e2e.sqlite3") as url:
        yield url


@pytest.fixture(scope="session")
def live_server(e2e_database, tmp_path_factory):
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db
    from lms.loading import load_all

    outbox = tmp_path_factory.mktemp("outbox")
    # as in production, but for the test folders and cheap password hashing (no CSRF exemption, not TESTING)
    app = create_app(settings_for(tmp_path_factory.mktemp("live"), e2e_database).with_config({
        "TESTING": False, "WTF_CSRF_ENABLED": True, "LMS_BASE_URL": "http://127.0.0.1:5000",
        "LMS_OUTBOX": outbox, "LMS_KEYS_DIR": tmp_path_factory.mktemp("keys"),
        "LMS_UPLOAD_DIR": tmp_path_factory.mktemp("uploads")}))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_all(REPO_ROOT)
        from lms.accounts.services import register
        from lms.catalog.models import Course, CourseInstructor
        teacher = register("teacher@example.com", "teacher-password", roles=("instructor",), name_latin="Li Hua",
                           name_zh="李华")
        for course in db.session.scalars(db.select(Course)):
            course.instructors.append(CourseInstructor(user_id=teacher.id))
        # an instructor who teaches no course: the independent practitioner examiner of real projects
        register("practitioner@example.com", "practitioner-password", roles=("instructor",), name_latin="Zhao Gang",
                 name_zh="赵刚")
        # a short timed exam with fixed questions (two choice questions and an essay) for the exam journey
        from lms.assessment.models import Quiz, QuizSection
        f1 = db.session.scalar(db.select(Course).where(Course.slug == "f1-system-policy-ethics"))
        quiz = Quiz(course_id=f1.id, key="e2e-timed", module_key="m1-system", title_en="Timed practice exam",
                    title_zh="限时练习考试", time_limit_minutes=10, attempts_allowed=1, pass_mark=50, required=False,
                    shuffle_questions=False, shuffle_answers=False)
        quiz.sections = [QuizSection(position=0, bank="f1-system-policy-ethics",
                                     idnumbers=["F1-D1.1-001", "F1-D1.1-003", "F1-D1.3-015"])]
        db.session.add(quiz)
        # journey 5: a trainee one lesson short of the Foundation certificate, and an administrator
        from lms.catalog import services as catalog
        from lms.credentials import keys
        from lms.demo import certified_holder
        keys.create_key()
        register("admin@example.com", "admin-password", roles=("admin",), name_latin="Wang Min", name_zh="王敏")
        almost = register("almost@example.com", "almost-password", roles=("trainee",), name_latin="Liu Yang",
                          name_zh="刘洋")
        certified_holder(almost, teacher, catalog.course_by_slug("f1-system-policy-ethics"), leave_last_lesson=True)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config["LMS_BASE_URL"] = app.config["LIVE_URL"]      # e-mailed links point at the live server
    yield app
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.config["LIVE_URL"]


@pytest.fixture(scope="session")
def check_a11y():
    """Run axe-core on the current page; fail on any serious or critical violation."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core from the npm registry)")

    def check(page, label: str):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{label}: " + json.dumps(
            [{"id": v["id"], "impact": v["impact"], "help": v["help"],
              "nodes": [n["target"] for n in v["nodes"][:3]]} for v in bad], ensure_ascii=False, indent=1)
    return check


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed


@pytest.fixture(autouse=True)
def _screenshots_on_failure(request, browser):
    """Keep a screenshot of every open page of every browser context when a journey fails
    (pytest-playwright does this only for its own `page` fixture)."""
    yield
    if getattr(request.node, "e2e_failed", False):
        folder = REPO_ROOT / "test-results" / "failures" / request.node.name
        folder.mkdir(parents=True, exist_ok=True)
        for ci, ctx in enumerate(browser.contexts):
            for pi, page in enumerate(ctx.pages):
                try:
                    page.screenshot(path=str(folder / f"context{ci}-page{pi}.png"), full_page=True)
                except Exception:  # a closed page has nothing to show
                    pass
