"""An exam's opening and closing times, set in its file or in the browser (Moodle's "Open the quiz" / "Close the quiz")."""
import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, Question, Quiz
from lms.assessment.quizfiles import parse_quiz
from lms.content import ContentInvalid
from lms.db import utcnow
from lms.extensions import db
from tests.factories import login
from tests.factories.content import F1

BASE = "title: {en: Check, zh: 检查}\nmodule: m1-system\n%s\nsections:\n  - {bank: exam, questions: [X-1, X-2]}\n"


def _parse(extra: str) -> dict:
    return parse_quiz(BASE % extra, "quizzes/check.yaml", "check", {"m1-system"}, {"exam"})


def test_opening_and_closing_times_are_read_with_their_time_zone_and_stored_in_utc():
    data = _parse("opens: 2026-12-01T09:00+08:00\ncloses: '2026-12-01 12:30:00Z'")
    assert data["opens"] == datetime(2026, 12, 1, 1, 0) and data["closes"] == datetime(2026, 12, 1, 12, 30)
    data = _parse("opens: 2026-12-01 09:00:00 +08:00")            # YAML's own timestamp form
    assert data["opens"] == datetime(2026, 12, 1, 1, 0) and data["closes"] is None


@pytest.mark.parametrize("extra, message", [
    ("opens: 2026-12-01T09:00", "line 3: quiz: 'opens' needs its time zone, e.g. 2026-12-01T09:00+08:00"),
    ("opens: 2026-12-01", "line 3: quiz: 'opens' must be a date and time with its time zone"),
    ("closes: next monday", "line 3: quiz: 'closes' must be a date and time with its time zone"),
    ("opens: 2026-12-01T09:00Z\ncloses: 2026-12-01T17:00+08:00", "line 4: quiz: 'closes' must be after 'opens'"),
])
def test_a_time_without_its_zone_or_closing_before_it_opens_is_refused_with_its_line(extra, message):
    with pytest.raises(ContentInvalid) as exc:
        _parse(extra)
    assert f"quizzes/check.yaml:{message.removeprefix('line ')}" in [str(e) for e in exc.value.errors][0]


def test_the_instructor_sets_the_window_in_the_browser_and_trainees_see_it_and_are_held_to_it(app, client, quiz, users):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    new = teacher.get(f"/teach/courses/{F1}/exams/new").get_data(as_text=True)
    assert "# opens: " in new and "# closes: " in new                  # the example shows how
    opens = utcnow().replace(microsecond=0) + timedelta(days=2)
    source = BASE % f"opens: {(opens + timedelta(hours=8)).isoformat()}+08:00"
    assert teacher.post(f"/teach/courses/{F1}/exams/new", data={"key": "check", "source": source}).status_code == 302
    check = db.session.scalar(select(Quiz).where(Quiz.key == "check"))
    assert check.open_at == opens and check.close_at is None
    again = teacher.get(f"/teach/courses/{F1}/exams/check").get_data(as_text=True)
    written = opens.isoformat(timespec="minutes" if not opens.second else "seconds")
    # written back in UTC (YAML quotes it when it has seconds, as it would read as a timestamp otherwise)
    assert f"opens: &#39;{written}Z&#39;" in again or f"opens: {written}Z\n" in again
    login(client, "trainee@example.com")
    page = client.get(f"/quizzes/{check.public_id}").get_data(as_text=True)
    assert f"Opens</dt><dd>{opens:%Y-%m-%d %H:%M} UTC</dd>" in page
    refused = client.post(f"/quizzes/{check.public_id}/start", follow_redirects=True).get_data(as_text=True)
    assert f"This exam opens on {opens:%Y-%m-%d %H:%M} UTC" in refused
    assert db.session.scalar(select(Attempt).where(Attempt.quiz_id == check.id, Attempt.state != "prepared")) is None
    # closed: the window is moved into the past by the editor, and the exam refuses to start
    closed = BASE % "opens: 2020-01-01T09:00Z\ncloses: 2020-01-01T10:00Z"
    teacher.post(f"/teach/courses/{F1}/exams/check", data={"source": closed})
    refused = client.post(f"/quizzes/{check.public_id}/start", follow_redirects=True).get_data(as_text=True)
    assert "This exam closed on 2020-01-01 10:00 UTC" in refused


def test_with_lms_timezone_the_window_is_shown_in_that_zone_with_its_offset(app, client, quiz, users, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_TIMEZONE", "Asia/Shanghai")
    quiz.open_at = datetime(2030, 12, 1, 1, 0)                   # 09:00 in Beijing
    db.session.commit()
    login(client, "trainee@example.com")
    page = client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert "Opens</dt><dd>2030-12-01 09:00 UTC+08:00</dd>" in page
    refused = client.post(f"/quizzes/{quiz.public_id}/start", follow_redirects=True).get_data(as_text=True)
    assert "This exam opens on 2030-12-01 09:00 UTC+08:00" in refused


def test_an_unknown_lms_timezone_stops_the_start_with_a_clear_message(monkeypatch, tmp_path):
    from lms.config import Settings
    monkeypatch.setenv("LMS_TIMEZONE", "Beijing")
    with pytest.raises(ValueError, match="LMS_TIMEZONE='Beijing' is not a time zone"):
        Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path), "LMS_TIMEZONE": "Beijing"}).flask_config()


