"""A question's status (Moodle's Ready / Draft): a draft is never drawn at random into an exam, but an exam that
names it still shows it; marking it draft redraws the attempts drawn ahead that show it."""
from sqlalchemy import select

from lms.accounts.services import register
from lms.assessment import starting
from lms.assessment.models import Attempt, Question
from lms.extensions import db
from tests.factories import login


def _question(idnumber):
    return db.session.scalar(select(Question).where(Question.idnumber == idnumber))


def test_a_draft_is_never_drawn_at_random_but_still_shown_where_an_exam_names_it(app, client, quiz, users):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    x1 = _question("X-1")
    page = teacher.get(f"/teach/questions/{x1.public_id}").get_data(as_text=True)
    assert "Ready" in page and "Mark as draft" in page
    resp = teacher.post(f"/teach/questions/{x1.public_id}/status", data={"status": "draft"})
    assert resp.status_code == 302
    assert "Marked as draft" in teacher.get(resp.headers["Location"]).get_data(as_text=True)
    assert _question("X-1").status == "draft"
    # the quiz draws 4 of the 5 questions tagged m1 at random: now always the 4 ready ones
    for i in range(6):
        u = register(f"s{i}@example.com", "long-password-1", roles=("trainee",))
        att = starting.start(u, quiz, "en", seed=i)
        assert x1.id not in {item.question_id for item in att.items}
    db.session.commit()
    # a section that names the question still shows it
    quiz.sections[1].idnumbers = ["X-1"]
    db.session.commit()
    att = starting.start(register("named@example.com", "long-password-1", roles=("trainee",)), quiz, "en", seed=1)
    assert x1.id in {item.question_id for item in att.items}
    db.session.commit()
    # the bank's list marks it and filters by status
    drafts = teacher.get("/teach/questions?status=draft").get_data(as_text=True)
    assert "1 question<" in drafts and "X-1" in drafts
    assert "X-1" not in teacher.get("/teach/questions?status=ready&q=X-1").get_data(as_text=True).split("</form>")[1]
    teacher.post(f"/teach/questions/{x1.public_id}/status", data={"status": "ready"})
    assert _question("X-1").status == "ready"


def test_marking_a_question_draft_redraws_the_attempts_drawn_ahead_that_show_it(app, client, quiz, users):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")                       # draws the trainee's attempt ahead
    prepared = db.session.scalar(select(Attempt).where(Attempt.state == "prepared"))
    prepared_id = prepared.id
    drawn = [i.question_id for i in prepared.items if i.version.spec["qtype"] != "essay"]   # X-6 is named
    drafted = db.session.get(Question, drawn[0])
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    teacher.post(f"/teach/questions/{drafted.public_id}/status", data={"status": "draft"})
    db.session.expire_all()
    assert db.session.scalar(select(Attempt.id).where(Attempt.id == prepared_id)) is None
    client.post(f"/quizzes/{quiz.public_id}/start")
    started = db.session.scalar(select(Attempt).where(Attempt.state == "open"))
    assert drafted.id not in {i.question_id for i in started.items}


def test_only_instructors_set_a_status_and_only_ready_or_draft(app, client, quiz, users):
    x1 = _question("X-1")
    login(client, "trainee@example.com")
    assert client.post(f"/teach/questions/{x1.public_id}/status", data={"status": "draft"}).status_code == 403
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    assert teacher.post(f"/teach/questions/{x1.public_id}/status", data={"status": "hidden"}).status_code == 400
    assert _question("X-1").status == "ready"
