"""Quizzes defined in course files: ``courses/<slug>/quizzes/<key>.yaml``.

    title: {en: Module 1 quiz, zh: 模块一测验}
    module: m1-system            # a module key of the course (omit for a course-level exam)
    required: true               # counts toward course completion
    time_limit_minutes: 20       # omit for no limit
    opens: 2026-12-01T09:00+08:00    # omit for always open; a date and time with its time zone
    closes: 2026-12-01T12:00+08:00   # attempts still open then are submitted with what was saved
    attempts: 3                  # 0 = unlimited
    grading: highest             # highest | first | last | average
    pass_mark: 60                # percent
    shuffle_questions: true
    shuffle_answers: true
    review: {feedback: after_submit, answers: after_submit}   # after_submit | after_close | never
    sections:
      - {bank: f1-system-policy-ethics, draw: 5, tag: module-m1-system}
      - {bank: f1-system-policy-ethics, questions: [F1-D1.1-001]}
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from lms.assessment.models import GRADING_METHODS, REVIEW_WHEN, Quiz, QuizSection
from lms.assessment.starting import discard_prepared, retime_open_attempts
from lms.catalog.files import KEY_RE
from lms.catalog.models import Course
from lms.content import Checker, ContentError, ContentInvalid, digest, parse_yaml
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt

ALLOWED = {"title", "intro", "module", "required", "time_limit_minutes", "attempts", "grading", "pass_mark",
           "shuffle_questions", "shuffle_answers", "review", "sections", "kind", "opens", "closes"}


def _int(c: Checker, node, key, where, default, lo, hi):
    value = node.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        c.error(node, key, f"{where}: '{key}' must be a whole number from {lo} to {hi}")
        return default
    return value


def _moment(c: Checker, node, key, where) -> datetime | None:
    """A date and time with its time zone (``2026-12-01T09:00+08:00``, or ``Z`` for UTC), stored as naive UTC.
    A time without a zone is refused rather than guessed: a cohort in Beijing and a server in UTC would
    otherwise disagree by eight hours."""
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = None
    if not isinstance(value, datetime):
        c.error(node, key, f"{where}: '{key}' must be a date and time with its time zone, "
                           f"e.g. 2026-12-01T09:00+08:00")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        c.error(node, key, f"{where}: '{key}' needs its time zone, e.g. {value.isoformat(timespec='minutes')}+08:00 "
                           f"(Beijing) or {value.isoformat(timespec='minutes')}Z (UTC)")
        return None
    return value.astimezone(UTC).replace(tzinfo=None)


def _bool(c: Checker, node, key, where, default):
    value = node.get(key, default)
    if not isinstance(value, bool):
        c.error(node, key, f"{where}: '{key}' must be true or false")
        return default
    return value


def parse_quiz(text: str, display: str, key: str, module_keys: set[str], bank_families: set[str],
               shown_families: set[str] | None = None) -> dict:
    """A quiz file's settings. A section names one of ``bank_families``; an error lists ``shown_families`` (the
    families the editor manages; all of them by default) as the known ones."""
    shown = bank_families if shown_families is None else shown_families
    data = parse_yaml(text, display)
    c = Checker(display)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(display, 1, "a quiz file must be a mapping")])
    if not KEY_RE.match(key):
        c.error(data, None, f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")
    for k in set(data) - ALLOWED:
        c.error(data, k, f"unknown key {excerpt(k)}")
    where = "quiz"
    module = data.get("module")
    if module is not None and (not isinstance(module, str) or module not in module_keys):
        c.error(data, "module", f"quiz: module {excerpt(module)} is not a module of this course ({', '.join(sorted(module_keys))})")
    review = data.get("review", {}) or {}
    if not isinstance(review, dict):
        c.error(data, "review", "quiz: 'review' must be a mapping with feedback and answers")
        review = {}
    for k in ("feedback", "answers"):
        if review.get(k, "after_submit") not in REVIEW_WHEN:
            c.error(review, k, f"quiz: review.{k} must be one of {', '.join(REVIEW_WHEN)}")
    grading = data.get("grading", "highest")
    if grading not in GRADING_METHODS:
        c.error(data, "grading", f"quiz: grading must be one of {', '.join(GRADING_METHODS)}")
    kind = data.get("kind", "quiz")
    if kind not in ("quiz", "diagnostic"):
        c.error(data, "kind", "quiz: kind must be quiz or diagnostic")
    opens, closes = _moment(c, data, "opens", where), _moment(c, data, "closes", where)
    if opens and closes and closes <= opens:
        c.error(data, "closes", "quiz: 'closes' must be after 'opens'")
    out = {"key": key, "title": c.bilingual(data, "title", where, max_len=300), "opens": opens, "closes": closes,
           "intro": c.bilingual(data, "intro", where, required=False), "module": module, "kind": kind,
           "required": _bool(c, data, "required", where, True),
           "time_limit_minutes": _int(c, data, "time_limit_minutes", where, None, 1, 600),
           "attempts": _int(c, data, "attempts", where, 0, 0, 100), "grading": grading,
           "pass_mark": _int(c, data, "pass_mark", where, 60, 0, 100),
           "shuffle_questions": _bool(c, data, "shuffle_questions", where, True),
           "shuffle_answers": _bool(c, data, "shuffle_answers", where, True),
           "review_feedback": review.get("feedback", "after_submit"),
           "review_answers": review.get("answers", "after_submit"), "sections": []}
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        c.error(data, "sections" if "sections" in data else None, "quiz: 'sections' must be a non-empty list")
        sections = []
    for i, s in enumerate(sections, start=1):
        sw = f"section {i}"
        if not isinstance(s, dict):
            c.error(sections, i - 1, f"{sw}: must be a mapping")
            continue
        for k in set(s) - {"bank", "questions", "draw", "competency", "category", "tag", "level", "mark"}:
            c.error(s, k, f"{sw}: unknown key {excerpt(k)}")
        bank = s.get("bank")
        if not isinstance(bank, str) or bank not in bank_families:
            c.error(s, "bank" if "bank" in s else None, f"{sw}: bank {excerpt(bank)} is not a question bank "
                                                          f"(known: {', '.join(sorted(shown)) or 'none'})")
        questions = s.get("questions")
        draw = s.get("draw")
        if (questions is None) == (draw is None):
            c.error(s, None, f"{sw}: give either 'questions' (a list of ids) or 'draw' (how many to pick at random)")
        if questions is not None and (not isinstance(questions, list) or not all(isinstance(q, str) for q in questions)):
            c.error(s, "questions", f"{sw}: 'questions' must be a list of question ids")
            questions = None
        if draw is not None:
            draw = _int(c, s, "draw", sw, None, 1, 500)
        level = s.get("level")
        if level is not None and level not in LEVEL_CODES:
            c.error(s, "level", f"{sw}: level must be one of {', '.join(LEVEL_CODES)}")
        out["sections"].append({"bank": bank, "idnumbers": questions, "draw": draw,
                                "competency": s.get("competency"), "category": s.get("category"),
                                "tag": s.get("tag"), "level": level, "mark": _int(c, s, "mark", sw, 1, 1, 100)})
    if c.errors:
        raise ContentInvalid(c.errors)
    return out


def parse_course_quizzes(courses_dir: Path, display_root: Path, courses: list[dict], bank_families: set[str]):
    parsed, errors = [], []
    modules = {c["slug"]: {m["key"] for m in c["modules"]} for c in courses}
    for slug, keys in modules.items():
        folder = courses_dir / slug / "quizzes"
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            display = str(path.relative_to(display_root))
            raw = path.read_bytes()
            try:
                data = parse_quiz(raw.decode("utf-8"), display, path.stem, keys, bank_families)
            except ContentInvalid as exc:
                errors.extend(exc.errors)
                continue
            except UnicodeDecodeError as exc:
                errors.append(ContentError(display, None, f"not UTF-8 text ({exc.reason})"))
                continue
            parsed.append((slug, data, digest(raw)))
    return parsed, errors


def apply_quiz(slug: str | None, data: dict, source_hash: str) -> bool:
    """Create or update a course's quiz (or, with ``slug`` None, a quiz outside any course: the diagnostic)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug)) if slug else None
    query = select(Quiz).where(Quiz.key == data["key"])
    query = query.where(Quiz.course_id == course.id) if course else query.where(Quiz.course_id.is_(None))
    quiz = db.session.scalar(query)
    if quiz is not None and quiz.source_hash == source_hash:
        return False
    if quiz is None:
        quiz = Quiz(course_id=course.id if course else None, key=data["key"])
        db.session.add(quiz)
    copy_settings(quiz, data)
    quiz.source_hash = source_hash
    db.session.flush()
    return True


