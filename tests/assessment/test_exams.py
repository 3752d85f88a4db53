import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lms.assessment import exams, starting
from lms.assessment.models import Attempt, AttemptItem, Question, Quiz
from lms.catalog import services as catalog
from lms.catalog.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks.models import Evidence
from tests.factories import login
from tests.factories.content import F1
from tests.factories.exams import _answer_all_right, _start

# the key of X-1 corrected: "Licence" is now the right answer (the options keep their texts and order)
X1_FIXED = ("// [id:X-1] [tag:level-F] [tag:m1]\n::One::Which route turns a patent into shares? {\n"
            "~Capital contribution\n=Licence\n}\n")


def _only_x1(quiz):
    """The exam shows X-1 alone."""
    quiz.sections[0].draw, quiz.sections[0].idnumbers = None, ["X-1"]
    quiz.sections = quiz.sections[:1]


def _all_lessons_done(client):
    """The signed-in trainee completes every lesson of F1: only the required exam stands before completion."""
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    for lesson in course.lessons:
        client.post(f"/courses/{F1}/lessons/{lesson.key}/done", data={"done": "1"})


def test_start_draws_sections_and_keeps_one_open_attempt(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    assert len(att.items) == 5 and att.max_score == 6
    assert att.deadline is not None and abs((att.deadline - att.started_at) - timedelta(minutes=20)) < timedelta(seconds=2)
    again = _start(client, quiz)
    assert again.id == att.id
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_attempt_page_never_contains_answers_or_feedback(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert "Which route turns a patent into shares?" in html or "Match." in html
    assert "SECRET" not in html and "fraction" not in html and "Look for disclosure" not in html
    assert "100%" not in html
    # the numerical and short answers are not in the page either
    main = html.split('id="attempt-form"', 1)[1].split("</form>", 1)[0]
    assert "Torch" not in main and 'value="50"' not in main


def test_answers_saved_by_form_and_json_survive_leaving_the_page(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    items = {i.version.spec["qtype"]: i for i in att.items}
    num = items["essay"]
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": num.position, "response": "Draft one"},
                       headers={"X-CSRFToken": "x"})
    assert resp.json == {"saved": True, "position": num.position}
    client.post(f"/attempts/{att.public_id}/save", data={f"q{items['essay'].position}": "Draft two", "finish": "0"})
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert "Draft two" in html


def test_submit_is_idempotent_and_grades_once(client, quiz, users):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    client.post(f"/attempts/{att.public_id}/submit")
    att = db.session.get(Attempt, att.id)
    assert att.state == "submitted"           # the essay waits for a person
    auto = [i for i in att.items if i.version.spec["qtype"] != "essay"]
    assert all(i.fraction == 1 for i in auto)
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == len(auto)
    assert client.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": 1}).status_code == 409
    review = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "waiting for an instructor" in review


def test_essay_grading_makes_the_grade_final_and_completes_the_course(app, client, quiz, users):
    login(client, "trainee@example.com")
    _all_lessons_done(client)
    e = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["trainee"].id))
    assert e.completed_at is None            # the required quiz is not passed yet
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    queue = teacher.get("/teach/grading").get_data(as_text=True)
    assert "Describe a conflict of interest" in queue and "Look for disclosure and recusal." in queue
    essay = next(i for i in db.session.get(Attempt, att.id).items if i.version.spec["qtype"] == "essay")
    teacher.post(f"/teach/grading/{att.public_id}/{essay.position}", data={"points": "1.5", "comment": "Good."})
    att = db.session.get(Attempt, att.id)
    assert att.state == "graded" and att.score == 5.5 and att.percent == pytest.approx(91.67)
    e = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["trainee"].id))
    assert e.completed_at is not None
    assert "Nothing to grade" in teacher.get("/teach/grading").get_data(as_text=True)


