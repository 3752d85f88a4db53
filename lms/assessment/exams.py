"""Taking exams: the attempt page, saving answers, submitting (idempotent), deadlines, the instructor's try-out.
Drawing and starting attempts are in ``starting``; a person's grades, the grading queue and regrading in ``grading``.

The server owns the clock: the deadline is stored when the attempt starts, answers are refused
after it, and an attempt found past its deadline is submitted with what was saved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms import signals
from lms.accounts.models import User
from lms.assessment import qtypes, versioncache
from lms.assessment.errors import ExamError
from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Quiz,
    QuizKind,
)
from lms.db import update_rows, utcnow
from lms.extensions import db
from lms.frameworks import evidence

# table-level statements: executed with a list of rows they run as one executemany
_ITEMS = AttemptItem.__table__
# finished attempts are these two states
FINISHED = (AttemptState.SUBMITTED, AttemptState.GRADED)


def diagnostic_quiz() -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.kind == QuizKind.DIAGNOSTIC, Quiz.course_id.is_(None))
                             .options(selectinload(Quiz.sections)))


def quiz_by_public_id(public_id: str) -> Quiz | None:
    """The quiz with its sections, in one query."""
    return db.session.scalars(select(Quiz).where(Quiz.public_id == public_id)
                              .options(joinedload(Quiz.sections))).unique().first()


def attempt_by_public_id(public_id: str, items: bool = True) -> Attempt | None:
    """The attempt with its quiz, and with its items and their versions unless ``items`` is false."""
    options = [joinedload(Attempt.quiz)]
    if items:
        options.append(selectinload(Attempt.items).selectinload(AttemptItem.version))
    return db.session.scalar(select(Attempt).where(Attempt.public_id == public_id).options(*options))


def user_attempts(user, quiz: Quiz) -> list[Attempt]:
    """The person's attempts of the quiz, oldest first (a prepared, unstarted one is not an attempt yet)."""
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                         Attempt.state != AttemptState.PREPARED)
                                   .order_by(Attempt.number)))


def open_attempt(user, quiz: Quiz) -> Attempt | None:
    att = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                  Attempt.state == AttemptState.OPEN))
    if att is not None and is_overdue(att):
        submit(att)
        return None
    return att


def is_overdue(att: Attempt) -> bool:
    return att.state == AttemptState.OPEN and att.deadline is not None and utcnow() >= att.deadline


def seconds_left(deadline: datetime | None, now: datetime | None = None) -> int | None:
    """Whole seconds before a deadline by the server's clock (0 once it has passed); None without one. The page's
    countdown counts from this rather than from the deadline, so that a computer whose clock is wrong still
    shows the right time left."""
    if deadline is None:
        return None
    # rounded up: the page reloads at 0, and must not before the server counts the attempt as overdue
    return max(0, math.ceil((deadline - (now or utcnow())).total_seconds()))


def attempt_clock(public_id: str):
    """The attempt's owner, state and deadline as a plain row (None when there is no such attempt)."""
    return db.session.execute(select(Attempt.user_id, Attempt.state, Attempt.deadline)
                              .where(Attempt.public_id == public_id)).first()


def _item_rows(att: Attempt, positions=None):
    """The attempt's items (those at ``positions`` when given) as plain rows (no ORM objects), with their
    versions from the process cache."""
    query = select(AttemptItem.id, AttemptItem.position, AttemptItem.question_id, AttemptItem.version_id,
                   AttemptItem.mark, AttemptItem.response, AttemptItem.fraction, AttemptItem.needs_grading
                   ).where(AttemptItem.attempt_id == att.id).order_by(AttemptItem.position)
    if positions is not None:
        query = query.where(AttemptItem.position.in_(positions))
    rows = db.session.execute(query).all()
    return rows, versioncache.versions([(r.version_id, r.question_id) for r in rows])


