"""Taking exams: start (drawing questions), save answers, submit (idempotent), grade, deadlines.

The server owns the clock: the deadline is stored when the attempt starts, answers are refused
after it, and an attempt found past its deadline is submitted with what was saved.
"""
from __future__ import annotations

import random
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.assessment import qtypes
from lms.assessment.models import (
    Attempt,
    AttemptItem,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
    QuestionVersion,
    Quiz,
)
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import evidence
from lms.frameworks.models import Competency


class ExamError(ValueError):
    pass


def diagnostic_quiz() -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.kind == "diagnostic", Quiz.course_id.is_(None))
                             .options(selectinload(Quiz.sections)))


def quiz_by_public_id(public_id: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.public_id == public_id).options(selectinload(Quiz.sections)))


def attempt_by_public_id(public_id: str) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.public_id == public_id).options(
        selectinload(Attempt.items).selectinload(AttemptItem.version), selectinload(Attempt.quiz)))


def user_attempts(user, quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
                                   .order_by(Attempt.number)))


def _bank_for(family: str, lang: str) -> QuestionBank | None:
    for slug in (f"{family}-{lang}", f"{family}-en", f"{family}-zh", family):
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))
        if bank is not None:
            return bank
    return None


def _usage(question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    return dict(db.session.execute(select(AttemptItem.question_id, func.count()).where(
        AttemptItem.question_id.in_(question_ids)).group_by(AttemptItem.question_id)).all())


def draw(quiz: Quiz, lang: str, rng: random.Random) -> list[tuple[Question, int]]:
    """The questions of a new attempt with their marks; random sections prefer the least-used questions."""
    chosen: list[tuple[Question, int]] = []
    taken: set[int] = set()
    for section in quiz.sections:
        bank = _bank_for(section.bank, lang)
        if bank is None:
            raise ExamError(_("This exam's question bank is missing; tell the course's instructors."))
        if section.idnumbers:
            rows = {q.idnumber: q for q in db.session.scalars(select(Question).where(
                Question.bank_id == bank.id, Question.idnumber.in_(section.idnumbers))
                .options(selectinload(Question.versions)))}
            for idn in section.idnumbers:
                if idn in rows and rows[idn].id not in taken:
                    chosen.append((rows[idn], section.mark))
                    taken.add(rows[idn].id)
            continue
        query = (select(Question).join(QuestionVersion, (QuestionVersion.question_id == Question.id)
                                       & (QuestionVersion.version == Question.current_version))
                 .where(Question.bank_id == bank.id, QuestionVersion.qtype != "description"))
        if quiz.kind == "diagnostic":     # the diagnostic is scored at once: no essays
            query = query.where(QuestionVersion.qtype != "essay")
        if section.competency:
            query = query.join(Competency, Competency.id == QuestionVersion.competency_id).where(
                (Competency.code == section.competency) | Competency.code.like(f"{section.competency}.%"))
        if section.level:
            query = query.where(QuestionVersion.level == section.level)
        if section.tag:
            query = query.where(Question.tags.any(QuestionTag.tag == section.tag))
        if section.category:
            query = query.join(QuestionCategory, QuestionCategory.id == Question.category_id).where(
                (QuestionCategory.path == section.category) | QuestionCategory.path.like(f"{section.category}/%"))
        pool = [q for q in db.session.scalars(query.options(selectinload(Question.versions))) if q.id not in taken]
        usage = _usage([q.id for q in pool])
        rng.shuffle(pool)
        pool.sort(key=lambda q: usage.get(q.id, 0))   # stable: random among equally used
        for q in pool[: section.draw or 0]:
            chosen.append((q, section.mark))
            taken.add(q.id)
    return chosen


def check_can_start(user, quiz: Quiz) -> None:
    now = utcnow()
    if quiz.open_at and now < quiz.open_at:
        raise ExamError(_("This exam opens on %(when)s.", when=quiz.open_at.strftime("%Y-%m-%d %H:%M UTC")))
    if quiz.close_at and now >= quiz.close_at:
        raise ExamError(_("This exam closed on %(when)s.", when=quiz.close_at.strftime("%Y-%m-%d %H:%M UTC")))
    done = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.state != "open")) or 0
    if quiz.attempts_allowed and done >= quiz.attempts_allowed:
        raise ExamError(_("You have used all %(n)d attempts of this exam.", n=quiz.attempts_allowed))


def open_attempt(user, quiz: Quiz) -> Attempt | None:
    att = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                  Attempt.state == "open"))
    if att is not None and is_overdue(att):
        submit(att)
        return None
    return att


