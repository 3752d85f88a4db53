from sqlalchemy import select

from lms.catalog import services
from lms.catalog.models import Course, Enrolment
from lms.extensions import db
from tests.factories import login

F1 = "f1-system-policy-ethics"


def lessons_only(slug=F1):
    """Remove a course's exams so that the lesson part of the completion rule is tested alone
    (tests/assessment/test_exams.py covers the exams part)."""
    from lms.assessment.models import Quiz
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        db.session.delete(quiz)
    db.session.commit()


def test_catalogue_filters(client, loaded):
    page = client.get("/courses").get_data(as_text=True)
    assert "/courses/f1-system-policy-ethics" in page and "/courses/p4-valuation" in page
    page = client.get("/courses?level=E").get_data(as_text=True)
    assert "/courses/e2-complex-deals" in page and "/courses/f1-system-policy-ethics" not in page
    page = client.get("/courses?competency=D1.1").get_data(as_text=True)
    assert "/courses/f1-system-policy-ethics" in page and "/courses/p4-valuation" not in page
    page = client.get("/courses?competency=D4").get_data(as_text=True)  # a whole domain
    assert "/courses/p4-valuation" in page and "/courses/f1-system-policy-ethics" not in page
    page = client.get("/courses?q=赋权").get_data(as_text=True)
    assert "/courses/f1-system-policy-ethics" in page
    page = client.get("/courses?q=relief-from-royalty").get_data(as_text=True)
    assert "/courses/p4-valuation" in page
    page = client.get("/courses?q=zzzz-nothing").get_data(as_text=True)
    assert "No course matches" in page


def test_catalogue_query_count_does_not_grow_with_courses(client, loaded, count_queries):
    with count_queries() as n:
        client.get("/courses")
    assert n[0] <= 8, n[0]


def test_enrol_read_mark_done_progress_and_completion(client, users, loaded):
    lessons_only()
    login(client, "trainee@example.com")
    page = client.get(f"/courses/{F1}").get_data(as_text=True)
    assert "Enrol" in page
    resp = client.post(f"/courses/{F1}/enrol")
    assert resp.status_code == 302 and "/lessons/01-what-is-technology-transfer" in resp.headers["Location"]
    page = client.get(f"/courses/{F1}/lessons/01-what-is-technology-transfer").get_data(as_text=True)
    assert "<h2>" in page and "Mark as done" in page
    assert "02-actors-and-ecosystem" in page  # next lesson link
    resp = client.post(f"/courses/{F1}/lessons/01-what-is-technology-transfer/done", data={"done": "1", "advance": "1"})
    assert resp.headers["Location"].endswith("/lessons/02-actors-and-ecosystem")
    page = client.get(f"/courses/{F1}").get_data(as_text=True)
    assert "1 of 8 lessons done (12%)" in page and "1 of 3 lessons done (33%)" in page
    course = services.course_by_slug(F1)
    for lesson in course.lessons:
        client.post(f"/courses/{F1}/lessons/{lesson.key}/done", data={"done": "1"})
    e = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["trainee"].id))
    assert e.completed_at is not None
    dash = client.get("/dashboard").get_data(as_text=True)
    assert "Completed" in dash and "8 of 8 lessons done (100%)" in dash
    # un-marking a lesson re-opens the course
    client.post(f"/courses/{F1}/lessons/{course.lessons[0].key}/done", data={"done": "0"})
    db.session.refresh(e)
    assert e.completed_at is None


def test_lessons_need_enrolment(client, users, loaded):
    login(client, "trainee@example.com")
    resp = client.get(f"/courses/{F1}/lessons/01-what-is-technology-transfer")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/courses/{F1}")
    assert client.post(f"/courses/{F1}/lessons/01-what-is-technology-transfer/done").status_code == 302
    assert db.session.scalar(select(Enrolment)) is None


def test_prerequisites_are_enforced_with_a_clear_message(client, users, loaded):
    lessons_only()
    f4 = db.session.scalar(select(Course).where(Course.slug == "f4-commercialisation-contracts"))
    f4.status = "published"
    for lesson in f4.lessons:
        lesson.body_en = "Text."
    db.session.commit()
    login(client, "trainee@example.com")
    resp = client.post("/courses/f4-commercialisation-contracts/enrol", follow_redirects=True)
    assert "Complete the prerequisite courses first: F1." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Enrolment)) is None
    course = services.course_by_slug(F1)
    client.post(f"/courses/{F1}/enrol")
    for lesson in course.lessons:
        client.post(f"/courses/{F1}/lessons/{lesson.key}/done", data={"done": "1"})
    resp = client.post("/courses/f4-commercialisation-contracts/enrol")
    assert resp.status_code == 302
    assert db.session.scalar(select(Enrolment).where(Enrolment.course_id == f4.id)) is not None


def test_outline_courses_are_visible_but_not_open(client, users, loaded):
    login(client, "trainee@example.com")
    page = client.get("/courses/p4-valuation").get_data(as_text=True)
    assert "Outline" in page and "Enrolment opens when it is published" in page
    resp = client.post("/courses/p4-valuation/enrol", follow_redirects=True)
    assert "not open for enrolment" in resp.get_data(as_text=True)


def test_draft_courses_are_hidden_from_trainees(client, users, loaded):
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.status = "draft"
    db.session.commit()
    assert "/courses/f1-system-policy-ethics" not in client.get("/courses").get_data(as_text=True)
    assert client.get(f"/courses/{F1}").status_code == 404


def test_lesson_markdown_is_sanitised(client, users, loaded):
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.lessons[0].body_en = ("Hello <script>alert(1)</script> [x](javascript:alert(2)) "
                                 "<img src=x onerror=alert(3)>\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    db.session.commit()
    login(client, "trainee@example.com")
    client.post(f"/courses/{F1}/enrol")
    page = client.get(f"/courses/{F1}/lessons/{course.lessons[0].key}").get_data(as_text=True)
    body = page.split('class="prose"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and 'href="javascript' not in body and "<img" not in body
    assert "&lt;script&gt;" in body and "<table>" in body


def test_content_falls_back_to_the_other_language_with_a_note(client, users, loaded):
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.lessons[0].body_zh = None
    db.session.commit()
    login(client, "trainee@example.com")
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    client.post(f"/courses/{F1}/enrol")
    page = client.get(f"/courses/{F1}/lessons/{course.lessons[0].key}").get_data(as_text=True)
    assert 'lang="en"' in page and 'class="note"' in page
    page = client.get(f"/courses/{F1}/lessons/{course.lessons[1].key}").get_data(as_text=True)
    assert 'class="note"' not in page and 'lang="zh-Hans"' in page