def item_specs(att: Attempt) -> list[tuple[int, dict]]:
    """(position, question content) of each item, in order."""
    rows, known = _item_rows(att)
    return [(r.position, known[r.version_id].spec) for r in rows]


def _forget_loaded_items(att: Attempt) -> None:
    """After Core statements changed the items, make loaded ORM copies read them again."""
    for item in att.__dict__.get("items", ()):
        db.session.expire(item)


def _check_open(att) -> None:
    """Answers and flags change only while the attempt is open and before its deadline; an attempt found past
    its deadline is submitted then, with what was saved."""
    if att.state != AttemptState.OPEN:
        raise _submitted()
    if is_overdue(att):
        submit(att)
        raise ExamError(_("Time is up: the attempt was submitted with the answers saved before the deadline."))


def _submitted() -> ExamError:
    return ExamError(_("This attempt has been submitted; answers can no longer change."))


# An answer is stored only while its attempt is open, checked by the storing statement itself. On PostgreSQL
# the attempt's row is share-locked by it until the request commits: a submission running at the same moment
# either waits and then grades the answer, or got there first and the answer is refused. On SQLite, where
# writes are serialised, the check and the write are one step. So an answer the server calls saved is graded.
_OPEN = (select(Attempt.id).where(Attempt.id == bindparam("of_attempt"), Attempt.state == AttemptState.OPEN)
         .with_for_update(read=True))
_STORE_RESPONSE = (update(_ITEMS).where(_ITEMS.c.id == bindparam("item_id"), exists(_OPEN))
                   .values(response=bindparam("new_response", type_=AttemptItem.response.type),
                           saved_at=bindparam("new_saved_at")))


def save(att: Attempt, responses: dict[int, object]) -> int:
    """Store responses by item position. Refused once the attempt is closed or past its deadline (an overdue
    attempt is submitted then), and for a position the attempt does not have."""
    _check_open(att)
    if not responses:
        return 0
    rows, known = _item_rows(att, list(responses))
    by_pos = {r.position: r for r in rows}
    unknown = sorted(set(responses) - set(by_pos))
    if unknown:
        raise ExamError(_("Unknown question %(n)s.", n=unknown[0]))
    now = utcnow()
    changes = [{"of_attempt": att.id, "item_id": by_pos[pos].id, "new_saved_at": now,
                "new_response": clean_response(known[by_pos[pos].version_id].spec, response)}
               for pos, response in responses.items()]
    if not db.session.execute(_STORE_RESPONSE, changes).rowcount:     # submitted by another request meanwhile
        raise _submitted()
    _forget_loaded_items(att)
    return len(changes)


def set_flags(att: Attempt, flags: dict[int, bool], others: bool | None = None) -> int:
    """Flag or unflag questions of an open attempt by position, for the trainee to come back to before submitting
    (Moodle's "Flag question"); ``others``, when given, is the flag of every position not named (the page's form
    sends only the boxes that are ticked). A flag changes nothing in grading; it is refused, as an answer is,
    once the attempt is closed or past its deadline. Returns the number of questions named."""
    _check_open(att)
    if not flags and others is None:
        return 0
    positions = set(db.session.scalars(select(AttemptItem.position).where(AttemptItem.attempt_id == att.id)))
    unknown = sorted(set(flags) - positions)      # checked before anything is written
    if unknown:
        raise ExamError(_("Unknown question %(n)s.", n=unknown[0]))
    for value in (True, False):          # only the rows whose flag changes are written
        positions = [pos for pos, flagged in flags.items() if bool(flagged) is value]
        if positions:
            db.session.execute(update(AttemptItem).where(
                AttemptItem.attempt_id == att.id, AttemptItem.position.in_(positions),
                AttemptItem.flagged.is_not(value)).values(flagged=value).execution_options(synchronize_session=False))
    if others is not None:
        db.session.execute(update(AttemptItem).where(
            AttemptItem.attempt_id == att.id, AttemptItem.position.not_in(list(flags)),
            AttemptItem.flagged.is_not(others)).values(flagged=others).execution_options(synchronize_session=False))
    _forget_loaded_items(att)
    return len(flags)