def copy_settings(quiz: Quiz, data: dict) -> None:
    """Copy validated quiz data (from a file or the browser editor) onto a quiz. Attempts drawn ahead of time
    under the old settings are thrown away; the quiz page draws them again."""
    if quiz.id is not None:
        discard_prepared(quiz_ids=[quiz.id])
    quiz.kind = data["kind"]
    quiz.title_en, quiz.title_zh = data["title"]["en"], data["title"]["zh"]
    quiz.intro_en, quiz.intro_zh = data["intro"]["en"], data["intro"]["zh"]
    quiz.module_key = data["module"]
    quiz.required = data["required"]
    quiz.time_limit_minutes = data["time_limit_minutes"]
    quiz.open_at, quiz.close_at = data.get("opens"), data.get("closes")
    quiz.attempts_allowed = data["attempts"]
    quiz.grading_method = data["grading"]
    quiz.pass_mark = data["pass_mark"]
    quiz.shuffle_questions, quiz.shuffle_answers = data["shuffle_questions"], data["shuffle_answers"]
    quiz.review_feedback, quiz.review_answers = data["review_feedback"], data["review_answers"]
    quiz.sections = [QuizSection(position=i, **s) for i, s in enumerate(data["sections"])]
    if quiz.id is not None:         # attempts in progress follow a new time limit or closing time
        retime_open_attempts(quiz)
