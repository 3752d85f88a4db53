"""A person's own terms for an exam: extra time (e.g. an accessibility accommodation) and extra attempts, set by
the exam's instructors, applied by both ways of starting, and moving the clock of an attempt already open."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.assessment.models import Attempt, QuizOverride
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from tests.factories import login
from tests.factories.content import F1


def _teacher(app):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    return teacher


def _give(teacher, quiz, email, minutes=0, attempts=0, reason=""):
    return teacher.post(f"/teach/quizzes/{quiz.public_id}/overrides",
                        data={"email": email, "extra_minutes": str(minutes), "extra_attempts": str(attempts),
                              "reason": reason})


def _latest(user):
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user.id, Attempt.state != "prepared")
                             .order_by(Attempt.id.desc()))


def _length(att) -> timedelta:
    return att.deadline - att.started_at


def _errors(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', html)


def test_extra_time_lengthens_the_clock_whichever_way_the_attempt_starts(app, client, quiz, users):
    teacher = _teacher(app)
    resp = _give(teacher, quiz, "trainee@example.com", minutes=15, reason="Accessibility plan")
    assert resp.status_code == 302
    page = teacher.get(resp.headers["Location"]).get_data(as_text=True)
    assert "trainee@example.com" in page and "15 min" in page and "Accessibility plan" in page
    login(client, "trainee@example.com")
    quiz_page = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)   # draws the attempt ahead
    assert "35 minutes (including 15 minutes of extra time for you)" in quiz_page
    client.post(f"/quizzes/{quiz.public_id}/start")                                # the prepared attempt
    assert abs(_length(_latest(users["trainee"])) - timedelta(minutes=35)) < timedelta(seconds=2)
    # another trainee starts without the page having drawn anything: Start draws the attempt
    catalog.enrol(users["other"], db.session.scalar(select(Course).where(Course.slug == F1)))
    db.session.commit()
    _give(teacher, quiz, "other@example.com", minutes=10)
    other = app.test_client()
    login(other, "other@example.com")
    other.post(f"/quizzes/{quiz.public_id}/start")
    assert abs(_length(_latest(users["other"])) - timedelta(minutes=30)) < timedelta(seconds=2)
    results = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    assert "extra time: 15 min" in results and "extra time: 10 min" in results


def test_changing_the_extra_time_moves_the_clock_of_an_open_attempt(app, client, quiz, users):
    login(client, "trainee@example.com")
    client.post(f"/quizzes/{quiz.public_id}/start")
    att = _latest(users["trainee"])
    assert abs(_length(att) - timedelta(minutes=20)) < timedelta(seconds=2)
    teacher = _teacher(app)
    _give(teacher, quiz, "trainee@example.com", minutes=10)
    assert abs(_length(_latest(users["trainee"])) - timedelta(minutes=30)) < timedelta(seconds=2)
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert re.search(r'data-deadline="[^"]+"', html)
    trainee_id = users["trainee"].public_id
    assert teacher.post(f"/teach/quizzes/{quiz.public_id}/overrides/{trainee_id}/remove").status_code == 302
    assert abs(_length(_latest(users["trainee"])) - timedelta(minutes=20)) < timedelta(seconds=2)
    assert db.session.scalar(select(func.count()).select_from(QuizOverride)) == 0
    # removing again changes nothing
    assert teacher.post(f"/teach/quizzes/{quiz.public_id}/overrides/{trainee_id}/remove").status_code == 302


def test_an_extra_attempt_lets_a_person_start_again_after_using_the_exams_own(app, client, quiz, users):
    login(client, "trainee@example.com")
    for _ in range(2):                             # the quiz allows two attempts
        client.post(f"/quizzes/{quiz.public_id}/start")
        client.post(f"/attempts/{_latest(users['trainee']).public_id}/submit")
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "You have used all 2 attempts of this exam." in resp.get_data(as_text=True)
    _give(_teacher(app), quiz, "trainee@example.com", attempts=1)
    page = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert "3 (including 1 extra for you)" in page
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = _latest(users["trainee"])
    assert att.number == 3 and att.state == "open"
    client.post(f"/attempts/{att.public_id}/submit")
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "You have used all 3 attempts of this exam." in resp.get_data(as_text=True)


def test_terms_are_refused_with_the_reason_and_nothing_is_stored(app, quiz, users):
    teacher = _teacher(app)
    # the same answer for an address without an account and for someone not enrolled: the form tells nothing
    # about who has an account
    cases = [("nobody@example.com", 5, 0, "Nobody who sits this exam has the e-mail nobody@example.com."),
             ("other@example.com", 5, 0, "Nobody who sits this exam has the e-mail other@example.com."),
             ("trainee@example.com", 601, 0, "Extra time must be between 0 and 600 minutes."),
             ("trainee@example.com", 0, 11, "Extra attempts must be between 0 and 10."),
             ("trainee@example.com", "", 0, "Give a number of minutes (0 for none).")]
    for email, minutes, attempts, message in cases:
        resp = _give(teacher, quiz, email, minutes, attempts)
        assert resp.status_code == 200 and message in _errors(resp.get_data(as_text=True)), (email, message)
    assert db.session.scalar(select(func.count()).select_from(QuizOverride)) == 0
    _give(teacher, quiz, "trainee@example.com", minutes=5)
    _give(teacher, quiz, "trainee@example.com", minutes=0, attempts=0)        # 0 and 0: back to the exam's terms
    assert db.session.scalar(select(func.count()).select_from(QuizOverride)) == 0


def test_the_terms_page_is_for_the_exams_instructors_and_in_chinese(app, client, quiz, users):
    login(client, "trainee@example.com")
    assert client.get(f"/teach/quizzes/{quiz.public_id}/overrides").status_code == 403
    assert _give(client, quiz, "trainee@example.com", minutes=60).status_code == 403
    teacher = _teacher(app)
    teacher.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/overrides").get_data(as_text=True)
    main = html.split("<main", 1)[1]
    assert "额外时间与作答次数" in main and "Extra time" not in main
    quiz_page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert f'href="/teach/quizzes/{quiz.public_id}/overrides"' in quiz_page


def test_every_way_of_starting_applies_the_terms(app, quiz, users):
    """Starting an attempt drawn ahead, starting one drawn at Start, and the quiz page's drawing ahead each apply
    the extra minutes and attempts."""
    from lms.assessment import overrides, starting
    from lms.assessment.errors import ExamError
    trainee, teacher = users["trainee"], users["instructor"]
    overrides.set_override(quiz, trainee, 15, 1, "plan", teacher)
    db.session.commit()
    # the start of a prepared attempt
    assert starting.prepare(trainee, quiz, "en") is not None
    att = starting.start(trainee, quiz, "en")
    assert abs(_length(att) - timedelta(minutes=35)) < timedelta(seconds=2)
    from lms.assessment import exams
    exams.submit(att)
    att2 = starting.start(trainee, quiz, "en")      # drawn now
    assert abs(_length(att2) - timedelta(minutes=35)) < timedelta(seconds=2)
    exams.submit(att2)
    db.session.commit()
    # two attempts used of 2 + 1: the page still draws the third, and Start takes it
    assert starting.prepare(trainee, quiz, "en") is not None
    db.session.commit()
    third = starting.start(trainee, quiz, "en")
    assert third.number == 3 and abs(_length(third) - timedelta(minutes=35)) < timedelta(seconds=2)
    exams.submit(third)
    db.session.commit()
    # all three used: nothing is drawn, and once the extra attempt is taken back Start refuses a prepared one too
    assert starting.prepare(trainee, quiz, "en") is None
    overrides.set_override(quiz, trainee, 15, 2, "plan", teacher)
    db.session.commit()
    assert starting.prepare(trainee, quiz, "en") is not None
    overrides.set_override(quiz, trainee, 15, 1, "plan", teacher)
    db.session.commit()
    with pytest.raises(ExamError, match="used all 3 attempts"):
        starting.start(trainee, quiz, "en")


def test_extra_time_stops_at_the_exams_closing_and_taking_it_back_leaves_a_few_minutes(app, client, quiz, users):
    from lms.assessment import overrides
    from lms.db import utcnow
    quiz.close_at = utcnow() + timedelta(minutes=25)
    db.session.commit()
    overrides.set_override(quiz, users["trainee"], 15, 0, None, users["instructor"])
    db.session.commit()
    login(client, "trainee@example.com")
    client.post(f"/quizzes/{quiz.public_id}/start")
    att = _latest(users["trainee"])
    assert abs(att.deadline - quiz.close_at) < timedelta(seconds=1)          # 20 + 15 minutes, cut at 25
    quiz.close_at = None
    att.started_at = utcnow() - timedelta(minutes=18)                          # 18 of 35 minutes used
    att.deadline = att.started_at + timedelta(minutes=35)
    db.session.commit()
    overrides.remove_override(quiz, users["trainee"])                           # its own 20 would end in 2
    db.session.commit()
    left = _latest(users["trainee"]).deadline - utcnow()
    assert timedelta(minutes=4, seconds=55) < left <= timedelta(minutes=5)
