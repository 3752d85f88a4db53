"""The wallet tests' fixture ``holder``: a holder certified for real, with a signing key."""
import pytest
from sqlalchemy import select

from lms.credentials import keys
from lms.credentials.models import Credential
from lms.extensions import db
from tests.factories import make_user
from tests.factories.content import F1


@pytest.fixture
def holder(app, loaded):
    keys.create_key()
    from lms.catalog import services as catalog
    from lms.catalog.models import CourseInstructor
    from lms.demo import certified_holder
    teacher = make_user(("instructor",), "teacher@example.com")
    admin = make_user(("admin",), "admin@example.com")
    person = make_user(("trainee",), "holder@example.com", name_zh="刘洋", name_latin="Liu Yang")
    course = catalog.course_by_slug(F1)
    course.instructors.append(CourseInstructor(user_id=teacher.id))
    certified_holder(person, teacher, course)
    db.session.commit()
    cred = db.session.scalar(select(Credential).where(Credential.holder_id == person.id))
    assert cred is not None and cred.state == "active"
    return {"user": person, "admin": admin, "cred": cred}
