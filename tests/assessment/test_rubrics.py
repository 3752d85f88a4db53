"""Essay rubrics: the file reader (every error with file and line, nothing stored), grading with a rubric,
what the trainee sees in the review, and the browser editor."""
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.assessment import banks
from lms.assessment.models import (
    Attempt,
    EssayRubric,
    EssayRubricScore,
    Question,
    QuestionBank,
    Quiz,
    QuizSection,
)
from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseInstructor
from lms.config import REPO_ROOT
from lms.content import ContentInvalid
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks.models import Evidence
from lms.loading import load_all
from tests.factories import login

F1 = "f1-system-policy-ethics"
BANK = """$CATEGORY: $course$/top/TTM/D1/D1.3

// [id:R-1] [tag:level-F]
::Conflict::Describe a conflict of interest and how you managed it. {####Look for disclosure and recusal.}

// [id:R-2] [tag:level-F]
::Gift::May you accept a gift from a licensee during negotiations? {=No ~Yes}

// [id:R-3] [tag:level-F]
::Second essay::Explain why an agreed price must be made public within the unit. {}
"""

RUBRIC = """title: {en: "Conflict essay", zh: "利益冲突论述"}
description: {en: "Provisional proposal.", zh: "暂行建议。"}
bank: rubric-bank
questions: [R-1]
criteria:
  - key: issues
    name: {en: "Issues identified", zh: "识别问题"}
    levels:
      - {points: 0, descriptor: {en: "ISSUES-NONE", zh: "未识别"}}
      - {points: 1, descriptor: {en: "ISSUES-SOME", zh: "部分识别"}}
      - {points: 3, descriptor: {en: "ISSUES-ALL", zh: "全部识别"}}
  - key: actions
    name: {en: "Course of action", zh: "处理措施"}
    levels:
      - {points: 0, descriptor: {en: "ACTIONS-NONE", zh: "无措施"}}
      - {points: 2, descriptor: {en: "ACTIONS-SOUND", zh: "措施妥当"}}
"""