@dataclass
class PageItem:
    """One question of an open attempt as the attempt page shows it."""
    position: int
    version_id: int
    mark: float
    order: list | None
    response: object
    saved_at: object
    spec: dict
    html: dict
    flagged: bool = False

    @property
    def answered(self) -> bool:
        """A saved answer that says something (an emptied field or a cleared choice is not an answer)."""
        return self.saved_at is not None and self.response not in (None, "", [], {})


_ITEM_COLUMNS = (_ITEMS.c.position, _ITEMS.c.question_id, _ITEMS.c.version_id, _ITEMS.c.mark, _ITEMS.c.order,
                 _ITEMS.c.response, _ITEMS.c.saved_at, _ITEMS.c.flagged)
# the attempt page in one round trip, without ORM objects (a cohort opens its attempts at the same moment): the
# attempt's own facts and its quiz's titles on every row, beside each of its questions
_PAGE = (select(Attempt.id, Attempt.public_id, Attempt.user_id, Attempt.state, Attempt.number, Attempt.deadline,
                Quiz.title_en, Quiz.title_zh, *_ITEM_COLUMNS)
         .join(Quiz, Quiz.id == Attempt.quiz_id).outerjoin(_ITEMS, _ITEMS.c.attempt_id == Attempt.id)
         .where(Attempt.public_id == bindparam("public_id")).order_by(_ITEMS.c.position))


def _page_items(rows) -> list[PageItem]:
    known = versioncache.versions([(r.version_id, r.question_id) for r in rows])
    return [PageItem(r.position, r.version_id, r.mark, r.order, r.response, r.saved_at, known[r.version_id].spec,
                     known[r.version_id].html, bool(r.flagged)) for r in rows]


def attempt_page(public_id: str) -> tuple[object | None, list[PageItem]]:
    """The attempt page's content: (head, questions). The head is a plain row with the attempt's id, public id,
    owner, state, number and deadline and its quiz's titles (None when there is no such attempt); ``is_overdue``
    takes it as it takes an attempt. The questions come with their saved answers and flags, the versions'
    content from the process cache."""
    rows = db.session.execute(_PAGE, {"public_id": public_id}).all()
    if not rows:
        return None, []
    return rows[0], _page_items([r for r in rows if r.position is not None])


def page_items(att) -> list[PageItem]:
    """The questions of an attempt (an Attempt or any row with its ``id``) as ``attempt_page`` gives them."""
    return _page_items(db.session.execute(select(*_ITEM_COLUMNS).where(_ITEMS.c.attempt_id == att.id)
                                          .order_by(_ITEMS.c.position)).all())


class AttemptNotFound(LookupError):
    pass


def save_answer(public_id: str, user, position: int, response) -> None:
    """The autosave: one answer of the person's attempt, stored as ``save`` stores answers. Raises AttemptNotFound
    when the attempt is not the person's (or not started), ExamError with the reason otherwise; an overdue
    attempt is submitted."""
    att = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id, Attempt.user_id == user.id))
    if att is None or att.state == AttemptState.PREPARED:
        raise AttemptNotFound(public_id)
    save(att, {position: response})


def response_in_form(spec: dict, key: str, form) -> tuple[bool, object]:
    """(whether the form sent an answer to the question named ``key``, the answer as the page's script would
    send it), as the question's type reads its form."""
    return qtypes.of(spec).from_form(spec, key, form)


def try_answer(question_id: int, version, form) -> tuple[PageItem, float | None]:
    """An instructor trying a version of a question with the answer a form sent as question 1 (no form: the
    question unanswered): the question as a page shows it, with that answer, and the share of the marks the
    answer gets (None when unanswered, or for a question graded by a person). Nothing is stored."""
    spec, qtype = version.spec, qtypes.of(version.spec)
    response, fraction = None, None
    if form is not None:
        sent, value = qtype.from_form(spec, "q1", form)
        response = qtype.clean(spec, value if sent else None)
        graded = qtype.grade(spec, response)
        fraction = None if graded is None else float(graded)
    order = qtype.order(spec)
    html = versioncache.versions([(version.id, question_id)])[version.id].html
    return PageItem(1, version.id, 0, order, response, None, spec, html), fraction


