"""Who may touch a question bank: the instructors of the courses it serves (the course it belongs to, and those
whose exams draw from it) and administrators; an instructor enrolled as a trainee in one of those courses never
sees it; a bank serving no course is its creator's. Every edit, import, status change, rename and deletion is in
the audit log."""
import io

import pytest
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent
from lms.assessment import banks, ownership
from lms.assessment.models import EssayRubric, EssayRubricCriterion, Question, QuestionBank, Quiz, QuizSection
from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseInstructor
from lms.extensions import db
from tests.factories import login, make_user

SRC = """$CATEGORY: $course$/top/Unit

// [id:B-1]
::Keyed::Which route turns a patent into shares? {=Capital contribution#SECRET-KEY-FEEDBACK ~Licence}

// [id:B-2]
::Spare::A licence transfers ownership. {F}

// [id:B-3]
::Essay::Describe a conflict of interest you managed. {}
"""
# the people of the table, the non-managers first (the managers' actions change the bank)
ROLES = ("trainee", "examiner", "other_teacher", "enrolled_teacher", "teacher", "admin")
MANAGERS = {"teacher", "admin"}


@pytest.fixture
def world(app):
    """Bank 'owned-en', drawn by an exam of course C1. teacher teaches C1; other_teacher teaches C2;
    enrolled_teacher teaches C2 and is enrolled as a trainee in C1; examiner teaches nothing; trainee is in C1."""
    c1 = Course(slug="c1", code="C1", title_en="Course one", level="F", status="published")
    c2 = Course(slug="c2", code="C2", title_en="Course two", level="F", status="published")
    db.session.add_all([c1, c2])
    people = {
        "trainee": make_user(("trainee",), "b-trainee@example.com"),
        "examiner": make_user(("instructor",), "b-examiner@example.com"),
        "other_teacher": make_user(("instructor",), "b-other@example.com"),
        "enrolled_teacher": make_user(("instructor",), "b-enrolled@example.com"),
        "teacher": make_user(("instructor",), "b-teacher@example.com"),
        "admin": make_user(("admin",), "b-admin@example.com"),
    }
    c1.instructors.append(CourseInstructor(user_id=people["teacher"].id))
    c2.instructors += [CourseInstructor(user_id=people["other_teacher"].id),
                       CourseInstructor(user_id=people["enrolled_teacher"].id)]
    db.session.flush()
    catalog.enrol(people["trainee"], c1)
    catalog.enrol(people["enrolled_teacher"], c1)
    bank = banks.get_or_create_bank("owned-en", "en")
    banks.import_questions(bank, banks.parse_questions(SRC, "gift", "owned.gift"))
    quiz = Quiz(course_id=c1.id, key="exam", title_en="C1 exam")
    quiz.sections = [QuizSection(position=0, bank="owned", draw=1)]
    db.session.add(quiz)
    db.session.add(EssayRubric(slug="owned-rubric", bank="owned", title_en="R", title_zh="R", source="{}", criteria=[
        EssayRubricCriterion(key="c", name_en="C", name_zh="C", levels=[
            {"points": 0, "descriptor": {"en": "no", "zh": "否"}}, {"points": 1, "descriptor": {"en": "yes", "zh": "是"}}])]))
    db.session.commit()
    return {**people, "bank": bank, "c1": c1, "c2": c2, "quiz": quiz}


def _question(idnumber):
    return db.session.scalar(select(Question).where(Question.idnumber == idnumber))


def _fresh(world):
    """A new unused question in the bank (one for each person who tries to delete one)."""
    n = db.session.scalar(select(func.count()).select_from(Question)) + 1
    banks.import_questions(world["bank"], banks.parse_questions(f"// [id:N-{n}]\n::New {n}::Spare? {{T}}\n", "gift", "n"))
    db.session.commit()
    return _question(f"N-{n}")


def _edit_source(q):
    from lms.assessment.rendering import question_source
    return question_source(q.current.spec).replace("Which route", "Which legal route")