def _content(tmp_path, rubrics: dict[str, str]):
    (tmp_path / "courses").mkdir()
    shutil.copy(REPO_ROOT / "courses" / "framework.yaml", tmp_path / "courses")
    (tmp_path / "question_banks" / "rubrics").mkdir(parents=True)
    (tmp_path / "question_banks" / "rubric-bank.en.gift").write_text(BANK, encoding="utf-8")
    for name, text in rubrics.items():
        (tmp_path / "question_banks" / "rubrics" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_rubric_files_load_and_load_again_unchanged(app, tmp_path):
    root = _content(tmp_path, {"conflict.yaml": RUBRIC})
    report = load_all(root)
    assert "essay rubrics: 1 loaded (conflict)" in report.lines()
    rubric = db.session.scalar(select(EssayRubric))
    assert (rubric.slug, rubric.bank, [q.idnumber for q in rubric.questions]) == ("conflict", "rubric-bank", ["R-1"])
    assert [c.key for c in rubric.criteria] == ["issues", "actions"] and rubric.max_points == 5
    assert rubric.criteria[0].levels[2] == {"points": 3, "descriptor": {"en": "ISSUES-ALL", "zh": "全部识别"}}
    assert "essay rubrics: 0 loaded" in load_all(root).lines()


def test_shipped_rubrics_cover_the_f1_essays_in_both_languages(loaded):
    rubrics = {r.slug: r for r in db.session.scalars(select(EssayRubric))}
    covered = {q.idnumber for r in rubrics.values() for q in r.questions}
    assert {"F1-D1.1-014", "F1-D1.3-015", "F1-D7.2-016"} <= covered          # F1's three case essays
    assert {"F6-D6.1-009", "F6-D6.3-009"} <= covered                         # F6's summary and need statement
    assert "F5-D4.2-008" in covered                                            # F5's term-sheet reading
    for r in rubrics.values():
        assert r.max_points == 10 and "proposal" in r.description_en and "建议方案" in r.description_zh
        assert all(c.name_en and c.name_zh and all(lv["descriptor"]["zh"] for lv in c.levels) for c in r.criteria)


BROKEN = """title: {en: "Broken"}
bank: rubric-bank
questions: [R-1, R-9, R-2]
criteria:
  - key: issues
    name: {en: "Issues", zh: "问题"}
    levels:
      - {points: 0, descriptor: {en: "none", zh: "无"}}
      - {points: 2, descriptor: {en: "some", zh: "部分"}}
      - {points: 2, descriptor: {en: "all", zh: "全部"}}
  - key: actions
    name: {en: "Actions", zh: "措施"}
    levels:
      - {points: 1, descriptor: {en: "only one level"}}
"""


def test_every_error_names_the_file_and_line_and_nothing_is_stored(app, runner, tmp_path):
    root = _content(tmp_path, {"broken.yaml": BROKEN, "empty.yaml": "title: {en: E, zh: 空}\nbank: rubric-bank\n"
                                                                      "questions: [R-3]\ncriteria: []\n"})
    with pytest.raises(ContentInvalid) as exc:
        load_all(root)
    errors = [str(e) for e in exc.value.errors]
    f = "question_banks/rubrics/broken.yaml"
    assert f"{f}:1: rubric: 'title' has no Chinese text ('title.zh' is missing)" in errors
    assert f"{f}:3: question 'R-9' is not in the bank 'rubric-bank'" in errors
    assert any(e.startswith(f"{f}:3: question 'R-2' is a multichoice question, not an essay") for e in errors)
    assert any(e.startswith(f"{f}:10: criterion 'issues' level 3: 2 points is used twice") for e in errors)
    assert any(e.startswith(f"{f}:14: criterion 'actions': 'levels' must be a list of at least two") for e in errors)
    assert f"{f}:14: criterion 'actions' level 1: 'descriptor' has no Chinese text ('descriptor.zh' is missing)" \
        in errors
    assert "question_banks/rubrics/empty.yaml:4: rubric: 'criteria' must be a non-empty list" in errors
    # nothing at all was stored: not the rubrics, not even the (valid) bank
    assert db.session.scalar(select(func.count()).select_from(EssayRubric)) == 0
    assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == 0
    # the command prints the same lines
    result = runner.invoke(args=["load", "--path", str(root)])
    assert result.exit_code == 1 and f"{f}:3: question 'R-9' is not in the bank 'rubric-bank'" in result.output


def test_a_question_has_at_most_one_rubric(app, tmp_path):
    root = _content(tmp_path, {"a.yaml": RUBRIC, "b.yaml": RUBRIC.replace("R-1]", "R-3, R-1]")})
    with pytest.raises(ContentInvalid) as exc:
        load_all(root)
    assert [str(e) for e in exc.value.errors] == [
        "question_banks/rubrics/b.yaml:4: question 'R-1' already has a rubric: question_banks/rubrics/a.yaml (line 4)"]


def test_rubrics_leave_gift_and_moodle_xml_unchanged(app, tmp_path):
    root = _content(tmp_path, {})
    load_all(root)
    bank = db.session.scalar(select(QuestionBank))
    before = (banks.export_bank(bank, "gift"), banks.export_bank(bank, "xml"))
    (root / "question_banks" / "rubrics" / "conflict.yaml").write_text(RUBRIC, encoding="utf-8")
    load_all(root)
    assert (banks.export_bank(bank, "gift"), banks.export_bank(bank, "xml")) == before


# ---------------------------------------------------------------- grading and review

@pytest.fixture
def essay_quiz(app, loaded, users, tmp_path):
    root = _content(tmp_path, {"conflict.yaml": RUBRIC})
    load_all(root)
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.instructors.append(CourseInstructor(user_id=users["instructor"].id))
    q = Quiz(course_id=course.id, key="essay-quiz", module_key="m4-ethics", title_en="Essay quiz", title_zh="论述测验",
             attempts_allowed=0, pass_mark=50, required=False)
    q.sections = [QuizSection(position=0, bank="rubric-bank", idnumbers=["R-1", "R-3"], mark=2)]
    db.session.add(q)
    catalog.enrol(users["trainee"], course)
    db.session.commit()
    return q


def _submitted_attempt(app, quiz):
    trainee = app.test_client()
    login(trainee, "trainee@example.com")
    trainee.post(f"/quizzes/{quiz.public_id}/start")
    att = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    for item in att.items:
        trainee.post(f"/attempts/{att.public_id}/answer", json={"position": item.position, "response": "My answer."})
    trainee.post(f"/attempts/{att.public_id}/submit")
    return trainee, db.session.get(Attempt, att.id)


def _items(att):
    by_id = {i.question_id: i for i in att.items}
    ids = dict(db.session.execute(select(Question.idnumber, Question.id)).all())
    return by_id[ids["R-1"]], by_id[ids["R-3"]]


def _conflict():
    return db.session.scalar(select(EssayRubric).where(EssayRubric.slug == "conflict"))


def _teacher(app):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    return teacher


def test_grading_with_the_rubric_computes_the_fraction_and_the_evidence(app, essay_quiz):
    _trainee, att = _submitted_attempt(app, essay_quiz)
    with_rubric, without = _items(att)
    teacher = _teacher(app)
    queue = teacher.get("/teach/grading").get_data(as_text=True)
    issues, actions = _conflict().criteria
    # the rubric's answer shows the rubric as a table of radio buttons; the other keeps the points field
    assert "Rubric: Conflict essay" in queue and f'name="level-{issues.id}" value="2"' in queue
    assert queue.count('name="points"') == 1 and "ISSUES-ALL" in queue
    resp = teacher.post(f"/teach/grading/{att.public_id}/{with_rubric.position}",
                        data={f"level-{issues.id}": "1", f"level-{actions.id}": "1", "comment": "Good recusal."})
    assert resp.status_code == 302
    item = db.session.get(type(with_rubric), with_rubric.id)
    assert item.fraction == pytest.approx(3 / 5) and item.comment == "Good recusal."     # (1 + 2) / (3 + 2)
    scores = db.session.scalars(select(EssayRubricScore).order_by(EssayRubricScore.id)).all()
    assert [(s.criterion.key, s.points, s.max_points, s.descriptor["en"], s.round) for s in scores] == [
        ("issues", 1, 3, "ISSUES-SOME", 1), ("actions", 2, 2, "ACTIONS-SOUND", 1)]
    competency = item.version.competency_id
    assert [(e.fraction, e.source) for e in db.session.scalars(select(Evidence).where(
        Evidence.competency_id == competency))] == [(pytest.approx(0.6), "quiz")]
    # the essay without a rubric is graded with points as before
    teacher.post(f"/teach/grading/{att.public_id}/{without.position}", data={"points": "1", "comment": "Short."})
    att = db.session.get(Attempt, att.id)
    assert att.state == "graded" and att.score == pytest.approx(0.6 * 2 + 1) and att.percent == pytest.approx(55)
    # a regrade keeps the first round on record; the review shows the latest
    teacher.post(f"/teach/grading/{att.public_id}/{with_rubric.position}",
                 data={f"level-{issues.id}": "2", f"level-{actions.id}": "1"})
    rounds = db.session.execute(select(EssayRubricScore.round, func.count()).group_by(EssayRubricScore.round)
                                .order_by(EssayRubricScore.round)).all()
    assert [tuple(r) for r in rounds] == [(1, 2), (2, 2)]
    assert db.session.get(type(with_rubric), with_rubric.id).fraction == 1.0
    # the changed grade is appended to the evidence; the attempt's review lets the grade be changed again,
    # starting from the levels chosen last
    assert [(e.fraction, e.source) for e in db.session.scalars(select(Evidence).where(
        Evidence.reference == f"{att.public_id}#{with_rubric.position}").order_by(Evidence.id))] == [
        (pytest.approx(0.6), "quiz"), (1.0, "regrade")]
    review = teacher.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert f'name="level-{issues.id}" value="2" required checked' in review
    assert f'name="level-{actions.id}" value="1" required checked' in review
    assert f'name="level-{issues.id}" value="1" required checked' not in review


def test_a_missing_criterion_is_refused_and_nothing_is_stored(app, essay_quiz):
    _trainee, att = _submitted_attempt(app, essay_quiz)
    with_rubric, _ = _items(att)
    issues, actions = _conflict().criteria
    teacher = _teacher(app)
    resp = teacher.post(f"/teach/grading/{att.public_id}/{with_rubric.position}",
                        data={f"level-{issues.id}": "2", f"level-{actions.id}": "7", "comment": "Kept."})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Choose a level for every criterion" in page and "Course of action" in page
    assert f'name="level-{issues.id}" value="2" required checked' in page and 'value="Kept."' in page
    item = db.session.get(type(with_rubric), with_rubric.id)
    assert item.fraction is None and item.needs_grading and item.comment is None
    assert db.session.scalar(select(func.count()).select_from(EssayRubricScore)) == 0
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_the_review_shows_the_levels_only_when_feedback_may_be_shown(app, essay_quiz):
    essay_quiz.review_feedback = "after_close"
    essay_quiz.close_at = utcnow() + timedelta(days=1)
    db.session.commit()
    trainee, att = _submitted_attempt(app, essay_quiz)
    with_rubric, _ = _items(att)
    issues, actions = _conflict().criteria
    _teacher(app).post(f"/teach/grading/{att.public_id}/{with_rubric.position}",
                       data={f"level-{issues.id}": "2", f"level-{actions.id}": "0", "comment": "SECRET-COMMENT"})
    review = trainee.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "ISSUES-ALL" not in review and "Issues identified" not in review and "SECRET-COMMENT" not in review
    essay_quiz = db.session.get(Quiz, essay_quiz.id)
    essay_quiz.close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    review = trainee.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "ISSUES-ALL" in review and "ACTIONS-NONE" in review and "Issues identified" in review
    assert "3 / 3" in review and "0 / 2" in review and "SECRET-COMMENT" in review
    trainee.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    zh = trainee.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "全部识别" in zh and "识别问题" in zh
    essay_quiz = db.session.get(Quiz, essay_quiz.id)
    essay_quiz.review_feedback = "never"
    db.session.commit()
    assert "全部识别" not in trainee.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)


