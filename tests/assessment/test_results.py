"""An exam's results page and CSV for its instructors: every started attempt, the grade that counts, the summary."""
import csv
import io
import re

from sqlalchemy import select

from lms.assessment.models import Attempt
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from tests.factories import login
from tests.factories.content import F1


def _answer_right(client, att):
    right = {"multichoice": 0, "truefalse": "false", "numerical": "50", "shortanswer": "torch centre",
             "match": {"0": "use", "1": "ownership"}}
    for item in att.items:
        qtype = item.version.spec["qtype"]
        if qtype in right:
            client.post(f"/attempts/{att.public_id}/answer", json={"position": item.position, "response": right[qtype]})


def _latest(user):
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id.desc()))


def _row_text(html: str) -> list[str]:
    """The rows of the first table (each person's attempts are a group of rows of their own)."""
    table = html.split("</thead>", 1)[1].split("</table>", 1)[0]
    assert table.count("<tbody>") == table.count('scope="rowgroup"')
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.split("</tr>")[:-1]]


def _exam_with_attempts(app, client, quiz, users):
    """The trainee: attempt 1 graded 100% (the essay graded by the teacher), attempt 2 in progress. The other
    trainee: enrolled, their attempt drawn ahead by the quiz page but not started."""
    login(client, "trainee@example.com")
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    first = _latest(users["trainee"])
    _answer_right(client, first)
    client.post(f"/attempts/{first.public_id}/submit")
    essay = next(i for i in first.items if i.version.spec["qtype"] == "essay")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    teacher.post(f"/teach/grading/{first.public_id}/{essay.position}", data={"points": "2"})
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    other = app.test_client()
    catalog.enrol(users["other"], db.session.scalar(select(Course).where(Course.slug == F1)))
    db.session.commit()
    login(other, "other@example.com")
    other.get(f"/quizzes/{quiz.public_id}")
    assert _latest(users["other"]).state == "prepared"
    return teacher, other, first



def _answer_the_essay(client, att):
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": essay.position, "response": "I declare it."})
    assert resp.json["saved"]

def test_the_results_show_every_started_attempt_and_the_grade_that_counts(app, client, quiz, users):
    teacher, other, first = _exam_with_attempts(app, client, quiz, users)
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    stats = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('class="grid stats"', 1)[1].split("</div>\n<p", 1)[0]))
    assert "1 / 2 people started, of those enrolled" in stats          # the drawn-ahead attempt is not a start
    assert "1 attempt in progress" in stats and "0 waiting for grading" in stats
    assert "1 person passed" in stats and "100% mean grade" in stats
    rows = _row_text(html)
    assert len(rows) == 2 and "other@example.com" not in html
    assert re.search(r"^User \d+ trainee@example\.com 1 graded .* \d+ min 100% 100% passed$", rows[0]), rows[0]
    assert re.search(r"^2 in progress (20|19) min left .* — —$", rows[1])
    assert f'href="/attempts/{first.public_id}/review"' in html
    # the other trainee starts and submits having answered the essay only: the essay waits for a person
    other.post(f"/quizzes/{quiz.public_id}/start")
    _answer_the_essay(other, _latest(users["other"]))
    other.post(f"/attempts/{_latest(users['other']).public_id}/submit")
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    assert "2 / 2" in html and "other@example.com" in html
    row = next(r for r in _row_text(html) if "other@example.com" in r)
    assert re.search(r"^User \d+ other@example\.com 1 waiting for grading .* \d+ min review waiting for grading$", row), row
    assert 'href="/teach/grading"' in html


def test_the_results_csv_has_a_row_per_attempt_with_machine_readable_values(app, client, quiz, users):
    teacher, _other, _first = _exam_with_attempts(app, client, quiz, users)
    resp = teacher.get(f"/teach/quizzes/{quiz.public_id}/results.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="m1-quiz-results.csv"'
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")                 # Excel opens the Chinese names as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["email"], r["attempt"], r["state"]) for r in rows] == [
        ("trainee@example.com", "1", "graded"), ("trainee@example.com", "2", "open")]
    graded, running = rows
    assert graded["percent"] == "100" and graded["score"] == "6" and graded["max_score"] == "6"
    assert graded["grade_that_counts"] == "100" and graded["passed"] == "yes" and graded["minutes"] != ""
    assert running["percent"] == running["submitted_utc"] == running["minutes"] == ""
    assert running["grade_that_counts"] == "100"     # the person's grade, on each of their rows


