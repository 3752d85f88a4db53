"""Grading by people and by a corrected key: the grading queue, a person's mark for one answer (an essay, or a
mark changed on a review), regrading the attempts of a question's old version, and the grade that counts.

Whatever changes an attempt's total also updates the course's completion (and so the certificates' eligibility),
as a submission does. A mark a person gave has ``grader_id`` set; a key correction keeps it, as Moodle does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.assessment import qtypes
from lms.assessment.errors import ExamError
from lms.assessment.exams import FINISHED, complete_course
from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Question,
    QuestionVersion,
    Quiz,
    QuizKind,
)
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import evidence


def may_grade(user, att: Attempt, course) -> bool:
    """The exam's instructors (an admin for an exam outside a course) grade its attempts, never their own."""
    staff = catalog.can_edit(user, course) if course is not None else user.has_role("admin")
    return staff and att.user_id != user.id


def _waiting(query, course_ids: list[int] | None, grader_id: int | None):
    """Answers waiting for a person, in these courses (all when None), the grader's own attempts left out."""
    query = query.where(AttemptItem.needs_grading.is_(True), AttemptItem.fraction.is_(None))
    if course_ids is not None:
        query = query.where(Quiz.course_id.in_(course_ids))
    if grader_id is not None:
        query = query.where(Attempt.user_id != grader_id)
    return query


def grading_queue_size(course_ids: list[int] | None, grader_id: int | None = None) -> int:
    """How many answers wait for a person in these courses (all when None), the grader's own left out."""
    query = select(func.count()).select_from(AttemptItem).join(Attempt).join(Quiz)
    return db.session.scalar(_waiting(query, course_ids, grader_id)) or 0


@dataclass
class QueueGroup:
    """The answers to one question of one exam waiting for a person: Moodle's manual grading, by question."""
    quiz: Quiz
    question: Question
    waiting: int


def queue_groups(course_ids: list[int] | None, grader_id: int | None = None) -> list[QueueGroup]:
    """What the queue holds, by exam and question, the exams in title order, the questions in id order."""
    query = (select(Attempt.quiz_id, AttemptItem.question_id, func.count()).select_from(AttemptItem)
             .join(Attempt).join(Quiz).group_by(Attempt.quiz_id, AttemptItem.question_id))
    rows = db.session.execute(_waiting(query, course_ids, grader_id)).all()
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.id.in_({r[0] for r in rows})))}
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_({r[1] for r in rows}))
                                                     .options(selectinload(Question.versions)))}
    groups = [QueueGroup(quizzes[quiz_id], questions[question_id], n) for quiz_id, question_id, n in rows]
    return sorted(groups, key=lambda g: (g.quiz.title_en or "", g.quiz.id, g.question.idnumber or "", g.question.id))


def grading_queue(course_ids: list[int] | None, grader_id: int | None = None, *, quiz_id: int | None = None,
                  question_id: int | None = None):
    """Answers waiting for a person, in these courses (all when None), leaving out the grader's own attempts;
    of one exam, or of one question, when asked. The oldest submission first."""
    query = (select(AttemptItem).join(Attempt).join(Quiz)
             .options(selectinload(AttemptItem.version), selectinload(AttemptItem.attempt).selectinload(Attempt.quiz))
             .order_by(Attempt.submitted_at, AttemptItem.position))
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    if question_id is not None:
        query = query.where(AttemptItem.question_id == question_id)
    return list(db.session.scalars(_waiting(query, course_ids, grader_id)))


def _evidence(att: Attempt, item: AttemptItem, source: str | None = None) -> None:
    v = item.version
    if v.competency_id and v.level and item.fraction is not None:
        evidence.record(att.user_id, v.competency_id, v.level, item.fraction,
                        source or ("diagnostic" if att.quiz.kind == QuizKind.DIAGNOSTIC else "quiz"),
                        f"{att.public_id}#{item.position}")


