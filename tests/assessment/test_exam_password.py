"""An exam held in a room starts only with the password the invigilator gives (Moodle's "Require password"),
whichever way it starts; an attempt already open goes on without it."""
import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, Quiz
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from tests.factories import login
from tests.factories.content import F1


def _open(user):
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user.id, Attempt.state == "open"))


def _teacher(app):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    return teacher


def test_an_exam_with_a_password_starts_only_with_it_by_either_way_of_starting(app, client, quiz, users):
    teacher = _teacher(app)
    resp = teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "  ROOM-42 "})
    assert "Trainees now need the password" in teacher.get(resp.headers["Location"]).get_data(as_text=True)
    assert db.session.get(Quiz, quiz.id).password == "ROOM-42"
    login(client, "trainee@example.com")
    page = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)      # draws the attempt ahead
    assert 'type="password" id="exam-password" name="password"' in page and "ROOM-42" not in page
    for given in (None, "", "room-41", "ROOM-4"):
        data = {} if given is None else {"password": given}
        refused = client.post(f"/quizzes/{quiz.public_id}/start", data=data, follow_redirects=True)
        assert "That is not the exam&#39;s password." in refused.get_data(as_text=True)
        assert _open(users["trainee"]) is None
    assert client.post(f"/quizzes/{quiz.public_id}/start", data={"password": " ROOM-42\t"}).status_code == 302
    att = _open(users["trainee"])                        # the attempt drawn ahead, now open
    assert att is not None and att.number == 1
    # an attempt already open goes on without the password
    assert client.get(f"/attempts/{att.public_id}").status_code == 200
    again = client.post(f"/quizzes/{quiz.public_id}/start")
    assert again.headers["Location"].endswith(f"/attempts/{att.public_id}")
    # the ordinary start (nothing drawn ahead) asks for it too
    catalog.enrol(users["other"], db.session.scalar(select(Course).where(Course.slug == F1)))
    db.session.commit()
    other = app.test_client()
    login(other, "other@example.com")
    other.post(f"/quizzes/{quiz.public_id}/start", data={"password": "nope"})
    assert _open(users["other"]) is None
    other.post(f"/quizzes/{quiz.public_id}/start", data={"password": "ROOM-42"})
    assert _open(users["other"]) is not None


def test_the_password_is_the_instructors_to_set_and_to_remove(app, client, quiz, users):
    teacher = _teacher(app)
    page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert 'id="set-password" name="password" value=""' in page
    long = teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "x" * 101},
                        follow_redirects=True)
    assert "at most 100 characters" in long.get_data(as_text=True)
    teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "ROOM-42"})
    login(client, "trainee@example.com")
    assert client.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": ""}).status_code == 403
    assert db.session.get(Quiz, quiz.id).password == "ROOM-42"
    resp = teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": ""}, follow_redirects=True)
    assert "no longer needs a password" in resp.get_data(as_text=True)
    assert 'id="exam-password"' not in client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    assert _open(users["trainee"]) is not None


@pytest.mark.own_database      # the counts are committed on a connection of their own, as in production
def test_guessing_the_password_from_home_is_stopped_after_ten_tries(app, client, quiz, users):
    from lms.extensions import limiter
    limiter.reset()
    _teacher(app).post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "ROOM-42"})
    login(client, "trainee@example.com")
    for i in range(10):
        assert client.post(f"/quizzes/{quiz.public_id}/start", data={"password": f"guess-{i}"}).status_code == 302
    assert client.post(f"/quizzes/{quiz.public_id}/start", data={"password": "ROOM-42"}).status_code == 429
    assert _open(users["trainee"]) is None
    # another trainee in the same room is not held up by it
    catalog.enrol(users["other"], db.session.scalar(select(Course).where(Course.slug == F1)))
    db.session.commit()
    other = app.test_client()
    login(other, "other@example.com")
    assert other.post(f"/quizzes/{quiz.public_id}/start", data={"password": "ROOM-42"}).status_code == 302
    assert _open(users["other"]) is not None
    limiter.reset()


def test_a_short_password_is_refused_and_the_form_says_the_minimum(app, client, quiz, users):
    teacher = _teacher(app)
    page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert 'minlength="6"' in page and "At least 6 and at most 100 characters." in page
    teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "ROOM-42"})
    for short in ("1", "abc", " 12345 "):
        resp = teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": short},
                            follow_redirects=True)
        assert "The password must be at least 6 characters long; it was not changed." in resp.get_data(as_text=True)
        assert db.session.get(Quiz, quiz.id).password == "ROOM-42"
    teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "123456"})
    assert db.session.get(Quiz, quiz.id).password == "123456"
    teacher.post("/lang", data={"lang": "zh_Hans", "next": "/"})         # and in Chinese
    resp = teacher.post(f"/teach/quizzes/{quiz.public_id}/password", data={"password": "abc"}, follow_redirects=True)
    assert "密码至少需要 6 个字符" in resp.get_data(as_text=True)


def test_the_longest_password_in_the_message_is_the_limit_itself(app, monkeypatch):
    from lms.assessment import starting
    from lms.assessment.errors import ExamError
    monkeypatch.setattr(starting, "PASSWORD_MAX_LENGTH", 40)
    assert starting.clean_password("x" * 40) == "x" * 40
    with app.test_request_context(), pytest.raises(ExamError, match="at most 40 characters"):
        starting.clean_password("x" * 41)
