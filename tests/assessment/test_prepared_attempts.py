"""Attempts drawn ahead of time: the quiz page draws the person's next attempt, unstarted, so that Start only
sets the clock when a cohort starts at once. A prepared attempt is never shown, counted or graded."""
from datetime import timedelta

from sqlalchemy import func, select

from lms.assessment import banks, starting
from lms.assessment.models import Attempt, AttemptItem, AttemptState, Question
from lms.catalog.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from tests.factories import login


def _attempts(quiz):
    db.session.expire_all()
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.id)))


def _items(att):
    return list(db.session.execute(select(AttemptItem.id, AttemptItem.position, AttemptItem.version_id)
                                   .where(AttemptItem.attempt_id == att.id).order_by(AttemptItem.position)))


def test_the_quiz_page_prepares_the_attempt_and_start_opens_it_with_its_clock_set_then(client, quiz):
    login(client, "trainee@example.com")
    html = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    [prepared] = _attempts(quiz)
    assert prepared.state == AttemptState.PREPARED and prepared.deadline is None and len(_items(prepared)) == 5
    assert prepared.public_id not in html and "Attempt 1" not in html       # not an attempt yet, nor shown
    drawn = _items(prepared)
    # its questions are not reachable before it starts
    assert client.get(f"/attempts/{prepared.public_id}").status_code == 404
    assert client.get(f"/attempts/{prepared.public_id}/review").status_code == 404
    assert client.post(f"/attempts/{prepared.public_id}/answer", json={"position": 1, "response": "0"}).status_code == 404
    client.get(f"/quizzes/{quiz.public_id}")                                 # a second visit draws nothing more
    assert len(_attempts(quiz)) == 1
    prepared.started_at = utcnow() - timedelta(hours=5)                     # the clock starts at Start, not before
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.public_id}/start")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/attempts/{prepared.public_id}")
    [att] = _attempts(quiz)
    assert att.state == "open" and att.number == 1 and _items(att) == drawn
    assert abs(att.deadline - utcnow() - timedelta(minutes=20)) < timedelta(seconds=5)
    assert "Question 1" in client.get(f"/attempts/{att.public_id}").get_data(as_text=True)


def test_a_prepared_attempt_starts_only_when_start_allows_it(client, quiz, users):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")
    [prepared] = _attempts(quiz)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["trainee"].id,
                                                          Enrolment.course_id == quiz.course_id))
    db.session.delete(enrolment)
    db.session.commit()
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 404       # no longer enrolled
    assert [a.state for a in _attempts(quiz)] == [AttemptState.PREPARED]
    db.session.add(Enrolment(user_id=users["trainee"].id, course_id=quiz.course_id))
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.public_id}/start")
    assert resp.headers["Location"].endswith(f"/attempts/{prepared.public_id}")
    resp = client.post(f"/quizzes/{quiz.public_id}/start")                          # started: resumed, not drawn again
    assert resp.headers["Location"].endswith(f"/attempts/{prepared.public_id}")
    assert [a.state for a in _attempts(quiz)] == ["open"]


def test_a_prepared_attempt_waits_for_the_exam_to_open_and_is_refused_after_it_closed(client, quiz):
    quiz.open_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")              # trainees wait on the quiz page before the exam opens
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "This exam opens on" in resp.get_data(as_text=True)
    assert [a.state for a in _attempts(quiz)] == [AttemptState.PREPARED]
    quiz.open_at, quiz.close_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=1)
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "This exam closed on" in resp.get_data(as_text=True)
    assert [a.state for a in _attempts(quiz)] == [AttemptState.PREPARED]
    starting.discard_prepared(quiz_ids=[quiz.id])
    db.session.commit()
    client.get(f"/quizzes/{quiz.public_id}")              # after the exam closed nothing is drawn any more
    assert _attempts(quiz) == []


def test_an_ended_session_or_a_disabled_account_cannot_start_a_prepared_attempt(client, quiz, users):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")
    trainee = db.session.get(type(users["trainee"]), users["trainee"].id)
    trainee.session_version += 1
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.public_id}/start")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    login(client, "trainee@example.com")
    trainee = db.session.get(type(users["trainee"]), users["trainee"].id)
    trainee.active = False
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.public_id}/start")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert [a.state for a in _attempts(quiz)] == [AttemptState.PREPARED]


def test_starting_in_another_language_draws_again_and_prepared_attempts_are_not_counted(client, quiz):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")                  # prepared in English
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    client.post(f"/quizzes/{quiz.public_id}/start")
    [att] = _attempts(quiz)
    assert att.state == "open" and att.language == "zh" and att.number == 1
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")
    client.post(f"/attempts/{att.public_id}/answer", json={"position": essay.position, "response": "申报并回避。"})
    client.post(f"/attempts/{att.public_id}/submit")
    client.post("/lang", data={"lang": "en", "next": "/"})
    html = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)   # prepares attempt 2
    assert [(a.number, a.state) for a in _attempts(quiz)] == [(1, "submitted"), (2, AttemptState.PREPARED)]  # an essay
    assert "Attempt 1" in html and "Attempt 2" not in html and "Start a new attempt" in html
    second = _attempts(quiz)[1]
    client.post(f"/quizzes/{quiz.public_id}/start")
    client.post(f"/attempts/{second.public_id}/submit")
    client.get(f"/quizzes/{quiz.public_id}")                  # both attempts used: nothing is prepared
    assert len(_attempts(quiz)) == 2
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "used all 2 attempts" in resp.get_data(as_text=True)


