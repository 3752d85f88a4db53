"""The grading queue by exam and by question (Moodle's manual grading report): a grader takes every answer to
one question in turn, and stays there after each grade."""
from sqlalchemy import select

from lms.assessment.models import Attempt, Question
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from tests.factories import login


def _sit(app, email, quiz, essay_text):
    c = app.test_client()
    login(c, email)
    assert c.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")
    c.post(f"/attempts/{att.public_id}/answer", json={"position": essay.position, "response": essay_text})
    c.post(f"/attempts/{att.public_id}/submit")
    return att, essay.position


def test_the_queue_is_grouped_by_exam_and_question_and_keeps_the_choice_after_each_grade(app, quiz, users):
    catalog.enrol(users["other"], db.session.get(Course, quiz.course_id))
    db.session.commit()
    first, pos1 = _sit(app, "trainee@example.com", quiz, "I declared my shares and left the committee.")
    second, pos2 = _sit(app, "other@example.com", quiz, "I told nobody.")
    essay = db.session.scalar(select(Question).where(Question.idnumber == "X-6"))
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    page = teacher.get("/teach/grading").get_data(as_text=True)
    assert "2 answers waiting" in page and "Grade by exam or by question" in page
    link = f"/teach/grading?quiz={quiz.public_id}&amp;question={essay.public_id}"
    assert f'href="{link}"' in page and "X-6 · Essay" in page and "2 waiting" in page
    assert "trainee@example.com" not in page and "other@example.com" not in page     # graded blind
    one = teacher.get(f"/teach/grading?quiz={quiz.public_id}&question={essay.public_id}").get_data(as_text=True)
    assert "Module 1 quiz · X-6 · Essay" in one and one.count('class="card"') == 2
    assert f'name="quiz" value="{quiz.public_id}"' in one and f'name="question" value="{essay.public_id}"' in one
    refused = teacher.post(f"/teach/grading/{first.public_id}/{pos1}",
                           data={"points": "7", "quiz": quiz.public_id, "question": essay.public_id})   # above the mark
    assert refused.headers["Location"].endswith(f"/teach/grading?quiz={quiz.public_id}&question={essay.public_id}")
    resp = teacher.post(f"/teach/grading/{first.public_id}/{pos1}",
                        data={"points": "2", "comment": "Clear.", "quiz": quiz.public_id, "question": essay.public_id})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/teach/grading?quiz={quiz.public_id}&question={essay.public_id}")
    after = teacher.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1 answer waiting" in after and "I told nobody." in after and "left the committee" not in after
    # a filter naming nothing in the grader's queue shows the whole queue, not an empty or foreign one
    other_page = teacher.get("/teach/grading?quiz=not-an-exam").get_data(as_text=True)
    assert "I told nobody." in other_page and "Show every answer waiting" not in other_page
