import io
import shutil
import zipfile

import pytest
from sqlalchemy import select

from lms.catalog.models import Course, CourseInstructor, Enrolment
from lms.config import REPO_ROOT
from lms.extensions import db
from lms.loading import load_all
from tests.conftest import make_user

F1 = "f1-system-policy-ethics"
HERE = REPO_ROOT / "tests" / "projects"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def office(kind: str) -> bytes:
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}[kind]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return buf.getvalue()


@pytest.fixture
def content(app, tmp_path):
    """The framework, course F1 and the test brief (tests/projects/brief.yaml) loaded from files."""
    root = tmp_path / "content"
    (root / "courses").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "courses" / "framework.yaml", root / "courses")
    shutil.copytree(REPO_ROOT / "courses" / F1, root / "courses" / F1, ignore=shutil.ignore_patterns("quizzes"))
    (root / "courses" / F1 / "projects").mkdir()
    shutil.copy(HERE / "brief.yaml", root / "courses" / F1 / "projects" / "scan.yaml")
    load_all(root)
    return root


@pytest.fixture
def people(content):
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


@pytest.fixture
def final_reason_migration():
    """Revision 0019's module (its conversions between the old sentences and the stored facts)."""
    import importlib.util
    path = REPO_ROOT / "migrations" / "versions" / "0019_final_reason_facts.py"
    spec = importlib.util.spec_from_file_location("migration_0019_final_reason_facts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