def test_deadline_submits_with_what_was_saved(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    first = att.items[0]
    client.post(f"/attempts/{att.public_id}/answer", json={"position": first.position, "response": "0"})
    att.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": att.items[1].position, "response": "1"})
    assert resp.status_code == 409 and "Time is up" in resp.json["error"]
    att = db.session.get(Attempt, att.id)
    assert att.state in ("submitted", "graded") and att.items[1].response is None
    assert att.items[0].response is not None


def test_opening_an_attempt_after_its_deadline_submits_it_and_says_so(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    client.post(f"/attempts/{att.public_id}/answer", json={"position": att.items[0].position, "response": "0"})
    att.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get(f"/attempts/{att.public_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/attempts/{att.public_id}/review")
    assert "Time is up" in client.get(resp.headers["Location"]).get_data(as_text=True)
    att = db.session.get(Attempt, att.id)
    assert att.state in ("submitted", "graded") and att.items[0].response is not None
    assert client.get(f"/attempts/{att.public_id}").status_code == 302        # a finished attempt: to its review


def test_attempt_limit_and_review_settings(client, quiz):
    quiz.review_feedback = quiz.review_answers = "never"
    db.session.commit()
    login(client, "trainee@example.com")
    for _ in range(2):
        att = _start(client, quiz)
        client.post(f"/attempts/{att.public_id}/submit")
        html = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
        assert "SECRET" not in html and "Right answer" not in html
    resp = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True)
    assert "used all 2 attempts" in resp.get_data(as_text=True)


def test_review_shows_feedback_and_right_answers_when_allowed(client, quiz):
    quiz.sections[0].draw, quiz.sections[0].idnumbers = None, ["X-1", "X-2"]   # make sure X-1 is shown
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    mc = next(i for i in att.items if i.version.spec["qtype"] == "multichoice")
    client.post(f"/attempts/{att.public_id}/answer", json={"position": mc.position, "response": "1"})
    client.post(f"/attempts/{att.public_id}/submit")
    html = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "SECRET-WRONG-FEEDBACK" in html and "SECRET-GENERAL-FEEDBACK" in html and "Right answer" in html


def test_other_people_cannot_see_an_attempt(app, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    other = app.test_client()
    login(other, "other@example.com")
    assert other.get(f"/attempts/{att.public_id}").status_code == 404
    assert other.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": 0}).status_code == 404
    assert other.get(f"/quizzes/{quiz.public_id}").status_code == 404     # not enrolled


def test_random_draw_prefers_least_used_questions(app, quiz, users):
    from lms.accounts.services import register
    seen = []
    for i in range(4):
        u = register(f"p{i}@example.com", "long-password-1", roles=("trainee",))
        att = starting.start(u, quiz, "en", seed=i)
        seen.append({item.question_id for item in att.items if item.version.spec["qtype"] != "essay"})
    db.session.commit()
    # 5 tagged questions, 4 drawn per attempt: usage never differs by more than one
    counts = {}
    for s in seen:
        for q in s:
            counts[q] = counts.get(q, 0) + 1
    assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == 5


def test_profile_shows_levels_from_evidence(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    html = client.get("/profile/competencies").get_data(as_text=True)
    row = re.search(r"D1\.1</span>.*?</tr>", html, re.S).group(0)
    assert "Foundation" in row and "4 items" in row
    assert "<svg" in html


def test_item_analysis_page_and_csv(app, client, quiz, users):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    essay = next(i for i in db.session.get(Attempt, att.id).items if i.version.spec["qtype"] == "essay")
    teacher.post(f"/teach/grading/{att.public_id}/{essay.position}", data={"points": "2"})
    page = teacher.get(f"/teach/quizzes/{quiz.public_id}/analysis").get_data(as_text=True)
    assert "fewer than two attempts" in page and "<svg" in page and "X-6" in page
    x6 = db.session.scalar(select(Question).where(Question.idnumber == "X-6"))
    assert f'<a href="/teach/questions/{x6.public_id}">Essay</a>' in page        # to review it in the bank
    csv_text = teacher.get(f"/teach/quizzes/{quiz.public_id}/analysis.csv").get_data(as_text=True)
    assert "idnumber,question,type" in csv_text and "X-6,Essay,essay,1,100.0" in csv_text


def test_close_overdue_command(runner, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    att.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["exams", "close-overdue"])
    assert "1 overdue attempt(s) submitted" in result.output
    assert db.session.get(Attempt, att.id).state != "open"


def test_an_essay_left_blank_gets_no_marks_at_once_and_does_not_wait_for_a_grader(app, client, quiz, users):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    answers = _answer_all_right(att)
    essay = next(i for i in att.items if i.version.spec["qtype"] == "essay")
    answers[essay.position] = "  \n "                               # only blanks
    for pos, response in answers.items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    att = db.session.get(Attempt, att.id)
    assert att.state == "graded" and att.score == 4 and att.percent == pytest.approx(66.67)
    blank = next(i for i in att.items if i.id == essay.id)
    assert blank.fraction == 0 and not blank.needs_grading
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    assert "Nothing to grade" in teacher.get("/teach/grading").get_data(as_text=True)
    # an essay never touched is "not answered" too
    other = app.test_client()
    catalog.enrol(users["other"], db.session.get(Course, quiz.course_id))
    db.session.commit()
    login(other, "other@example.com")
    untouched = _start(other, quiz)
    other.post(f"/attempts/{untouched.public_id}/submit")
    untouched = db.session.get(Attempt, untouched.id)
    assert untouched.state == "graded" and all(not i.needs_grading for i in untouched.items)
    # a person can still give it marks on the review (Moodle's "override mark")
    teacher.post(f"/teach/grading/{att.public_id}/{essay.position}", data={"points": "0.5", "back": "review"})
    db.session.expire_all()
    assert db.session.get(Attempt, att.id).score == 4.5


def test_fixing_a_key_regrades_the_attempts_of_that_version(app, client, quiz, users):
    _only_x1(quiz)
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    client.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": "1"})   # 'Licence'
    client.post(f"/attempts/{att.public_id}/submit")
    assert db.session.get(Attempt, att.id).percent == 0
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    from lms.assessment.models import Question
    q = db.session.scalar(select(Question).where(Question.idnumber == "X-1"))
    teacher.post(f"/teach/questions/{q.public_id}/edit", data={"source": X1_FIXED, "submit": "1"})
    page = teacher.get(f"/teach/questions/{q.public_id}").get_data(as_text=True)
    assert "answered in 1 finished attempts" in page and "Regrade them with the current key" in page
    assert f'href="/teach/questions/{q.public_id}/regrade/1"' in page
    dry = teacher.get(f"/teach/questions/{q.public_id}/regrade/1").get_data(as_text=True)   # Moodle's dry run
    assert "1 answer would be regraded." in dry and "1 attempt's grade would change" in dry
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dry.split("<tbody>", 1)[1].split("</tbody>", 1)[0])).strip()
    name = users["trainee"].display_name
    assert row.startswith(f"{name} Module 1 quiz Attempt 1") and row.endswith("0% 100%"), row
    assert f"now passes</span>\n    {name} · Module 1 quiz · grade that counts 0% → 100%, pass mark 60%" in dry
    assert db.session.get(Attempt, att.id).percent == 0                # a dry run changes nothing
    resp = teacher.post(f"/teach/questions/{q.public_id}/regrade/1", follow_redirects=True)
    assert "1 answers given to version 1 were regraded with the key of version 2" in resp.get_data(as_text=True)
    att = db.session.get(Attempt, att.id)
    assert att.percent == 100 and att.items[0].version.version == 1       # still shows version 1
    review = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "was regraded" in review
    rows = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [(e.source, e.fraction) for e in rows] == [("quiz", 0.0), ("regrade", 1.0)]


def test_a_corrected_key_that_passes_a_required_exam_completes_the_course(app, client, quiz, users):
    _only_x1(quiz)
    db.session.commit()
    login(client, "trainee@example.com")
    _all_lessons_done(client)
    att = _start(client, quiz)
    client.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": "1"})   # 'Licence'
    client.post(f"/attempts/{att.public_id}/submit")
    enrolment = select(Enrolment).where(Enrolment.user_id == users["trainee"].id)
    assert db.session.scalar(enrolment).completed_at is None          # 0%: the required exam is failed
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    q = db.session.scalar(select(Question).where(Question.idnumber == "X-1"))
    teacher.post(f"/teach/questions/{q.public_id}/edit", data={"source": X1_FIXED, "submit": "1"})
    teacher.post(f"/teach/questions/{q.public_id}/regrade/1")
    db.session.expire_all()
    assert db.session.get(Attempt, att.id).percent == 100
    assert db.session.scalar(enrolment).completed_at is not None      # the corrected key passes it
    home = client.get(f"/courses/{F1}").get_data(as_text=True)
    assert "Completed on" in home


def test_the_dry_run_judges_passing_by_the_exam_s_rule_and_predicts_what_the_regrade_writes(app, client, quiz, users):
    from lms.assessment.grading import regrade_preview
    _only_x1(quiz)
    quiz.grading_method = "last"
    db.session.commit()
    login(client, "trainee@example.com")
    for response in ("1", "0"):                                     # wrong (0%), then right (100%): the last counts
        att = _start(client, quiz)
        client.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": response})
        client.post(f"/attempts/{att.public_id}/submit")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    q = db.session.scalar(select(Question).where(Question.idnumber == "X-1"))
    teacher.post(f"/teach/questions/{q.public_id}/edit", data={"source": X1_FIXED, "submit": "1"})
    old = next(v for v in q.versions if v.version == 1)
    counts, changes, verdicts = regrade_preview(q, old, users["instructor"])
    assert counts.regraded == 2 and sorted((c.attempt.number, c.before, c.after) for c in changes) == [(1, 0, 100), (2, 100, 0)]
    [verdict] = verdicts                                            # by the last attempt: 100% → 0%, so fails
    assert (verdict.before, verdict.after, verdict.passes) == (100, 0, False)
    quiz.grading_method = "highest"                                 # the highest stays 100%: nobody crosses
    db.session.commit()
    assert regrade_preview(q, old, users["instructor"])[2] == []
    predicted = {c.attempt.id: c.after for c in changes}
    teacher.post(f"/teach/questions/{q.public_id}/regrade/1")
    db.session.expire_all()
    assert {a: db.session.get(Attempt, a).percent for a in predicted} == predicted


def test_a_regrade_reaches_only_the_attempts_the_instructor_may_grade(app, client, quiz, users):
    from lms.assessment.models import QuizSection
    from lms.catalog.models import CourseInstructor
    from tests.factories import make_user
    _only_x1(quiz)
    # an instructor of another course whose exam draws from the same bank: they manage the bank, not F1's exam
    outsider = make_user(("instructor",), "outsider@example.com")
    f2 = db.session.scalar(select(Course).where(Course.slug != F1).order_by(Course.code).limit(1))
    f2.instructors.append(CourseInstructor(user_id=outsider.id))
    theirs = Quiz(course_id=f2.id, key="shared", title_en="Shared bank")
    theirs.sections = [QuizSection(position=0, bank="exam", idnumbers=["X-1"])]
    db.session.add(theirs)
    # an instructor enrolled as a trainee in F1 never touches its bank: neither its key nor a regrade
    sitting = make_user(("instructor",), "sitting@example.com")
    catalog.enrol(sitting, db.session.get(Course, quiz.course_id))
    db.session.commit()
    attempts = {}
    for email in ("trainee@example.com", "sitting@example.com"):
        c = app.test_client()
        login(c, email)
        att = _start(c, quiz)
        c.post(f"/attempts/{att.public_id}/answer", json={"position": 1, "response": "1"})   # 'Licence': wrong
        c.post(f"/attempts/{att.public_id}/submit")
        attempts[email] = att.id
    q = db.session.scalar(select(Question).where(Question.idnumber == "X-1"))
    sitting_client = app.test_client()
    login(sitting_client, "sitting@example.com")
    assert sitting_client.post(f"/teach/questions/{q.public_id}/edit",
                               data={"source": X1_FIXED, "submit": "1"}).status_code == 403
    outsider_client = app.test_client()
    login(outsider_client, "outsider@example.com")
    outsider_client.post(f"/teach/questions/{q.public_id}/edit", data={"source": X1_FIXED, "submit": "1"})
    assert sitting_client.post(f"/teach/questions/{q.public_id}/regrade/1").status_code == 403
    page = outsider_client.post(f"/teach/questions/{q.public_id}/regrade/1", follow_redirects=True).get_data(as_text=True)
    assert "0 answers given to version 1 were regraded" in page
    assert "2 answers are in exams you do not teach, or in your own attempts" in page
    db.session.expire_all()
    assert [db.session.get(Attempt, a).percent for a in attempts.values()] == [0, 0]
    teacher = app.test_client()
    login(teacher, "teacher@example.com")                           # F1's instructor regrades both
    page = teacher.post(f"/teach/questions/{q.public_id}/regrade/1", follow_redirects=True).get_data(as_text=True)
    assert "2 answers given to version 1 were regraded" in page and "do not teach" not in page
    db.session.expire_all()
    assert [db.session.get(Attempt, a).percent for a in attempts.values()] == [100, 100]


def test_a_new_key_that_reorders_or_rewords_the_options_cannot_regrade_the_stored_choices(app, client, quiz, users):
    from lms.assessment.grading import compatible
    old = {"qtype": "multichoice", "single": True, "answers": [{"text": "Capital contribution", "fraction": 1},
                                                               {"text": "Licence", "fraction": 0}]}
    key_fixed = {**old, "answers": [{"text": "Capital  contribution", "fraction": 0}, {"text": "Licence", "fraction": 1}]}
    reordered = {**old, "answers": list(reversed(old["answers"]))}
    reworded = {**old, "answers": [{"text": "Contribution in kind", "fraction": 1}, {"text": "Licence", "fraction": 0}]}
    assert compatible(old, key_fixed)                 # which option is right changed: the choices still mean the same
    assert not compatible(old, reordered) and not compatible(old, reworded)


def test_instructor_creates_and_edits_an_exam_in_the_browser(client, quiz, users):
    login(client, "teacher@example.com")
    page = client.get(f"/teach/courses/{F1}").get_data(as_text=True)
    assert f"/teach/courses/{F1}/exams/new" in page and f"/teach/courses/{F1}/exams/m1-quiz" in page
    source = client.get(f"/teach/courses/{F1}/exams/m1-quiz").get_data(as_text=True)
    assert "draw: 4" in source and "tag: m1" in source
    bad = ("title: {en: Check}\nmodule: m9\nsections:\n  - {bank: exam, draw: 2}\n")
    page = client.post(f"/teach/courses/{F1}/exams/new", data={"key": "check", "source": bad}).get_data(as_text=True)
    assert "line 2:" in page and "m9" in page
    good = ("title: {en: Check, zh: 检查}\nmodule: m1-system\ntime_limit_minutes: 5\npass_mark: 80\n"
            "sections:\n  - {bank: exam, questions: [X-1, X-2]}\n")
    resp = client.post(f"/teach/courses/{F1}/exams/new", data={"key": "check", "source": good})
    assert resp.status_code == 302
    new = db.session.scalar(select(Quiz).where(Quiz.key == "check"))
    assert (new.time_limit_minutes, new.pass_mark, new.sections[0].idnumbers) == (5, 80, ["X-1", "X-2"])
    client.post(f"/teach/courses/{F1}/exams/check", data={"source": good.replace("pass_mark: 80", "pass_mark: 70")})
    db.session.refresh(new)
    assert new.pass_mark == 70



def _question_blocks(html: str) -> dict[int, str]:
    return {int(m.group(1)): html[m.start():html.index("</fieldset>", m.start())]
            for m in re.finditer(r'<fieldset class="card question" id="q(\d+)"', html)}


def test_two_attempts_showing_the_same_questions_each_get_their_own_positions_and_answers(app, client, quiz, users):
    """The attempt page reuses the HTML of unanswered questions across attempts: names, ids and legends must
    still be each attempt's own, and a saved answer must show as chosen."""
    quiz.sections[0].draw, quiz.sections[0].idnumbers = None, ["X-1", "X-2", "X-3", "X-4", "X-5"]
    quiz.shuffle_questions = quiz.shuffle_answers = True
    catalog.enrol(users["other"], db.session.get(Course, quiz.course_id))
    db.session.commit()
    login(client, "trainee@example.com")
    first = _start(client, quiz)
    other = app.test_client()
    login(other, "other@example.com")
    second = _start(other, quiz)
    for c, att in ((client, first), (other, second)):
        blocks = _question_blocks(c.get(f"/attempts/{att.public_id}").get_data(as_text=True))
        assert sorted(blocks) == sorted(i.position for i in att.items)
        for pos, block in blocks.items():
            assert f'data-position="{pos}"' in block and f"Question {pos}" in block and "\ue000" not in block
            assert re.findall(r'name="q(\d+)', block) and set(re.findall(r'name="q(\d+)', block)) == {str(pos)}
    mc = next(i for i in second.items if i.version.spec["qtype"] == "multichoice")
    assert other.post(f"/attempts/{second.public_id}/answer",
                      json={"position": mc.position, "response": "1"}).json["saved"] is True
    block = _question_blocks(other.get(f"/attempts/{second.public_id}").get_data(as_text=True))[mc.position]
    assert re.search(rf'name="q{mc.position}" value="1"\s+checked', block)
    assert "checked" not in _question_blocks(client.get(f"/attempts/{first.public_id}").get_data(as_text=True))[
        next(i.position for i in first.items if i.question_id == mc.question_id)]


def test_an_answer_to_a_question_the_attempt_does_not_have_is_refused(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": 99, "response": "1"})
    assert resp.status_code == 409 and "Unknown question 99" in resp.json["error"] and resp.json["closed"] is False
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": "x", "response": "1"})
    assert resp.status_code == 400


def _saved(att, position):
    db.session.expire_all()
    return db.session.scalar(select(AttemptItem.response).where(AttemptItem.attempt_id == att.id,
                                                                 AttemptItem.position == position))


def test_an_autosave_from_an_ended_session_or_a_disabled_account_stores_nothing(app, client, quiz, users):
    """The autosave checks the person in its own statement: a session ended by a password change elsewhere,
    or an account an administrator disabled, saves nothing and is sent to log in."""
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    assert client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "first"}).json[
        "saved"] is True
    assert _saved(att, essay) == "first"
    trainee = db.session.get(type(users["trainee"]), users["trainee"].id)
    trainee.session_version += 1                 # what changing the password does to the other sessions
    db.session.commit()
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "second"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _saved(att, essay) == "first"
    login(client, "trainee@example.com")
    assert client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "third"}).json[
        "saved"] is True
    assert _saved(att, essay) == "third"
    trainee = db.session.get(type(users["trainee"]), users["trainee"].id)
    trainee.active = False
    db.session.commit()
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "fourth"})
    assert resp.status_code == 302 and _saved(att, essay) == "third"