# action: (method, url(world), data(world) or None, what a manager gets, what an instructor who does not manage gets)
ACTIONS = {
    "browse the bank": ("GET", lambda w: f"/teach/questions?bank={w['bank'].id}", None, 200, 403),
    "see a question and its key": ("GET", lambda w: f"/teach/questions/{_question('B-1').public_id}", None, 200, 403),
    "try an answer": ("POST", lambda w: f"/teach/questions/{_question('B-1').public_id}", lambda w: {"q1": "0"},
                      200, 403),
    "open the editor": ("GET", lambda w: f"/teach/questions/{_question('B-1').public_id}/edit", None, 200, 403),
    "edit": ("POST", lambda w: f"/teach/questions/{_question('B-1').public_id}/edit",
             lambda w: {"source": _edit_source(_question("B-1")), "submit": "1"}, 302, 403),
    "set the status": ("POST", lambda w: f"/teach/questions/{_question('B-1').public_id}/status",
                       lambda w: {"status": "draft"}, 302, 403),
    "delete": ("POST", lambda w: f"/teach/questions/{_fresh(w).public_id}/delete", lambda w: {}, 302, 403),
    "regrade's dry run": ("GET", lambda w: f"/teach/questions/{_question('B-1').public_id}/regrade/1", None, 302, 403),
    "regrade": ("POST", lambda w: f"/teach/questions/{_question('B-1').public_id}/regrade/1", lambda w: {}, 302, 403),
    "see the categories": ("GET", lambda w: "/teach/questions/banks/owned-en/categories", None, 200, 403),
    "rename a category": ("POST", lambda w: "/teach/questions/banks/owned-en/categories",
                          lambda w: {"category": w["bank"].categories[-1].id, "path": "Unit 2", "competency": ""},
                          302, 403),
    "give the bank a course": ("POST", lambda w: "/teach/questions/banks/owned-en/course", lambda w: {"course": ""},
                               302, 403),
    "export": ("GET", lambda w: "/teach/questions/export?bank=owned-en", None, 200, 403),
    "edit the bank's rubric": ("GET", lambda w: "/teach/questions/rubrics/owned-rubric", None, 200, 403),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_who_may_touch_the_bank(app, world, action):
    method, url, data, manager, outsider = ACTIONS[action]
    seen, expected = {}, {}
    for role in ROLES:
        client = app.test_client()
        assert login(client, world[role].email).status_code == 302
        resp = client.open(url(world), method=method, data=data(world) if data else None)
        seen[role] = resp.status_code
        expected[role] = manager if role in MANAGERS else 403 if role == "trainee" else outsider
        page = resp.get_data(as_text=True)
        if role not in MANAGERS or action in ("see a question and its key", "export"):
            assert ("SECRET-KEY-FEEDBACK" in page) is (role in MANAGERS), (action, role)
    assert seen == expected


def test_the_listing_the_new_question_form_and_the_import_show_only_the_banks_one_manages(app, world):
    for role in ROLES[1:]:
        client = app.test_client()
        login(client, world[role].email)
        listing = client.get("/teach/questions").get_data(as_text=True)
        assert ("B-1" in listing) is (role in MANAGERS), role
        assert ('value="owned-en"' in client.get("/teach/questions/new").get_data(as_text=True)) is (role in MANAGERS)
        rubrics = client.get("/teach/questions/rubrics").get_data(as_text=True)
        assert ("owned-rubric" in rubrics) is (role in MANAGERS), role
        if role in MANAGERS:
            continue
        # a question cannot be added to, nor a file imported into, a bank of courses one does not teach
        added = client.post("/teach/questions/new", data={"bank": "owned-en", "competency": "", "status": "ready",
                                                          "submit": "1", "source": "::X::Added? {T}"})
        assert added.status_code == 200
        imported = client.post("/teach/questions/import", data={
            "file": (io.BytesIO(b"// [id:B-1]\n::Keyed::Overwritten? {T}\n"), "x.gift"), "bank": "owned-en",
            "language": "en", "fmt": "auto", "course": ""}, content_type="multipart/form-data")
        assert "The bank owned-en belongs to courses you do not teach" in imported.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Question).join(QuestionBank)
                             .where(QuestionBank.slug == "owned-en")) == 3
    assert _question("B-1").current_version == 1


