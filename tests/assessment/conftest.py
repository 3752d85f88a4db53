"""The assessment tests' shared fixture: a small timed quiz with its own bank, the trainee enrolled."""
import pytest
from sqlalchemy import select

from lms.assessment import banks
from lms.assessment.models import Quiz, QuizSection
from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseInstructor
from lms.extensions import db

F1 = "f1-system-policy-ethics"
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


@pytest.fixture
def quiz(app, loaded, users):
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


def belongs_to_f1(bank, *teachers):
    """Give the bank the course F1 (whose instructors manage it) and make these people F1's instructors."""
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    bank.course_id = course.id
    for person in teachers:
        if not any(ci.user_id == person.id for ci in course.instructors):
            course.instructors.append(CourseInstructor(user_id=person.id))
    db.session.commit()
    return course
