"""Content the tests build on: the course F1's slug, the small exam bank of the assessment tests, files."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from lms.catalog.models import Course, CourseInstructor
from lms.config import REPO_ROOT
from lms.extensions import db

F1 = "f1-system-policy-ethics"
PROJECTS_DIR = REPO_ROOT / "tests" / "projects"          # brief.yaml, the test brief
HERE = PROJECTS_DIR
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

BANK = """$CATEGORY: $course$/top/TTM/D1/D1.1

// [id:X-1] [tag:level-F] [tag:m1]
::One::Which route turns a patent into shares? {
=Capital contribution#SECRET-RIGHT-FEEDBACK
~Licence#SECRET-WRONG-FEEDBACK
####SECRET-GENERAL-FEEDBACK}

// [id:X-2] [tag:level-F] [tag:m1]
::Two::A licence transfers ownership.{F#SECRET-TF-WRONG#SECRET-TF-RIGHT}

// [id:X-3] [tag:level-F] [tag:m1]
::Three::Default minimum share of net income for the team (%)? {#50:0}

// [id:X-4] [tag:level-F] [tag:m1]
::Four::Match. {=Licence -> use =Assignment -> ownership = -> shares}

// [id:X-5] [tag:level-F] [tag:m1]
::Five::Name the national programme's organiser. {=Torch Centre =Torch}

$CATEGORY: $course$/top/TTM/D1/D1.3

// [id:X-6] [tag:level-F]
::Essay::Describe a conflict of interest and how you managed it. {####Look for disclosure and recusal.}
"""


def office(kind: str) -> bytes:
    """A minimal Office Open XML file of ``kind`` (docx, xlsx, pptx)."""
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}[kind]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return buf.getvalue()


def belongs_to_f1(bank, *teachers):
    """Give the bank the course F1 (whose instructors manage it) and make these people F1's instructors."""
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    bank.course_id = course.id
    for person in teachers:
        if not any(ci.user_id == person.id for ci in course.instructors):
            course.instructors.append(CourseInstructor(user_id=person.id))
    db.session.commit()
    return course
