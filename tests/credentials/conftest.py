"""The credentials tests' fixture ``world``: a holder certified for real."""
import pytest
from sqlalchemy import select

from lms.credentials import keys
from lms.credentials.models import Credential
from lms.extensions import db
from tests.factories import make_user
from tests.factories.content import F1


@pytest.fixture
def world(app, loaded):
    """The shipped content, a signing key, an instructor of F1, an admin, and a holder who completed F1 for
    real (every lesson, every required exam sat and graded) and so was certified automatically."""
    keys.create_key()
    from lms.catalog.models import Course, CourseInstructor
    from lms.demo import certified_holder
    teacher = make_user(("instructor",), "teacher@example.com")
    admin = make_user(("admin",), "admin@example.com")
    holder = make_user(("trainee",), "holder@example.com", name_zh="刘洋", name_latin="Liu Yang")
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.instructors.append(CourseInstructor(user_id=teacher.id))
    from lms.catalog import services as catalog
    certified_holder(holder, teacher, catalog.course_by_slug(F1))
    db.session.commit()
    cred = db.session.scalar(select(Credential))
    return {"teacher": teacher, "admin": admin, "holder": holder, "cred": cred}