def start(user, quiz: Quiz, lang: str, seed: int | None = None) -> Attempt:
    """Start an attempt, or return the one already open (one open attempt at a time)."""
    existing = open_attempt(user, quiz)
    if existing is not None:
        return existing
    check_can_start(user, quiz)
    rng = random.Random(seed)
    picked = draw(quiz, lang, rng)
    if not picked:
        raise ExamError(_("This exam has no questions yet; tell the course's instructors."))
    if quiz.shuffle_questions:
        rng.shuffle(picked)
    number = (db.session.scalar(select(func.max(Attempt.number)).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)) or 0) + 1
    now = utcnow()
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.close_at and (deadline is None or quiz.close_at < deadline):
        deadline = quiz.close_at
    att = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, language=lang, started_at=now, deadline=deadline)
    for pos, (question, mark) in enumerate(picked, start=1):
        version = question.current
        order = None
        spec = version.spec
        if quiz.shuffle_answers and spec["qtype"] == "multichoice":
            order = list(range(len(spec["answers"])))
            rng.shuffle(order)
        elif spec["qtype"] == "match":
            order = sorted({p["answer"] for p in spec["pairs"]})
            rng.shuffle(order)
        att.items.append(AttemptItem(position=pos, question_id=question.id, version_id=version.id,
                                     mark=0 if spec["qtype"] == "description" else mark, order=order))
    att.max_score = float(sum(i.mark for i in att.items))
    db.session.add(att)
    try:
        db.session.flush()
    except IntegrityError:
        # another request started the same attempt at the same moment: use that one
        db.session.rollback()
        again = open_attempt(user, quiz)
        if again is None:
            raise
        return again
    return att


def is_overdue(att: Attempt) -> bool:
    return att.state == "open" and att.deadline is not None and utcnow() >= att.deadline


def save(att: Attempt, responses: dict[int, object]) -> int:
    """Store responses by item position. Refused once the attempt is closed or past its deadline."""
    if att.state != "open":
        raise ExamError(_("This attempt has been submitted; answers can no longer change."))
    if is_overdue(att):
        submit(att)
        raise ExamError(_("Time is up: the attempt was submitted with the answers saved before the deadline."))
    by_pos = {i.position: i for i in att.items}
    now = utcnow()
    count = 0
    for pos, response in responses.items():
        item = by_pos.get(pos)
        if item is None:
            raise ExamError(_("Unknown question %(n)s.", n=pos))
        item.response = clean_response(item.version.spec, response)
        item.saved_at = now
        count += 1
    db.session.flush()
    return count


def save_one(att: Attempt, position: int, response) -> None:
    """The autosave path: one answer, touching only the attempt row and that item."""
    if att.state != "open":
        raise ExamError(_("This attempt has been submitted; answers can no longer change."))
    if is_overdue(att):
        submit(att)
        raise ExamError(_("Time is up: the attempt was submitted with the answers saved before the deadline."))
    row = db.session.execute(select(AttemptItem.id, QuestionVersion.spec).join(
        QuestionVersion, QuestionVersion.id == AttemptItem.version_id).where(
        AttemptItem.attempt_id == att.id, AttemptItem.position == position)).first()
    if row is None:
        raise ExamError(_("Unknown question %(n)s.", n=position))
    db.session.execute(update(AttemptItem).where(AttemptItem.id == row.id).values(
        response=clean_response(row.spec, response), saved_at=utcnow()).execution_options(synchronize_session=False))


def clean_response(spec: dict, response):
    """Keep only what the question type can use (never trust the browser's shape)."""
    qtype = spec["qtype"]
    if qtype == "multichoice":
        n = len(spec["answers"])
        values = response if isinstance(response, list) else [response]
        picked = sorted({int(v) for v in values if str(v).isdigit() and int(v) < n})
        return picked if not spec.get("single", True) else (picked[0] if picked else None)
    if qtype == "match":
        if not isinstance(response, dict):
            return {}
        count = sum(1 for p in spec["pairs"] if p["text"])
        return {str(k): str(v)[:500] for k, v in response.items() if str(k).isdigit() and int(k) < count}
    if qtype == "truefalse":
        return None if response in (None, "") else str(response).lower() in ("1", "true", "t")
    if qtype == "description":
        return None
    return str(response or "")[:50_000]