def _reckon(att: Attempt, planned: dict[int, float] | None = None) -> tuple[float, float]:
    """The attempt's score and percent from its items (with ``planned`` fractions instead, for a dry run)."""
    score = round(sum(((planned or {}).get(i.id, i.fraction) or 0) * i.mark for i in att.items), 4)
    return score, round(100 * score / att.max_score, 2) if att.max_score else 0.0


def _total(att: Attempt) -> None:
    pending = any(i.needs_grading and i.fraction is None for i in att.items)
    att.score, att.percent = _reckon(att)
    att.state = AttemptState.SUBMITTED if pending else AttemptState.GRADED


def grade_item(item: AttemptItem, fraction: float, comment: str | None, grader) -> None:
    """A person's grade for one answer: an essay waiting in the queue, or a mark changed on the attempt's review
    (any answer, as Moodle's "override mark"). The attempt's total and the course's completion follow; a changed
    mark appends evidence, and the latest row for an answer is the one the profile counts."""
    if not 0 <= fraction <= 1:
        raise ExamError(_("The grade must be between 0 and the question's mark."))
    before = item.fraction
    if before is not None and math.isclose(before, fraction, abs_tol=1e-5):
        fraction = before           # the same mark, as the form showed it rounded: only the comment changed
    item.fraction = fraction
    item.comment = (comment or "").strip() or None
    if before != fraction:          # a mark given by a person (a key correction keeps it); a comment alone is not
        item.grader_id = grader.id
        item.graded_at = utcnow()
    item.needs_grading = False
    if before is None:
        _evidence(item.attempt, item)
    elif before != fraction:
        _evidence(item.attempt, item, "regrade")
    _total(item.attempt)
    db.session.flush()
    complete_course(item.attempt)


def final_grade(attempts: list[Attempt], method: str) -> float | None:
    """The grade that counts under the quiz's rule, reckoned as Moodle does. 'first' and 'last' are the first and
    the last submitted attempt: while that one waits for an essay's grade there is no grade yet, rather than
    another attempt's. 'highest' and 'average' take the graded attempts. The order is the attempts' numbers,
    whatever order they came in."""
    finished = sorted((a for a in attempts if a.state in FINISHED), key=lambda a: a.number)
    if method in ("first", "last"):
        if not finished:
            return None
        counted = finished[0] if method == "first" else finished[-1]
        return counted.percent if counted.state == AttemptState.GRADED else None
    graded = [a for a in finished if a.state == AttemptState.GRADED and a.percent is not None]
    if not graded:
        return None
    if method == "average":
        return round(sum(a.percent for a in graded) / len(graded), 2)
    return max(a.percent for a in graded)


def compatible(old: dict, new: dict) -> bool:
    """A new key can regrade old responses only if they still mean the same: same type, and what the type
    asks (the same options, in the same order, for a choice stored by its position)."""
    return old["qtype"] == new["qtype"] and qtypes.of(new).regradable(old, new)


def attempts_using(version_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptItem).join(Attempt).where(
        AttemptItem.version_id == version_id, Attempt.state.in_(FINISHED))) or 0


@dataclass
class Regraded:
    regraded: int = 0       # answers given a new mark by the new key
    kept: int = 0           # marks a person gave, which a key correction keeps (as in Moodle)
    left: int = 0           # answers in attempts this person may not grade: others' courses, or their own


def _plan(question: Question, old_version: QuestionVersion, user) -> tuple[Regraded, list[tuple[AttemptItem, float]]]:
    """What a regrade would do: the counts, and each answer with the share of the marks the new key gives it."""
    new = question.current
    if new.id == old_version.id or not compatible(old_version.spec, new.spec):
        raise ExamError(_("The current version cannot regrade that version: the question type or its options changed."))
    qtype = qtypes.of(new.spec)
    items = db.session.scalars(select(AttemptItem).join(Attempt).where(
        AttemptItem.version_id == old_version.id, Attempt.state.in_(FINISHED))
        .options(selectinload(AttemptItem.attempt).selectinload(Attempt.items))).all()
    counts, plan = Regraded(), []
    courses: dict[int | None, object] = {}
    for item in items:
        att = item.attempt
        course_id = att.quiz.course_id
        if course_id not in courses:
            courses[course_id] = db.session.get(Course, course_id) if course_id is not None else None
        if not may_grade(user, att, courses[course_id]):
            counts.left += 1
        elif item.grader_id is not None:
            counts.kept += 1
        elif (fraction := qtype.grade(new.spec, item.response)) is not None:
            counts.regraded += 1
            plan.append((item, float(fraction)))
    return counts, plan