def test_an_autosave_after_the_deadline_submits_the_attempt_instead(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "in time"})
    att.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "too late"})
    assert resp.status_code == 409 and resp.json["closed"] is True and "Time is up" in resp.json["error"]
    assert _saved(att, essay) == "in time"
    db.session.refresh(att)
    assert att.state in ("submitted", "graded")


def test_cached_question_html_is_the_html_the_template_renders_in_each_attempts_own_option_order(app, client, quiz):
    from flask import get_template_attribute

    from lms.assessment.exam_views import _question_fields
    from lms.assessment.rendering import attempt_labels
    quiz.sections[0].draw = 5                    # every question tagged m1, the multiple-choice one among them
    quiz.shuffle_answers = True
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    for _round in range(2):                      # the first round fills the cache, the second reads it
        with app.test_request_context("/"):
            items = exams.page_items(att)
            assert any(i.spec["qtype"] == "multichoice" for i in items)
            labels = attempt_labels()
            field = get_template_attribute("assessment/_attempt_question.html", "question_field")
            expected = [str(field(i, labels, i.position, labels["question"] % {"n": i.position})) for i in items]
            assert [str(h) for h in _question_fields(items)] == expected
    mc = next(i for i in items if i.spec["qtype"] == "multichoice")
    reversed_order = list(reversed(range(len(mc.spec["answers"]))))
    with app.test_request_context("/"):
        other = replace(mc, order=reversed_order)
        html = str(_question_fields([other])[0])
        values = re.findall(r'name="q\d+" value="(\d+)"', html)
        assert values == [str(i) for i in reversed_order]


