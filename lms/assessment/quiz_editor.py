"""Editing an exam in the browser, in the same YAML as ``courses/<slug>/quizzes/<key>.yaml``,
validated by the same reader (so the browser and the files can never disagree)."""
from __future__ import annotations

from sqlalchemy import select

from lms.assessment.banks import all_banks, family
from lms.assessment.models import Quiz
from lms.assessment.ownership import managed_families
from lms.assessment.quizfiles import copy_settings, parse_quiz
from lms.catalog.files import dump_yaml
from lms.extensions import db

TEMPLATE = """title: {en: "New exam", zh: "新考试"}
module: %(module)s
required: true
time_limit_minutes: 20
# opens: 2026-12-01T09:00+08:00    # when it opens and closes: a date and time with its time zone
# closes: 2026-12-01T12:00+08:00
attempts: 3
grading: highest
pass_mark: 60
shuffle_questions: true
shuffle_answers: true
review: {feedback: after_submit, answers: after_submit}
sections:
  - {bank: %(bank)s, draw: 5}
"""


def quiz_yaml(quiz: Quiz) -> str:
    doc = {"title": {k: v for k, v in (("en", quiz.title_en), ("zh", quiz.title_zh)) if v}}
    if quiz.intro_en or quiz.intro_zh:
        doc["intro"] = {k: v for k, v in (("en", quiz.intro_en), ("zh", quiz.intro_zh)) if v}
    if quiz.module_key:
        doc["module"] = quiz.module_key
    doc.update({"required": quiz.required})
    if quiz.time_limit_minutes:
        doc["time_limit_minutes"] = quiz.time_limit_minutes
    for key, moment in (("opens", quiz.open_at), ("closes", quiz.close_at)):
        if moment is not None:        # stored in UTC, written so
            doc[key] = moment.isoformat(timespec="minutes" if not moment.second else "seconds") + "Z"
    doc.update({"attempts": quiz.attempts_allowed, "grading": quiz.grading_method, "pass_mark": quiz.pass_mark,
                "shuffle_questions": quiz.shuffle_questions, "shuffle_answers": quiz.shuffle_answers,
                "review": {"feedback": quiz.review_feedback, "answers": quiz.review_answers}, "sections": []})
    for s in quiz.sections:
        sec = {"bank": s.bank}
        if s.idnumbers:
            sec["questions"] = list(s.idnumbers)
        else:
            sec["draw"] = s.draw
        for k in ("competency", "category", "tag", "level"):
            if getattr(s, k):
                sec[k] = getattr(s, k)
        if s.mark != 1:
            sec["mark"] = s.mark
        doc["sections"].append(sec)
    return dump_yaml(doc)


def new_quiz_yaml(course, user) -> str:
    fams = sorted(managed_families(user))          # a family whose keys the person may see
    return TEMPLATE % {"module": course.modules[0].key if course.modules else "null",
                       "bank": fams[0] if fams else "my-bank"}


def save_quiz(course, key: str, text: str, quiz: Quiz | None = None, *, user=None) -> Quiz:
    """Validate and store; raises ContentInvalid with line numbers (the known banks listed: those ``user``
    manages, when given). Browser edits keep the file's hash, so an unchanged file does not overwrite them at
    the next `lms load`."""
    families = {family(b.slug) for b in all_banks()}
    data = parse_quiz(text, "quiz", key, {m.key for m in course.modules}, families,
                      managed_families(user) if user is not None else None)
    if quiz is None:
        if db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.key == key)):
            from lms.content import ContentError, ContentInvalid
            raise ContentInvalid([ContentError("quiz", None, f"an exam with the key {key!r} already exists")])
        quiz = Quiz(course_id=course.id, key=key)
        db.session.add(quiz)
    copy_settings(quiz, data)
    db.session.flush()
    return quiz