def test_the_results_are_for_the_exams_instructors_only_and_in_chinese(app, client, quiz, users):
    _exam_with_attempts(app, client, quiz, users)
    assert client.get(f"/teach/quizzes/{quiz.public_id}/results").status_code == 403          # the trainee
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    teacher.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    assert "<h1>结果: 模块一测验</h1>" in html
    assert "Results" not in html.split("<main", 1)[1] and "in progress" not in html
    quiz_page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert f'href="/teach/quizzes/{quiz.public_id}/results"' in quiz_page


def test_an_instructor_trying_the_exam_is_listed_apart_and_not_counted(app, client, quiz, users):
    teacher, _other, _first = _exam_with_attempts(app, client, quiz, users)
    teacher.post(f"/quizzes/{quiz.public_id}/start")
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    main, apart = html.split("Others who started this exam", 1)
    assert "teacher@example.com" not in main and "teacher@example.com" in apart
    assert "1 / 2" in main and "2 attempts in progress" not in main
    rows = list(csv.DictReader(io.StringIO(teacher.get(f"/teach/quizzes/{quiz.public_id}/results.csv")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["email"], r["enrolled"]) for r in rows][-1] == ("teacher@example.com", "no")


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(app, client, quiz, users):
    users["trainee"].name_latin = '=HYPERLINK("http://evil.example","click")'
    db.session.commit()
    teacher, _other, _first = _exam_with_attempts(app, client, quiz, users)
    text = teacher.get(f"/teach/quizzes/{quiz.public_id}/results.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example","click")'


def test_attempts_whose_time_is_up_are_submitted_from_the_results(app, client, quiz, users):
    from datetime import timedelta

    from lms.db import utcnow
    login(client, "trainee@example.com")
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = _latest(users["trainee"])
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    att.deadline = utcnow() + timedelta(seconds=30)             # less than a minute left: not yet "time is up"
    db.session.commit()
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    assert "1 min left" in html and "Submit it now" not in html
    att.deadline = utcnow() - timedelta(minutes=2)
    db.session.commit()
    html = teacher.get(f"/teach/quizzes/{quiz.public_id}/results").get_data(as_text=True)
    assert "1 attempt's time is up" in html and "Submit it now" in html
    # an overdue attempt of another exam is not this page's to submit
    from lms.assessment.models import Quiz, QuizSection
    second = Quiz(course_id=quiz.course_id, key="second", module_key=quiz.module_key, title_en="Second quiz",
                  title_zh="第二测验", time_limit_minutes=5, attempts_allowed=1, pass_mark=50)
    second.sections = [QuizSection(position=0, bank="exam", idnumbers=["X-1"])]
    db.session.add(second)
    db.session.commit()
    other = app.test_client()
    login(other, "teacher@example.com")
    other.post(f"/quizzes/{second.public_id}/start")
    elsewhere = db.session.scalar(select(Attempt).where(Attempt.quiz_id == second.id))
    elsewhere.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    resp = teacher.post(f"/teach/quizzes/{quiz.public_id}/close-overdue", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "1 attempt whose time was up was submitted." in page and "Submit it now" not in page
    assert _latest(users["trainee"]).state in ("submitted", "graded")
    db.session.expire_all()
    assert db.session.get(Attempt, elsewhere.id).state == "open"
    trainee = app.test_client()
    login(trainee, "other@example.com")
    assert trainee.post(f"/teach/quizzes/{quiz.public_id}/close-overdue").status_code == 403


def test_the_dashboard_leads_back_to_an_exam_left_open_and_to_the_answers_to_grade(app, client, quiz, users):
    login(client, "trainee@example.com")
    assert "Exams in progress" not in client.get("/dashboard").get_data(as_text=True)
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = _latest(users["trainee"])
    board = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/attempts/{att.public_id}"' in board and "Continue: Module 1 quiz" in board
    assert re.search(r"(19|20) minutes left", board)
    _answer_the_essay(client, att)
    client.post(f"/attempts/{att.public_id}/submit")            # the essay now waits for the teacher
    assert "Exams in progress" not in client.get("/dashboard").get_data(as_text=True)
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    assert "Exam answers to grade (1)" in teacher.get("/dashboard").get_data(as_text=True)