def test_reading_the_quiz_page_in_the_other_language_draws_the_prepared_attempt_again(client, quiz):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")
    [english] = _attempts(quiz)
    english = (english.public_id, english.language)
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    client.get(f"/quizzes/{quiz.public_id}")
    [chinese] = _attempts(quiz)
    assert english[1] == "en" and chinese.public_id != english[0] and chinese.language == "zh" and chinese.state == AttemptState.PREPARED
    assert chinese.number == 1
    client.post(f"/quizzes/{quiz.public_id}/start")
    assert [(a.public_id, a.state) for a in _attempts(quiz)] == [(chinese.public_id, "open")]


def test_a_new_question_version_or_new_quiz_settings_throw_prepared_attempts_away(app, client, quiz):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")
    [prepared] = _attempts(quiz)
    essay = db.session.scalar(select(Question).where(Question.idnumber == "X-6"))
    spec = dict(essay.current.spec, text="Describe a conflict of interest, and what you disclosed.")
    banks.add_version(essay, spec, essay.category, "en")
    db.session.commit()
    assert _attempts(quiz) == []
    client.get(f"/quizzes/{quiz.public_id}")
    [again] = _attempts(quiz)
    assert essay.current.id in {r.version_id for r in _items(again)}
    from lms.assessment.quiz_editor import quiz_yaml, save_quiz
    course = db.session.get(Course, quiz.course_id)
    save_quiz(course, quiz.key, quiz_yaml(quiz).replace("time_limit_minutes: 20", "time_limit_minutes: 30"), quiz)
    db.session.commit()
    assert _attempts(quiz) == [] and db.session.scalar(select(func.count()).select_from(AttemptItem)) == 0


def test_lms_exams_prepare_draws_the_cohorts_attempts_in_each_persons_language(app, runner, client, quiz, users):
    from lms.accounts.services import register
    from lms.catalog import services as catalog
    second = register("second@example.com", "long-password-1", roles=("trainee",))
    second.locale = "zh_Hans"
    catalog.enrol(second, db.session.get(Course, quiz.course_id))
    db.session.commit()
    bad = runner.invoke(args=["exams", "prepare", "no-such-course/m1-quiz"])
    assert bad.exit_code != 0 and "no quiz 'no-such-course/m1-quiz'" in bad.output
    course = db.session.get(Course, quiz.course_id)
    typo = runner.invoke(args=["exams", "prepare", f"{course.slug}/m1"])
    assert typo.exit_code != 0 and "that course's quizzes: m1-quiz" in typo.output
    course = db.session.get(Course, quiz.course_id)
    result = runner.invoke(args=["exams", "prepare", f"{course.slug}/{quiz.key}"])
    assert result.exit_code == 0 and "2 attempt(s) prepared; 0 person(s)" in result.output, result.output
    by_user = {a.user_id: a for a in _attempts(quiz)}
    assert by_user[users["trainee"].id].language == "en" and by_user[second.id].language == "zh"
    assert {a.state for a in by_user.values()} == {AttemptState.PREPARED}
    again = runner.invoke(args=["exams", "prepare", f"{course.slug}/{quiz.key}"])
    assert "0 attempt(s) prepared; 2 person(s)" in again.output
    login(client, "trainee@example.com")                 # the trainee starts the attempt prepared for them
    client.post(f"/quizzes/{quiz.public_id}/start")
    assert db.session.get(Attempt, by_user[users["trainee"].id].id).state == "open"


def test_an_instructor_draws_the_cohorts_attempts_from_the_quiz_page(client, quiz, users):
    login(client, "trainee@example.com")
    assert "Draw attempts ahead" not in client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    db.session.query(Attempt).delete()                 # the trainee's visit drew one: start from none
    db.session.commit()
    client.post("/logout")
    login(client, "teacher@example.com")
    page = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert "Draw attempts ahead" in page
    resp = client.post(f"/teach/quizzes/{quiz.public_id}/prepare", follow_redirects=True)
    assert "Attempts drawn ahead: 1. Not drawn: 0" in resp.get_data(as_text=True)
    trainee = [a for a in _attempts(quiz) if a.user_id == users["trainee"].id]
    assert [(a.state, a.language) for a in trainee] == [(AttemptState.PREPARED, "en")]


def test_an_instructor_looking_at_the_quiz_page_draws_nothing_but_can_still_start(client, quiz, users):
    login(client, "teacher@example.com")
    client.get(f"/quizzes/{quiz.public_id}")
    assert _attempts(quiz) == []                       # instructors' visits do not count as uses of questions
    client.post(f"/quizzes/{quiz.public_id}/start")
    assert [(a.user_id, a.state) for a in _attempts(quiz)] == [(users["instructor"].id, "open")]
