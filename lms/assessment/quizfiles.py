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

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, model_validator
from sqlalchemy import select

from lms.assessment.models import GRADING_METHODS, REVIEW_WHEN, Quiz, QuizSection
from lms.assessment.starting import discard_prepared, retime_open_attempts
from lms.catalog.files import KEY_RE
from lms.catalog.models import Course
from lms.content import ContentError, ContentInvalid, digest, line_of, parse_yaml
from lms.content_schema import (
    ContentModel,
    bilingual,
    flag,
    issues,
    known,
    one_of,
    problem,
    said,
    shape,
    text,
    validate,
    whole,
)
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt


def _moment(value) -> datetime | None:
    """A date and time with its time zone (``2026-12-01T09:00+08:00``, or ``Z`` for UTC), stored as naive UTC.
    A time without a zone is refused rather than guessed: a cohort in Beijing and a server in UTC would
    otherwise disagree by eight hours."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):         # a date alone is not a moment either
        raise problem("'{field}' must be a date and time with its time zone, e.g. 2026-12-01T09:00+08:00")
    if value.tzinfo is None or value.utcoffset() is None:
        raise problem(f"'{{field}}' needs its time zone, e.g. {value.isoformat(timespec='minutes')}+08:00 "
                      f"(Beijing) or {value.isoformat(timespec='minutes')}Z (UTC)")
    return value.astimezone(UTC).replace(tzinfo=None)


Moment = Annotated[datetime | None, BeforeValidator(_moment)]


class ReviewSchema(ContentModel):
    model_config = ConfigDict(extra="ignore")
    feedback: one_of(REVIEW_WHEN, "review.{field} must be one of {choices}") = "after_submit"
    answers: one_of(REVIEW_WHEN, "review.{field} must be one of {choices}") = "after_submit"


class SectionSchema(ContentModel):
    where = "section {n}"
    bank: known("banks", "bank {value} is not a question bank (known: {known})") = None
    questions: Annotated[list[str] | None, said("'questions' must be a list of question ids")] = None
    draw: whole(1, 500) | None = None
    competency: text() | None = None
    category: text() | None = None
    tag: text() | None = None
    level: one_of(LEVEL_CODES, "level must be one of {choices}") | None = None
    mark: whole(1, 100) = 1

    @model_validator(mode="after")
    def _one_way(self):
        if (self.questions is None) == (self.draw is None):
            issues([((), "give either 'questions' (a list of ids) or 'draw' (how many to pick at random)")])
        return self


class QuizSchema(ContentModel):
    """``courses/<slug>/quizzes/<key>.yaml`` (and ``courses/diagnostic.yaml``)."""
    where = "quiz"
    not_mapping = "a quiz file must be a mapping"
    title: bilingual(max_len=300) = None
    intro: bilingual(required=False) = None
    module: known("modules", "module {value} is not a module of this course ({known})") | None = None
    kind: one_of(("quiz", "diagnostic"), "kind must be quiz or diagnostic") = "quiz"
    required: flag() = True
    time_limit_minutes: whole(1, 600) | None = None
    opens: Moment = None
    closes: Moment = None
    attempts: whole(0, 100) | None = 0
    grading: one_of(GRADING_METHODS, "grading must be one of {choices}") = "highest"
    pass_mark: whole(0, 100) | None = 60
    shuffle_questions: flag() = True
    shuffle_answers: flag() = True
    review: Annotated[ReviewSchema, shape(dict, "'review' must be a mapping with feedback and answers")] = None
    sections: Annotated[list[SectionSchema], shape(list, "'sections' must be a non-empty list", 1)] = None

    @model_validator(mode="after")
    def _window(self):
        if self.opens and self.closes and self.closes <= self.opens:
            issues([(("closes",), "'closes' must be after 'opens'")])
        return self


def parse_quiz(text: str, display: str, key: str, module_keys: set[str], bank_families: set[str],
               shown_families: set[str] | None = None) -> dict:
    """A quiz file's settings. A section names one of ``bank_families``; an error lists ``shown_families`` (the
    families the editor manages; all of them by default) as the known ones."""
    data = parse_yaml(text, display)
    errors = [] if KEY_RE.match(key) else [
        ContentError(display, line_of(data), f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")]
    context = {"modules": module_keys, "banks": bank_families,
               "shown_banks": bank_families if shown_families is None else shown_families}
    quiz = validate(QuizSchema, data, display, context, errors)
    out = {"key": key, **quiz.model_dump(exclude={"review", "sections"}),
           "review_feedback": quiz.review.feedback, "review_answers": quiz.review.answers}
    out["sections"] = [{"bank": s.bank, "idnumbers": s.questions, "draw": s.draw, "competency": s.competency,
                        "category": s.category, "tag": s.tag, "level": s.level, "mark": s.mark} for s in quiz.sections]
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
