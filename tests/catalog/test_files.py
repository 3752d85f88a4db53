import io
import re
import shutil
import zipfile

import pytest
from sqlalchemy import func, select

from lms.catalog.files import parse_course, parse_lesson, serialize_course
from lms.catalog.loader import apply_course, read_course_dir
from lms.catalog.models import Course, Lesson
from lms.config import REPO_ROOT
from lms.content import ContentInvalid
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.loading import load_all
from tests.factories import make_user

F1 = "f1-system-policy-ethics"


@pytest.fixture
def content_copy(tmp_path):
    shutil.copytree(REPO_ROOT / "courses", tmp_path / "courses")
    shutil.copytree(REPO_ROOT / "question_banks", tmp_path / "question_banks")
    return tmp_path


def _plain(data):
    """Parsed course data without the line bookkeeping, for comparison."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def test_shipped_catalogue_covers_three_levels_and_every_competency(loaded):
    levels = dict(db.session.execute(select(Course.level, func.count()).group_by(Course.level)).all())
    assert levels["F"] >= 5 and levels["P"] >= 5 and levels["E"] >= 5
    fw = current_framework()
    taught = {cc.competency.code for c in db.session.scalars(select(Course)) for cc in c.competencies}
    assert taught == {c.code for d in fw.domains for c in d.competencies}
    f1 = db.session.scalar(select(Course).where(Course.slug == F1))
    assert f1.status == "published" and all(lesson.body_en and lesson.body_zh for lesson in f1.lessons)
    assert sum(lesson.hours for lesson in f1.lessons) == f1.hours


def test_shipped_lessons_render_without_markdown_debris(loaded):
    from lms.catalog.markdown import render_markdown
    for lesson in db.session.scalars(select(Lesson).where(Lesson.body_en.is_not(None))):
        for body in (lesson.body_en, lesson.body_zh):
            html = str(render_markdown(body))
            assert "**" not in html, (lesson.key, html[html.index("**") - 40: html.index("**") + 40])


def test_file_database_export_database_roundtrip(app, loaded):
    fw = current_framework()
    original = parse_course(F1, read_course_dir(REPO_ROOT / "courses" / F1), F1)
    from lms.catalog.authoring import export_zip
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    blob = export_zip(course)
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        files = {name.split("/", 1)[1]: zf.read(name) for name in zf.namelist()}
    exported = parse_course(F1, files, F1)
    assert _plain(exported) == _plain(original)
    # load the export as a new course and compare the stored rows
    exported["slug"] = "f1-copy"
    copy, _ = apply_course(exported, None, fw)
    db.session.commit()
    again = parse_course("f1-copy", {k: v.encode() for k, v in serialize_course(copy).items()}, "f1-copy")
    again["slug"] = F1
    assert _plain(again) == _plain(original)


def test_bad_course_file_names_file_line_reason_and_changes_nothing(app, content_copy):
    load_all(content_copy)
    before = db.session.scalar(select(Course).where(Course.slug == F1)).title_en
    course_yaml = content_copy / "courses" / F1 / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8")
    text = text.replace("Technology-transfer system, policy and ethics", "Changed title")
    text = text.replace("level: F\n", "level: X\n").replace("{code: D1.2, level: F}", "{code: D9.9, level: F}")
    course_yaml.write_text(text, encoding="utf-8")
    lesson = content_copy / "courses" / F1 / "lessons" / "02-actors-and-ecosystem.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("hours: 1.5", "hours: lots"), encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        load_all(content_copy)
    messages = [str(e) for e in exc.value.errors]
    lines = text.splitlines()
    level_line = lines.index("level: X") + 1
    assert any(m.startswith(f"courses/{F1}/course.yaml:{level_line}:") and "'X'" in m for m in messages), messages
    assert any("lessons/02-actors-and-ecosystem.md:" in m and "hours" in m for m in messages), messages
    # the lesson error is reported even though course.yaml is wrong too (every error, not only the first)
    assert len(messages) >= 2
    db.session.expire_all()
    assert db.session.scalar(select(Course).where(Course.slug == F1)).title_en == before


def test_unknown_competency_and_prerequisite_are_reported(app, content_copy):
    course_yaml = content_copy / "courses" / F1 / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8").replace("{code: D1.2, level: F}", "{code: D9.9, level: F}")
    text = text.replace("prerequisites: []", "prerequisites: [no-such-course]")
    course_yaml.write_text(text, encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        load_all(content_copy)
    messages = [str(e) for e in exc.value.errors]
    assert any("D9.9" in m and "not in the competency framework" in m for m in messages)
    assert any("no-such-course" in m and "not a known course" in m for m in messages)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_lesson_not_listed_and_missing_lesson_file(app, content_copy):
    folder = content_copy / "courses" / F1 / "lessons"
    (folder / "99-stray.md").write_text("---\ntitle: {en: Stray}\nhours: 1\n---\n<!-- lang: en -->\nx\n", encoding="utf-8")
    (folder / "08-ethics-coi-confidentiality.md").unlink()
    with pytest.raises(ContentInvalid) as exc:
        load_all(content_copy)
    messages = [str(e) for e in exc.value.errors]
    assert any("99-stray.md" in m and "not listed" in m for m in messages)
    assert any("lessons/08-ethics-coi-confidentiality.md does not exist" in m for m in messages)


def test_reload_keeps_progress_for_lessons_that_stay(app, content_copy):
    from lms.catalog import services
    load_all(content_copy)
    user = make_user()
    course = services.course_by_slug(F1)
    services.enrol(user, course)
    services.mark_done(user, course.lessons[0])
    db.session.commit()
    course_yaml = content_copy / "courses" / F1 / "course.yaml"
    same_hours = re.sub(r"(?m)^hours: ([0-9.]+)$",              # the same number, written differently
                        lambda m: f"hours: {m.group(1)}{'0' if '.' in m.group(1) else '.0'}",
                        course_yaml.read_text(encoding="utf-8"), count=1)
    course_yaml.write_text(same_hours, encoding="utf-8")
    assert F1 in load_all(content_copy).courses_changed
    db.session.expire_all()
    course = services.course_by_slug(F1)
    total, _, _ = services.course_progress(user, course)
    assert total.done == 1


def test_lesson_parser_messages():
    with pytest.raises(ContentInvalid) as exc:
        parse_lesson("no front matter", "x.md")
    assert exc.value.errors[0].line == 1
    with pytest.raises(ContentInvalid) as exc:
        parse_lesson("---\ntitle: {en: A}\nhours: 1\n---\nstray text\n", "x.md")
    assert exc.value.errors[0].line == 5 and "lang" in exc.value.errors[0].reason
    with pytest.raises(ContentInvalid) as exc:
        parse_lesson("---\ntitle: {en: A}\nhours: 1\ncolour: red\n---\n", "x.md")
    assert exc.value.errors[0].line == 4 and "colour" in exc.value.errors[0].reason
    data = parse_lesson("---\ntitle: {en: A, zh: 甲}\nhours: 0.5\n---\n<!-- lang: zh -->\n中文\n<!-- lang: en -->\nEnglish\n", "x.md")
    assert data["body"] == {"en": "English", "zh": "中文"}