def test_every_change_to_a_bank_is_in_the_audit_log(app, world):
    client = app.test_client()
    login(client, world["teacher"].email)
    q = _question("B-1")
    client.post(f"/teach/questions/{q.public_id}/edit", data={"source": _edit_source(q), "submit": "1"})
    client.post(f"/teach/questions/{q.public_id}/regrade/1")
    client.post(f"/teach/questions/{q.public_id}/status", data={"status": "draft"})
    client.post(f"/teach/questions/{_question('B-2').public_id}/delete")
    client.post("/teach/questions/import", data={"file": (io.BytesIO(b"// [id:B-9]\n::Nine::Nine? {T}\n"), "n.gift"),
                                                 "bank": "owned-en", "language": "en", "fmt": "auto", "course": ""},
                content_type="multipart/form-data")
    client.post("/teach/questions/new", data={"bank": "owned-en", "competency": "", "status": "ready", "submit": "1",
                                              "source": "// [id:B-10]\n::Ten::Ten? {T}"})
    unit = next(c for c in world["bank"].categories if c.path == "Unit")
    client.post("/teach/questions/banks/owned-en/categories", data={"category": unit.id, "path": "Unit 2",
                                                                   "competency": ""})
    client.post("/teach/questions/banks/owned-en/course", data={"course": "c1"})
    client.post("/teach/questions/rubrics/owned-rubric", data={"source": (
        "title: {en: R, zh: R}\ndescription: {en: D, zh: D}\nbank: owned\nquestions: [B-3]\ncriteria:\n  - key: c\n    name: {en: C, zh: C}\n"
        "    levels:\n      - {points: 0, descriptor: {en: poor, zh: 差}}\n      - {points: 1, descriptor: {en: good, zh: 好}}\n")})
    events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == world["teacher"].id))}
    assert set(events) == {"question.edit", "question.regrade", "question.status", "question.delete", "bank.import",
                           "question.create", "category.rename", "bank.course", "rubric.save"}
    assert events["question.edit"].target == q.public_id and "owned-en B-1 v2" in events["question.edit"].detail
    assert events["question.delete"].detail == "owned-en B-2 Spare"
    assert events["category.rename"].detail == "Unit → Unit 2 (-)"
    assert events["bank.course"].target == "owned-en" and events["bank.course"].detail == "c1"


def test_a_new_bank_is_its_creator_s_until_it_belongs_to_a_course(app, world):
    creator = app.test_client()
    login(creator, world["examiner"].email)       # an instructor of no course may start a bank of their own
    creator.post("/teach/questions/import", data={"file": (io.BytesIO(b"// [id:M-1]\n::Mine::Mine? {T}\n"), "m.gift"),
                                                  "bank": "mine", "language": "en", "fmt": "auto", "course": ""},
                 content_type="multipart/form-data")
    mine = banks.bank_by_slug("mine")
    assert mine.created_by_id == world["examiner"].id and mine.course_id is None
    assert creator.get("/teach/questions/banks/mine/categories").status_code == 200
    other = app.test_client()
    login(other, world["other_teacher"].email)
    assert other.get("/teach/questions/banks/mine/categories").status_code == 403
    # an instructor cannot give the bank a course they do not teach; an administrator gives it C2
    assert creator.post("/teach/questions/banks/mine/course", data={"course": "c2"}).status_code == 400
    admin = app.test_client()
    login(admin, world["admin"].email)
    assert admin.post("/teach/questions/banks/mine/course", data={"course": "c2"}).status_code == 302
    assert other.get("/teach/questions/banks/mine/categories").status_code == 200
    assert creator.get("/teach/questions/banks/mine/categories").status_code == 403
    # the teacher of C1 imports a new bank for C1: C1's instructors manage it, nobody else
    teacher = app.test_client()
    login(teacher, world["teacher"].email)
    teacher.post("/teach/questions/import", data={"file": (io.BytesIO(b"::C::C1's? {T}\n"), "c.gift"),
                                                  "bank": "c1-bank", "language": "en", "fmt": "auto", "course": "c1"},
                 content_type="multipart/form-data")
    assert banks.bank_by_slug("c1-bank").course_id == world["c1"].id
    assert other.get("/teach/questions/banks/c1-bank/categories").status_code == 403


def test_an_exam_may_newly_draw_only_from_a_bank_its_editor_manages(app, world):
    """Otherwise an instructor would make their course one the bank serves, and so see its keys."""
    other = app.test_client()
    login(other, world["other_teacher"].email)
    source = ('title: {en: "Borrowed", zh: "借用"}\nrequired: false\nattempts: 1\n'
              "sections:\n  - {bank: owned, draw: 1}\n")
    page = other.post("/teach/courses/c2/exams/new", data={"key": "borrowed", "source": source})
    assert "The bank owned belongs to courses you do not teach" in page.get_data(as_text=True)
    assert db.session.scalar(select(Quiz).where(Quiz.key == "borrowed")) is None
    assert other.get(f"/teach/questions/{_question('B-1').public_id}").status_code == 403
    teacher = app.test_client()          # C1's teacher manages the bank, so C1's new exam may draw from it
    login(teacher, world["teacher"].email)
    assert teacher.post("/teach/courses/c1/exams/new", data={"key": "second", "source": source}).status_code == 302


