"""An instructor changes the mark of any answer of a finished attempt from its review, with a comment (Moodle's
"Make comment or override mark"): the attempt's total, the trainee's review and the competency evidence follow."""
import re

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessment.models import Attempt, Question
from lms.extensions import db
from lms.frameworks.models import Evidence
from tests.factories import login
from tests.factories.exams import _answer_all_right, _start


def _finished_with_one_wrong(app, client, quiz):
    """The trainee answers every question right but the first machine-graded one, left blank, and submits;
    the essay waits for a person."""
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    answers = _answer_all_right(att)
    first_auto = next(i for i in att.items if i.version.spec["qtype"] != "essay")
    for pos, response in answers.items():
        if pos != first_auto.position:
            client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    return teacher, db.session.get(Attempt, att.id), first_auto.position


def test_an_instructor_changes_a_machine_mark_on_the_review_and_everything_follows(app, client, quiz, users):
    teacher, att, pos = _finished_with_one_wrong(app, client, quiz)
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")
    review = teacher.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert review.count("Change the mark or comment") == len(att.items) - 1     # every graded answer
    assert re.search(r'<details class="override" open>\s*<summary>Grade this answer', review)   # the essay waits
    assert f'action="/teach/grading/{att.public_id}/{pos}"' in review
    essay_points = teacher.post(f"/teach/grading/{att.public_id}/{essay.position}",
                                data={"points": "2", "back": "review"})
    assert essay_points.headers["Location"].endswith(f"/attempts/{att.public_id}/review#q{essay.position}")
    db.session.expire_all()
    att = db.session.get(Attempt, att.id)
    assert att.state == "graded" and att.score == 5            # all but the blank one-mark answer
    resp = teacher.post(f"/teach/grading/{att.public_id}/{pos}",
                        data={"points": "1", "comment": "Accepted on appeal: the answer was on paper.", "back": "review"})
    assert resp.headers["Location"].endswith(f"#q{pos}")
    db.session.expire_all()
    att = db.session.get(Attempt, att.id)
    assert att.score == 6 and att.percent == 100
    item = next(i for i in att.items if i.position == pos)
    assert item.fraction == 1 and item.grader_id == db.session.scalar(select(User.id).where(User.email == "teacher@example.com"))
    # the evidence log gains a row for the changed answer; the latest row is the one that counts
    rows = db.session.scalars(select(Evidence).where(Evidence.reference == f"{att.public_id}#{pos}")
                              .order_by(Evidence.id)).all()
    assert [(r.source, r.fraction) for r in rows] == [("quiz", 0.0), ("regrade", 1.0)]
    # the trainee's review shows the new mark and the comment; the form is the instructor's only
    mine = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "Result: 100%" in mine and "Accepted on appeal: the answer was on paper." in mine
    assert "Change the mark or comment" not in mine and "/teach/grading/" not in mine
    # the form now starts from the mark and comment given
    again = teacher.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert re.search(rf'id="points-{item.id}"[^>]*value="1"', again)


def test_a_mark_out_of_range_or_from_someone_else_changes_nothing(app, client, quiz, users):
    teacher, att, pos = _finished_with_one_wrong(app, client, quiz)
    before = db.session.scalar(select(Evidence.id).order_by(Evidence.id.desc()).limit(1))
    for points in ("5", "-1", "nan", "lots"):
        resp = teacher.post(f"/teach/grading/{att.public_id}/{pos}", data={"points": points, "back": "review"},
                            follow_redirects=True)
        assert "The grade must be between 0 and the question&#39;s mark." in resp.get_data(as_text=True)
    assert client.post(f"/teach/grading/{att.public_id}/{pos}", data={"points": "1"}).status_code == 403
    db.session.expire_all()
    item = next(i for i in db.session.get(Attempt, att.id).items if i.position == pos)
    assert item.fraction == 0 and item.comment is None
    assert db.session.scalar(select(Evidence.id).order_by(Evidence.id.desc()).limit(1)) == before