def submit(att: Attempt) -> Attempt:
    """Submit and grade. Safe to call twice or from two requests at once: only one submission counts."""
    won = db.session.execute(update(Attempt).where(Attempt.id == att.id, Attempt.state == "open")
                             .values(state="submitted", submitted_at=utcnow())
                             .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(att)
    if won != 1:
        return att
    for item in att.items:
        spec = item.version.spec
        qtype = qtypes.get(spec["qtype"])
        if not qtype.graded:
            continue
        fraction = qtype.grade(spec, item.response)
        if fraction is None:
            item.needs_grading = True
        else:
            item.fraction = float(fraction)
            _evidence(att, item)
    _total(att)
    db.session.flush()
    return att


def _evidence(att: Attempt, item: AttemptItem) -> None:
    v = item.version
    if v.competency_id and v.level and item.fraction is not None:
        evidence.record(att.user_id, v.competency_id, v.level, item.fraction,
                        "diagnostic" if att.quiz.kind == "diagnostic" else "quiz", f"{att.public_id}#{item.position}")


def _total(att: Attempt) -> None:
    pending = any(i.needs_grading and i.fraction is None for i in att.items)
    score = sum((i.fraction or 0) * i.mark for i in att.items)
    att.score = round(score, 4)
    att.percent = round(100 * score / att.max_score, 2) if att.max_score else 0.0
    att.state = "submitted" if pending else "graded"


def grade_item(item: AttemptItem, fraction: float, comment: str | None, grader) -> None:
    if not 0 <= fraction <= 1:
        raise ExamError(_("The grade must be between 0 and the question's mark."))
    first = item.fraction is None
    item.fraction = fraction
    item.comment = comment or None
    item.grader_id = grader.id
    item.graded_at = utcnow()
    item.needs_grading = False
    if first:
        _evidence(item.attempt, item)
    _total(item.attempt)
    db.session.flush()


def close_overdue() -> int:
    """Submit every open attempt past its deadline (run by `lms exams close-overdue` and on access)."""
    rows = db.session.scalars(select(Attempt).where(Attempt.state == "open", Attempt.deadline.is_not(None),
                                                    Attempt.deadline <= utcnow())).all()
    for att in rows:
        submit(att)
    return len(rows)


def final_grade(attempts: list[Attempt], method: str) -> float | None:
    graded = [a for a in attempts if a.state == "graded" and a.percent is not None]
    if not graded:
        return None
    if method == "first":
        return graded[0].percent
    if method == "last":
        return graded[-1].percent
    if method == "average":
        return round(sum(a.percent for a in graded) / len(graded), 2)
    return max(a.percent for a in graded)


def can_review(att: Attempt, what: str) -> bool:
    """Feedback ('feedback') or right answers ('answers') may be shown only after submission, as the quiz allows."""
    if att.state == "open":
        return False
    when = att.quiz.review_feedback if what == "feedback" else att.quiz.review_answers
    if when == "after_submit":
        return True
    if when == "after_close":
        return att.quiz.close_at is not None and utcnow() >= att.quiz.close_at
    return False


def grading_queue(course_ids: list[int] | None):
    query = (select(AttemptItem).join(Attempt).join(Quiz)
             .where(AttemptItem.needs_grading.is_(True), AttemptItem.fraction.is_(None))
             .options(selectinload(AttemptItem.version), selectinload(AttemptItem.attempt).selectinload(Attempt.quiz))
             .order_by(Attempt.submitted_at))
    if course_ids is not None:
        query = query.where(Quiz.course_id.in_(course_ids))
    return list(db.session.scalars(query))


def compatible(old: dict, new: dict) -> bool:
    """A new key can regrade old responses only if they still mean the same: same type and same options."""
    if old["qtype"] != new["qtype"]:
        return False
    if old["qtype"] == "multichoice":
        return len(old["answers"]) == len(new["answers"]) and old.get("single") == new.get("single")
    if old["qtype"] == "match":
        return [p["text"] for p in old["pairs"]] == [p["text"] for p in new["pairs"]]
    return old["qtype"] in ("truefalse", "shortanswer", "numerical")


def attempts_using(version_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptItem).join(Attempt).where(
        AttemptItem.version_id == version_id, Attempt.state != "open")) or 0


def regrade(question: Question, old_version: QuestionVersion) -> int:
    """Regrade the finished attempts that showed ``old_version`` with the question's current key.
    The attempts keep showing the old version; the grade, the totals and the evidence follow the new key."""
    new = question.current
    if new.id == old_version.id or not compatible(old_version.spec, new.spec):
        raise ExamError(_("The current version cannot regrade that version: the question type or its options changed."))
    qtype = qtypes.get(new.spec["qtype"])
    items = db.session.scalars(select(AttemptItem).join(Attempt).where(
        AttemptItem.version_id == old_version.id, Attempt.state != "open")
        .options(selectinload(AttemptItem.attempt).selectinload(Attempt.items))).all()
    for item in items:
        fraction = qtype.grade(new.spec, item.response)
        if fraction is None:
            continue
        item.fraction = float(fraction)
        item.graded_version_id = new.id
        att = item.attempt
        if new.competency_id and new.level:
            evidence.record(att.user_id, new.competency_id, new.level, item.fraction, "regrade",
                            f"{att.public_id}#{item.position}")
        _total(att)
    db.session.flush()
    return len(items)