def test_an_answer_arriving_after_another_request_submitted_the_attempt_is_refused(app, client, quiz, users):
    """The answer's own statement checks that the attempt is still open: an attempt read as open by a request
    and submitted by another one meanwhile takes no answer, which would be stored but never graded."""
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    with app.test_request_context("/"):
        exams.save(att, {essay: "in time"})
        db.session.commit()
        assert att.state == "open"                               # as this request read it
        db.session.execute(update(Attempt).where(Attempt.id == att.id).values(state="submitted")
                           .execution_options(synchronize_session=False))       # another request submits
        assert att.state == "open"
        with pytest.raises(exams.ExamError, match="has been submitted"):
            exams.save(att, {essay: "too late"})
        db.session.commit()
    assert _saved(att, essay) == "in time"


def test_the_autosave_stores_or_gives_the_reason(app, client, quiz, users):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    trainee, other = users["trainee"], users["other"]
    with app.test_request_context("/"):
        exams.save_answer(att.public_id, trainee, essay, "ordinary")
        with pytest.raises(exams.AttemptNotFound):
            exams.save_answer(att.public_id, other, essay, "not theirs")
        with pytest.raises(exams.ExamError, match="Unknown question 99"):
            exams.save_answer(att.public_id, trainee, 99, "x")
    assert _saved(att, essay) == "ordinary"


def test_an_attempt_submitted_by_its_deadline_completes_the_course_as_a_submission_would(client, quiz, users):
    quiz.sections[1].idnumbers = ["X-5"]          # no essay: graded at once
    db.session.commit()
    login(client, "trainee@example.com")
    _all_lessons_done(client)
    att = _start(client, quiz)
    for pos, response in _answer_all_right(att).items():
        client.post(f"/attempts/{att.public_id}/answer", json={"position": pos, "response": response})
    att.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/attempts/{att.public_id}").status_code == 302      # time is up: submitted on access
    db.session.expire_all()
    assert db.session.get(Attempt, att.id).state == "graded"
    e = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["trainee"].id))
    assert e.completed_at is not None