def test_the_exam_page_warns_its_instructors_when_a_language_s_bank_gives_fewer_questions(app, client, quiz, users):
    from lms.assessment import banks
    from lms.assessment.drawing import Shortfall, shortfalls
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    assert shortfalls(quiz) == []                                  # one bank serves both languages, and has them all
    assert 'id="shortfalls"' not in teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    # a Chinese bank with two of the m1 questions and not the essay: Chinese attempts would be shorter
    zh = banks.get_or_create_bank("exam-zh", "zh")
    banks.import_questions(zh, banks.parse_questions(
        "// [id:X-1] [tag:level-F] [tag:m1]\n::一::专利如何变成股份？ {=作价入股 ~许可}\n\n"
        "// [id:X-2] [tag:level-F] [tag:m1]\n::二::许可转移所有权。{F}\n", "gift", "exam-zh.gift"))
    db.session.commit()
    assert shortfalls(quiz) == [Shortfall(("zh",), "exam-zh", 1, 4, 2), Shortfall(("zh",), "exam-zh", 2, 1, 0, ("X-6",))]
    page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert ("Section 1, bank exam-zh (Chinese attempts): it draws 4, but only 2 ready questions are sure to be left "
            "for it (matching it, and not taken by the sections before it).") in page
    assert "Section 2, bank exam-zh (Chinese attempts): the bank has no question X-6." in page
    login(client, "trainee@example.com")                           # trainees never see it
    assert 'id="shortfalls"' not in client.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    # a draft is never drawn at random: the English section that draws all five m1 questions falls short too
    x5 = db.session.scalar(select(Question).where(Question.idnumber == "X-5", Question.bank_id != zh.id))
    x5.status = "draft"
    quiz.sections[0].draw = 5
    db.session.commit()
    assert Shortfall(("en",), "exam-en", 1, 5, 4) in shortfalls(quiz)


def test_attempts_in_progress_follow_a_closing_time_added_moved_or_removed_in_the_editor(app, client, quiz, users):
    quiz.time_limit_minutes = None                                  # no time limit: only the closing time ends it
    db.session.commit()
    login(client, "trainee@example.com")
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = db.session.scalar(select(Attempt).where(Attempt.state == "open"))
    assert att.deadline is None
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    source = teacher.get(f"/teach/courses/{F1}/exams/m1-quiz").get_data(as_text=True)
    yaml_text = html.unescape(source.split('name="source"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])

    def save(extra: str):
        text = yaml_text.replace("required:", f"{extra}\nrequired:", 1) if extra else yaml_text
        resp = teacher.post(f"/teach/courses/{F1}/exams/m1-quiz", data={"source": text})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        db.session.expire_all()
        return db.session.get(Attempt, att.id).deadline

    closes = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert save(f"closes: {closes.replace(tzinfo=UTC).isoformat()}") == closes          # added: the attempt ends then
    later = closes + timedelta(hours=2)
    assert save(f"closes: {later.replace(tzinfo=UTC).isoformat()}") == later            # postponed
    ended = save("closes: 2020-01-01T00:00Z")                       # moved into the past: five minutes' grace
    assert timedelta(minutes=4) < ended - utcnow() <= timedelta(minutes=5)
    assert save("") is None                                         # removed: the attempt has no end again


def test_sections_before_a_section_take_from_its_questions_and_a_bank_serving_both_languages_is_named_once(
        app, quiz, users):
    from lms.assessment.drawing import Shortfall, shortfalls
    from lms.assessment.models import QuizSection
    both = ("en", "zh")                                         # exam-en is the only bank: both languages draw from it
    # the m1 questions are: named X-1 then five at random leaves four for the draw
    quiz.sections = [QuizSection(position=0, bank="exam", idnumbers=["X-1"]),
                     QuizSection(position=1, bank="exam", draw=5, tag="m1")]
    db.session.commit()
    assert shortfalls(quiz) == [Shortfall(both, "exam-en", 2, 5, 4)]
    # two random sections of three from the same five: the second is sure of two only
    quiz.sections = [QuizSection(position=0, bank="exam", draw=3, tag="m1"),
                     QuizSection(position=1, bank="exam", draw=3, level="F")]
    db.session.commit()
    assert shortfalls(quiz) == []                               # level F: the five and the essay, three are left
    quiz.sections[1].tag = "m1"
    db.session.commit()
    assert shortfalls(quiz) == [Shortfall(both, "exam-en", 2, 3, 2)]
    # a question named twice is shown once
    quiz.sections = [QuizSection(position=0, bank="exam", idnumbers=["X-6"]),
                     QuizSection(position=1, bank="exam", idnumbers=["X-6", "X-2"])]
    db.session.commit()
    assert shortfalls(quiz) == [Shortfall(both, "exam-en", 2, 2, 1, (), ("X-6",))]
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    page = teacher.get(f"/quizzes/{quiz.public_id}").get_data(as_text=True)
    assert "Section 2, bank exam-en (English and Chinese attempts): a section before it already names X-6." in page