@dataclass
class Change:
    """One attempt whose grade a regrade would change (Moodle's "dry run")."""
    attempt: Attempt
    before: float
    after: float
    waiting: bool           # an essay still waits for a person: the grade is not final either way


@dataclass
class Verdict:
    """A person whose grade that counts (under the exam's rule) would cross the exam's pass mark."""
    user_id: int
    quiz: Quiz
    before: float | None
    after: float | None
    passes: bool            # True: would now pass; False: would now fail


@dataclass
class _Graded:
    """An attempt as ``final_grade`` reads it, with the grade a regrade would give it."""
    state: str
    number: int
    percent: float | None


def regrade_preview(question: Question, old_version: QuestionVersion, user) -> tuple[Regraded, list[Change],
                                                                                     list[Verdict]]:
    """The regrade's dry run: how many answers it would regrade; each attempt whose grade would change, before
    and after; and each person whose grade that counts would cross the pass mark (the exam's own rule: highest,
    average, first or last). Nothing is written."""
    counts, plan = _plan(question, old_version, user)
    planned = {item.id: fraction for item, fraction in plan}
    attempts = {item.attempt_id: item.attempt for item, _f in plan}
    changes, after = [], {}
    for att in attempts.values():
        after[att.id] = _reckon(att, planned)[1]        # as ``_total`` will write it
        if not math.isclose(att.percent or 0.0, after[att.id], abs_tol=0.005):
            changes.append(Change(att, att.percent or 0.0, after[att.id], att.state != AttemptState.GRADED))
    changes.sort(key=lambda c: (c.attempt.quiz_id, c.attempt.user_id, c.attempt.number))
    verdicts = []
    for user_id, quiz in {(a.user_id, a.quiz) for a in attempts.values() if a.quiz.kind != QuizKind.DIAGNOSTIC}:
        mine = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz.id)))
        now = final_grade(mine, quiz.grading_method)
        then = final_grade([_Graded(a.state, a.number, after.get(a.id, a.percent)) for a in mine], quiz.grading_method)
        was, will = now is not None and now >= quiz.pass_mark, then is not None and then >= quiz.pass_mark
        if was != will and then is not None:
            verdicts.append(Verdict(user_id, quiz, now, then, will))
    verdicts.sort(key=lambda v: (v.quiz.id, v.user_id))
    return counts, changes, verdicts


def regrade(question: Question, old_version: QuestionVersion, user) -> Regraded:
    """Regrade the finished attempts that showed ``old_version`` with the question's current key, among those
    ``user`` may grade (a bank is shared; the exams using it are not all theirs, and nobody regrades their own
    attempt). The attempts keep showing the old version; the grade, the totals, the evidence and the courses'
    completion follow the new key. A mark a person gave (or changed) stays, as in Moodle."""
    new = question.current
    counts, plan = _plan(question, old_version, user)
    changed: dict[tuple, Attempt] = {}
    for item, fraction in plan:
        att = item.attempt
        item.fraction = fraction
        item.graded_version_id = new.id
        if new.competency_id and new.level:
            evidence.record(att.user_id, new.competency_id, new.level, item.fraction, "regrade",
                            f"{att.public_id}#{item.position}")
        _total(att)
        changed[(att.user_id, att.quiz.course_id)] = att
    db.session.flush()
    for att in changed.values():        # a corrected key can pass (or fail) a required exam: once per person and course
        complete_course(att)
    return counts