def test_a_rubric_may_name_only_a_bank_one_manages(app, world):
    other_bank = banks.get_or_create_bank("theirs-en", "en", user=world["other_teacher"])
    banks.import_questions(other_bank, banks.parse_questions("// [id:E-1]\n::E::Essay? {}\n", "gift", "t"))
    db.session.commit()
    other = app.test_client()
    login(other, world["other_teacher"].email)
    source = ("title: {en: R, zh: R}\ndescription: {en: D, zh: D}\nbank: owned\nquestions: [B-3]\ncriteria:\n  - key: c\n    name: {en: C, zh: C}\n"
              "    levels:\n      - {points: 0, descriptor: {en: poor, zh: 差}}\n      - {points: 1, descriptor: {en: good, zh: 好}}\n")
    page = other.post("/teach/questions/rubrics/new", data={"key": "grab", "source": source})
    assert "a rubric may name only a bank you manage" in page.get_data(as_text=True)
    assert db.session.scalar(select(EssayRubric).where(EssayRubric.slug == "grab")) is None


def test_the_demo_instructor_manages_the_shipped_course_banks_and_the_examiner_sees_no_key(app, loaded):
    from lms.accounts.services import user_by_email
    from lms.demo import create_demo
    create_demo()
    instructor, examiner = user_by_email("instructor@example.com"), user_by_email("examiner@example.com")
    assert {b.slug for b in ownership.manageable_banks(instructor)} >= {"f1-system-policy-ethics-en",
                                                                    "f1-system-policy-ethics-zh"}
    assert ownership.manageable_banks(examiner) == []
    from lms.demo import DEMO_PASSWORD
    client = app.test_client()
    login(client, "examiner@example.com", DEMO_PASSWORD)
    shipped = db.session.scalar(select(Question).join(QuestionBank).where(
        QuestionBank.slug == "f1-system-policy-ethics-en").limit(1))
    assert client.get(f"/teach/questions/{shipped.public_id}").status_code == 403
    assert "f1-system-policy-ethics" not in client.get("/teach/questions").get_data(as_text=True)
    login(teacher := app.test_client(), "instructor@example.com", DEMO_PASSWORD)
    assert teacher.get(f"/teach/questions/{shipped.public_id}").status_code == 200


def test_a_new_language_of_a_family_is_only_for_those_who_manage_the_family(app, world):
    """Review of issue 16: an instructor who teaches nothing starts a draft course, imports into a new 'owned-zh'
    for it, and then names the family 'owned' in an exam of that course: C1's keys would be theirs, and their
    questions would be drawn by C1's exam in Chinese."""
    mine = Course(slug="mine", code="MINE", title_en="Mine", level="F", status="draft")
    db.session.add(mine)
    db.session.flush()
    mine.instructors.append(CourseInstructor(user_id=world["examiner"].id))
    db.session.commit()
    attacker = app.test_client()
    login(attacker, world["examiner"].email)
    page = attacker.post("/teach/questions/import", data={
        "file": (io.BytesIO(b"// [id:B-1]\n::Keyed::Planted? {T}\n"), "x.zh.gift"), "bank": "owned-zh",
        "language": "zh", "fmt": "auto", "course": "mine"}, content_type="multipart/form-data")
    assert "The bank owned belongs to courses you do not teach" in page.get_data(as_text=True)
    assert banks.bank_by_slug("owned-zh") is None
    # C1's teacher, who manages the whole family, may add its Chinese bank; an administrator too
    assert ownership.may_create_bank(world["teacher"], "owned-zh") and ownership.may_create_bank(world["admin"], "owned-zh")
    assert ownership.may_create_bank(world["examiner"], "fresh-zh")
    # even with a bank of the family of their own (made before this rule), an exam may not draw from the family
    banks.import_questions(banks.get_or_create_bank("owned-zh", "zh", user=world["examiner"], course=mine),
                           banks.parse_questions("// [id:B-1]\n::Keyed::Planted? {T}\n", "gift", "x"))
    db.session.commit()
    source = 'title: {en: "Mine", zh: "我的"}\nrequired: false\nattempts: 1\nsections:\n  - {bank: owned, draw: 1}\n'
    page = attacker.post("/teach/courses/mine/exams/new", data={"key": "grab", "source": source})
    assert "The bank owned belongs to courses you do not teach" in page.get_data(as_text=True)
    assert db.session.scalar(select(Quiz).where(Quiz.key == "grab")) is None
    assert attacker.get("/teach/questions/export?bank=owned-en").status_code == 403
    assert attacker.get("/teach/questions/rubrics/owned-rubric").status_code == 403