def test_a_key_correction_keeps_the_marks_a_person_gave(app, client, quiz, users):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    auto = [i for i in att.items if i.version.spec["qtype"] != "essay"]
    lowered, untouched = auto[0], auto[1]
    teacher.post(f"/teach/grading/{att.public_id}/{lowered.position}",
                 data={"points": "0", "comment": "Copied from a neighbour's paper.", "back": "review"})
    # the key of both questions is "corrected" (a new version): the regrade recomputes the machine's marks only
    from lms.assessment import banks
    for item in (lowered, untouched):
        q = db.session.get(Question, item.question_id)
        banks.add_version(q, q.current.spec, q.category, q.bank.language)
        db.session.commit()
        resp = teacher.post(f"/teach/questions/{q.public_id}/regrade/1", follow_redirects=True)
        kept = "1 marks that an instructor gave by hand were kept." in resp.get_data(as_text=True)
        assert kept is (item is lowered)
    db.session.expire_all()
    items = {i.position: i for i in db.session.get(Attempt, att.id).items}
    assert items[lowered.position].fraction == 0 and items[lowered.position].comment.startswith("Copied")
    assert items[untouched.position].fraction == 1 and items[untouched.position].graded_version_id is not None


def test_nobody_grades_their_own_attempt_nor_another_courses(app, client, quiz, users):
    from lms.catalog import services as catalog
    from lms.catalog.models import Course
    from tests.factories import make_user
    course = db.session.get(Course, quiz.course_id)
    catalog.enrol(users["instructor"], course)
    db.session.commit()
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    own = _start(teacher, quiz)                                    # the instructor sits the exam to try it
    teacher.post(f"/attempts/{own.public_id}/answer", json={"position": 1, "response": 0})
    teacher.post(f"/attempts/{own.public_id}/submit")
    review = teacher.get(f"/attempts/{own.public_id}/review").get_data(as_text=True)
    assert "Change the mark or comment" not in review and "Grade this answer" not in review
    assert teacher.post(f"/teach/grading/{own.public_id}/1", data={"points": "1"}).status_code == 403
    assert own.public_id not in teacher.get("/teach/grading").get_data(as_text=True)
    # an instructor of another course neither sees nor changes this course's answers
    make_user(("instructor",), "elsewhere@example.com")
    elsewhere = app.test_client()
    login(elsewhere, "elsewhere@example.com")
    assert elsewhere.get(f"/attempts/{own.public_id}/review").status_code == 404
    assert elsewhere.post(f"/teach/grading/{own.public_id}/1", data={"points": "1"}).status_code == 403
    db.session.expire_all()
    assert {i.grader_id for i in db.session.get(Attempt, own.id).items} == {None}


def test_a_mark_shown_rounded_and_sent_back_with_a_new_comment_stays_as_it_was(app, client, quiz, users):
    teacher, att, _pos = _finished_with_one_wrong(app, client, quiz)
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")        # out of 2 marks
    teacher.post(f"/teach/grading/{att.public_id}/{essay.position}", data={"points": str(2 / 3)})
    db.session.expire_all()
    exact = next(i for i in db.session.get(Attempt, att.id).items if i.position == essay.position).fraction
    review = teacher.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    shown = re.search(rf'id="points-{essay.id}"[^>]*value="([^"]+)"', review).group(1)
    assert shown == "0.666667"
    evidence_before = db.session.scalar(select(func.count()).select_from(Evidence))
    teacher.post(f"/teach/grading/{att.public_id}/{essay.position}",
                 data={"points": shown, "comment": "Clearer now.", "back": "review"})
    db.session.expire_all()
    item = next(i for i in db.session.get(Attempt, att.id).items if i.position == essay.position)
    assert item.fraction == exact and item.comment == "Clearer now."
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == evidence_before