# ---------------------------------------------------------------- the browser editor

def test_the_browser_editor_refuses_a_broken_rubric_and_saves_a_good_one(app, client, essay_quiz):
    login(client, "teacher@example.com")
    page = client.get("/teach/questions/rubrics").get_data(as_text=True)
    assert "Conflict essay" in page and "/teach/questions/rubrics/conflict" in page and "R-1" in page
    source = client.get("/teach/questions/rubrics/conflict").get_data(as_text=True)
    assert "ISSUES-NONE" in source
    broken = RUBRIC.replace("questions: [R-1]", "questions: [R-2]").replace("{points: 2,", "{points: 0,")
    page = client.post("/teach/questions/rubrics/new", data={"key": "second", "source": broken}).get_data(as_text=True)
    assert "The rubric was not saved" in page and "line 4: question &#39;R-2&#39; is a multichoice question" in page
    assert "line 16: criterion &#39;actions&#39; level 2: 0 points is used twice" in page
    page = client.post("/teach/questions/rubrics/new", data={"key": "second", "source": RUBRIC}).get_data(as_text=True)
    assert "question &#39;R-1&#39; already has a rubric: the rubric &#39;conflict&#39;" in page
    assert db.session.scalar(select(func.count()).select_from(EssayRubric).where(EssayRubric.slug == "second")) == 0
    # a good rubric for the other essay, then an edit of its text
    good = RUBRIC.replace("questions: [R-1]", "questions: [R-3]").replace("Conflict essay", "Publicity essay")
    resp = client.post("/teach/questions/rubrics/new", data={"key": "second", "source": good})
    assert resp.status_code == 302
    client.post("/teach/questions/rubrics/second", data={"source": good.replace("ACTIONS-SOUND", "ACTIONS-FINE")})
    rubric = db.session.scalar(select(EssayRubric).where(EssayRubric.slug == "second"))
    assert [q.idnumber for q in rubric.questions] == ["R-3"] and rubric.criteria[1].levels[1]["descriptor"]["en"] \
        == "ACTIONS-FINE"
    # the question's page shows its rubric
    r3 = db.session.scalar(select(Question).where(Question.idnumber == "R-3"))
    assert "Publicity essay" in client.get(f"/teach/questions/{r3.public_id}").get_data(as_text=True)


def test_a_criterion_with_grades_cannot_be_removed(app, client, essay_quiz):
    _trainee, att = _submitted_attempt(app, essay_quiz)
    with_rubric, _ = _items(att)
    issues, actions = _conflict().criteria
    teacher = _teacher(app)
    teacher.post(f"/teach/grading/{att.public_id}/{with_rubric.position}",
                 data={f"level-{issues.id}": "0", f"level-{actions.id}": "0"})
    without_actions = RUBRIC.split("  - key: actions")[0]
    page = teacher.post("/teach/questions/rubrics/conflict", data={"source": without_actions}).get_data(as_text=True)
    assert "criterion &#39;actions&#39; has grades and cannot be removed" in page
    assert len(_conflict().criteria) == 2
