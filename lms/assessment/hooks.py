"""How exams join the catalogue, through signals: the completion rule, the activities listed in each module and
the course editor's links."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms import signals
from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt, Quiz
from lms.catalog import services as catalog
from lms.extensions import db


def course_quizzes(course) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.position, Quiz.key)))


def quiz_results(user, quizzes: list[Quiz]) -> dict[int, float | None]:
    if not quizzes or not getattr(user, "is_authenticated", False):
        return {}
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == user.id,
                                                        Attempt.quiz_id.in_([q.id for q in quizzes]))
                                  .order_by(Attempt.number)).all()
    out = {}
    for q in quizzes:
        out[q.id] = final_grade([a for a in attempts if a.quiz_id == q.id], q.grading_method)
    return out


def required_quizzes_passed(course, *, user) -> bool:
    quizzes = [q for q in course_quizzes(course) if q.required]
    results = quiz_results(user, quizzes)
    return all(results.get(q.id) is not None and results[q.id] >= q.pass_mark for q in quizzes)


def activities(course, *, user) -> dict[str, list[catalog.Activity]]:
    quizzes = course_quizzes(course)
    results = quiz_results(user, quizzes)
    out: dict[str, list[catalog.Activity]] = {}
    for q in quizzes:
        grade = results.get(q.id)
        if grade is None:
            status, done = (_("required exam") if q.required else _("optional exam")), False
        else:
            done = grade >= q.pass_mark
            status = _("%(pct)s%% — passed", pct=f"{grade:g}") if done else _("%(pct)s%% — not yet passed", pct=f"{grade:g}")
        out.setdefault(q.module_key or "", []).append(
            catalog.Activity(q, url_for("exams.quiz", public_id=q.public_id), status, done))
    return out


def editor_links(course) -> list[tuple[str, str]]:
    links = [(_("New exam"), url_for("exams.new_quiz", slug=course.slug))]
    links += [(_("Exam: %(title)s", title=q.title_en or q.title_zh or q.key), url_for("exams.edit_quiz", slug=course.slug,
                                                                                   key=q.key)) for q in course_quizzes(course)]
    return links


def connect_signals() -> None:
    signals.editor_links.connect(editor_links, weak=False)
    signals.completion_rules.connect(required_quizzes_passed, weak=False)
    signals.module_activities.connect(activities, weak=False)