def clean_response(spec: dict, response):
    """Keep only what the question type can use (never trust the browser's shape)."""
    return qtypes.of(spec).clean(spec, response)


def submit(att: Attempt) -> Attempt:
    """Submit and grade. Safe to call twice or from two requests at once: only one submission counts."""
    now = utcnow()
    won = db.session.execute(update(Attempt).where(Attempt.id == att.id, Attempt.state == AttemptState.OPEN)
                             .values(state=AttemptState.SUBMITTED, submitted_at=now)
                             .execution_options(synchronize_session=False)).rowcount
    if won != 1:                      # another request submitted it: read what that one wrote
        db.session.refresh(att)
        return att
    set_committed_value(att, "submitted_at", now)
    rows, known = _item_rows(att)
    source = "diagnostic" if att.quiz.kind == QuizKind.DIAGNOSTIC else "quiz"
    grades, found, pending, score = [], [], False, 0.0
    for row in rows:
        version = known[row.version_id]
        qtype = qtypes.of(version.spec)
        if not qtype.graded:
            continue
        fraction = qtype.grade(version.spec, row.response)
        if fraction is None:
            grades.append({"id": row.id, "fraction": None, "needs_grading": True})
            pending = True
            continue
        fraction = float(fraction)
        score += fraction * row.mark
        grades.append({"id": row.id, "fraction": fraction, "needs_grading": False})
        if version.competency_id and version.level:
            found.append({"user_id": att.user_id, "competency_id": version.competency_id, "level": version.level,
                          "fraction": fraction, "source": source, "reference": f"{att.public_id}#{row.position}"})
    update_rows(db.session, _ITEMS, grades)
    evidence.record_many(found)
    _forget_loaded_items(att)
    att.score = round(score, 4)
    att.percent = round(100 * score / att.max_score, 2) if att.max_score else 0.0
    att.state = AttemptState.SUBMITTED if pending else AttemptState.GRADED
    db.session.flush()
    complete_course(att)
    return att


def complete_course(att: Attempt) -> None:
    """A submitted attempt may pass a required exam and so complete its course, however it was submitted: by
    the trainee, by its deadline on access or on an answer, or from the results page."""
    signals.attempt_graded.send(att, user=db.session.get(User, att.user_id), course_id=att.quiz.course_id)


def close_overdue(quiz_id: int | None = None) -> list[Attempt]:
    """Submit every open attempt past its deadline, of one quiz or of all (run by `lms exams close-overdue`, from
    an exam's results page, and on access). Returns the attempts submitted."""
    query = select(Attempt).where(Attempt.state == AttemptState.OPEN, Attempt.deadline.is_not(None), Attempt.deadline <= utcnow())
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    rows = db.session.scalars(query).all()
    for att in rows:
        submit(att)
    return rows


def can_review(att: Attempt, what: str) -> bool:
    """Feedback ('feedback') or right answers ('answers') may be shown only after submission, as the quiz allows."""
    if att.state not in FINISHED:
        return False
    when = att.quiz.review_feedback if what == "feedback" else att.quiz.review_answers
    if when == "after_submit":
        return True
    if when == "after_close":
        return att.quiz.close_at is not None and utcnow() >= att.quiz.close_at
    return False


def open_attempts_of(user) -> list[Attempt]:
    """The person's attempts in progress (any exam), with their quizzes, the latest first: for the dashboard."""
    return list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id, Attempt.state == AttemptState.OPEN)
                                   .options(joinedload(Attempt.quiz)).order_by(Attempt.started_at.desc())))