def test_only_the_owner_course_s_instructors_move_a_bank_to_another_course(app, world):
    """An instructor who manages the bank only because their course's exam draws from it cannot take it over."""
    world["bank"].course_id = world["c1"].id
    quiz = Quiz(course_id=world["c2"].id, key="c2-exam", title_en="C2 exam")
    quiz.sections = [QuizSection(position=0, bank="owned", draw=1)]
    db.session.add(quiz)
    db.session.commit()
    other = app.test_client()
    login(other, world["other_teacher"].email)
    page = other.get("/teach/questions/banks/owned-en/categories")
    assert page.status_code == 200 and "questions/banks/owned-en/course" not in page.get_data(as_text=True)
    assert other.post("/teach/questions/banks/owned-en/course", data={"course": "c2"}).status_code == 403
    assert other.post("/teach/questions/banks/owned-en/course", data={"course": ""}).status_code == 403
    assert banks.bank_by_slug("owned-en").course_id == world["c1"].id
    teacher = app.test_client()
    login(teacher, world["teacher"].email)
    assert "questions/banks/owned-en/course" in teacher.get("/teach/questions/banks/owned-en/categories").get_data(
        as_text=True)
    assert teacher.post("/teach/questions/banks/owned-en/course", data={"course": ""}).status_code == 302
    assert banks.bank_by_slug("owned-en").course_id is None


def test_staff_see_the_keys_of_an_attempt_and_of_the_item_analysis_only_for_the_banks_they_manage(app, world):
    """C2's exam draws from the bank C1's exam uses: C2's instructor who is a trainee in C1 reviews C2's attempts
    and its item analysis without the right answers; C2's other instructor, who manages the bank, sees them."""
    from lms.assessment import exams, starting
    quiz = Quiz(course_id=world["c2"].id, key="c2-exam", title_en="C2 exam", review_answers="after_submit")
    quiz.sections = [QuizSection(position=0, bank="owned", idnumbers=["B-1", "B-2"])]
    db.session.add(quiz)
    db.session.flush()
    catalog.enrol(world["trainee"], world["c2"])
    att = starting.start(world["trainee"], quiz, "en", seed=1)
    exams.submit(att)
    db.session.commit()
    assert att.state == "graded"
    urls = (f"/attempts/{att.public_id}/review", f"/teach/quizzes/{quiz.public_id}/analysis",
            f"/teach/quizzes/{quiz.public_id}/analysis.csv")
    for role, keys in (("enrolled_teacher", False), ("other_teacher", True), ("admin", True)):
        client = app.test_client()
        login(client, world[role].email)
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, (role, url)
            assert ("Capital contribution" in resp.get_data(as_text=True)) is keys, (role, url)
        review = client.get(urls[0]).get_data(as_text=True)
        assert ("Right answer" in review) is keys and "Which route turns a patent into shares?" in review
        analysis = client.get(urls[1]).get_data(as_text=True)
        assert ("Not shown: you do not manage this question" in analysis) is not keys
    # the trainee reviews their own attempt with the keys, as the exam allows
    trainee = app.test_client()
    login(trainee, world["trainee"].email)
    assert "Capital contribution" in trainee.get(urls[0]).get_data(as_text=True)


def test_the_exam_editor_names_only_the_bank_families_one_manages(app, world):
    source = 'title: {en: "X", zh: "X"}\nrequired: false\nattempts: 1\nsections:\n  - {bank: nope, draw: 1}\n'
    for role, course, shown in (("other_teacher", "c2", False), ("teacher", "c1", True)):
        client = app.test_client()
        login(client, world[role].email)
        new = client.get(f"/teach/courses/{course}/exams/new").get_data(as_text=True)
        assert ("bank: owned" in new) is shown, role
        page = client.post(f"/teach/courses/{course}/exams/new", data={"key": "x", "source": source})
        assert ("(known: owned)" if shown else "(known: none)") in page.get_data(as_text=True), role
