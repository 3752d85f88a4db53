"""Starting attempts: drawing a new attempt, drawing it ahead of time (a *prepared* attempt, stored unstarted,
so that when a cohort presses Start at the same moment each start only sets a clock), and starting.

The server owns the clock: the deadline is set at Start, from the quiz's time limit and closing time.
Taking, saving, submitting and grading an attempt are in ``exams``.
"""
from __future__ import annotations

import hmac
import random
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Role, User, UserRole
from lms.assessment import qtypes
from lms.assessment.drawing import draw
from lms.assessment.errors import ExamError, WrongPassword
from lms.assessment.exams import open_attempt
from lms.assessment.models import Attempt, AttemptItem, AttemptState, Quiz, QuizOverride
from lms.catalog.models import Enrolment
from lms.db import insert_rows, utcnow
from lms.extensions import db
from lms.i18n import CONTENT_LANG, moment

_ITEMS = AttemptItem.__table__


def _check_window(quiz: Quiz) -> None:
    now = utcnow()
    if quiz.open_at and now < quiz.open_at:
        raise ExamError(_("This exam opens on %(when)s.", when=moment(quiz.open_at)))
    if quiz.close_at and now >= quiz.close_at:
        raise ExamError(_("This exam closed on %(when)s.", when=moment(quiz.close_at)))


def _check_attempts_left(quiz: Quiz, done: int, extra_attempts: int = 0) -> None:
    allowed = quiz.attempts_allowed + extra_attempts if quiz.attempts_allowed else 0
    if allowed and done >= allowed:
        raise ExamError(_("You have used all %(n)d attempts of this exam.", n=allowed))


def extras(quiz_id: int, user_id: int) -> tuple[int, int]:
    """(extra minutes, extra attempts) the exam's instructors gave this person; (0, 0) when none."""
    row = db.session.execute(select(QuizOverride.extra_minutes, QuizOverride.extra_attempts).where(
        QuizOverride.quiz_id == quiz_id, QuizOverride.user_id == user_id)).first()
    return (row.extra_minutes, row.extra_attempts) if row else (0, 0)


def _mine(user, quiz: Quiz):
    return db.session.execute(select(Attempt.id, Attempt.state, Attempt.number, Attempt.language).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)).all()


def _deadline(quiz: Quiz, now, extra_minutes: int = 0):
    return deadline_from(quiz.time_limit_minutes, quiz.close_at, now, extra_minutes)


def deadline_from(time_limit_minutes: int | None, close_at, now, extra_minutes: int = 0):
    """The server's clock for an attempt started ``now``: the time limit and the person's extra minutes, cut
    short by the exam's closing."""
    deadline = now + timedelta(minutes=time_limit_minutes + (extra_minutes or 0)) if time_limit_minutes else None
    if close_at and (deadline is None or close_at < deadline):
        deadline = close_at
    return deadline


GRACE = timedelta(minutes=5)        # when an open attempt's time is cut, at least this much is left (or what it had)


def retime(att: Attempt, quiz: Quiz, extra_minutes: int) -> None:
    """An open attempt's clock after the exam's time limit, its closing time or the person's extra minutes
    changed: its start plus the time limit and extra minutes, never after the exam closes. Time taken away never
    ends it abruptly: at least five minutes are left, or what the attempt had if that was less. One already past
    its deadline is left to be submitted."""
    now = utcnow()
    if att.state != AttemptState.OPEN or (att.deadline is not None and att.deadline <= now):
        return
    wanted = deadline_from(quiz.time_limit_minutes, quiz.close_at, att.started_at, extra_minutes)
    if wanted is None:
        att.deadline = None
    elif att.deadline is None or wanted < att.deadline:
        floor = now + GRACE if att.deadline is None else min(att.deadline, now + GRACE)
        att.deadline = max(wanted, floor)
    else:
        att.deadline = wanted


def retime_open_attempts(quiz: Quiz) -> int:
    """Every open attempt of the exam follows a changed time limit or closing time (as Moodle reckons an attempt's
    time from the quiz's current settings). Returns how many attempts' clocks moved."""
    extra = dict(db.session.execute(select(QuizOverride.user_id, QuizOverride.extra_minutes)
                                    .where(QuizOverride.quiz_id == quiz.id)).all())
    moved = 0
    for att in db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.OPEN)):
        before = att.deadline
        retime(att, quiz, extra.get(att.user_id, 0))
        moved += att.deadline != before
    db.session.flush()
    return moved


def _drawn_rows(quiz: Quiz, lang: str, rng: random.Random) -> list[dict]:
    """The items of a new attempt (position, question, version, mark, option order), drawn and shuffled."""
    picked = draw(quiz, lang, rng)
    if not picked:
        raise ExamError(_("This exam has no questions yet; tell the course's instructors."))
    if quiz.shuffle_questions:
        rng.shuffle(picked)
    rows = []
    for pos, drawn in enumerate(picked, start=1):
        spec = drawn.spec
        qtype = qtypes.of(spec)
        rows.append({"position": pos, "question_id": drawn.question_id, "version_id": drawn.version_id,
                     "mark": drawn.mark if qtype.graded else 0, "order": qtype.order(spec, rng, quiz.shuffle_answers)})
    return rows


def _create(user, quiz: Quiz, lang: str, number: int, rows: list[dict], state: str,
            extra_minutes: int = 0) -> Attempt:
    """Insert an attempt and its items; IntegrityError when another request made the same one first."""
    now = utcnow()
    att = Attempt(quiz_id=quiz.id, user_id=user.id, number=number, language=lang, state=state, started_at=now,
                  deadline=_deadline(quiz, now, extra_minutes) if state == AttemptState.OPEN else None,
                  max_score=float(sum(r["mark"] for r in rows)))
    db.session.add(att)
    db.session.flush()
    for r in rows:
        r["attempt_id"] = att.id
    _insert_items(rows)
    return att


def prepare(user, quiz: Quiz, lang: str, seed: int | None = None) -> Attempt | None:
    """Draw a person's next attempt ahead of time, unstarted: the quiz page does this, so that when a cohort
    presses Start at the same moment, starting only sets the clock (``start``).

    A prepared attempt is not an attempt yet: it is not counted, listed or graded, its questions are never
    shown before it starts, and it is drawn again when the person reads the page or starts in the other
    language, or when the quiz or one of its questions changes (``discard_prepared``). Nothing is prepared
    when the person has an attempt open or prepared in this language, has no attempt left, or the exam has
    closed; None then."""
    mine = _mine(user, quiz)
    if any(a.state == AttemptState.OPEN for a in mine):
        return None
    prepared = next((a for a in mine if a.state == AttemptState.PREPARED), None)
    if prepared is not None:
        if prepared.language == lang:
            return None
        _delete_prepared([prepared.id])      # the person now reads in the other language: draw again
        mine = [a for a in mine if a is not prepared]
    now = utcnow()
    allowed = quiz.attempts_allowed + extras(quiz.id, user.id)[1] if quiz.attempts_allowed else 0
    if (quiz.close_at and now >= quiz.close_at) or (allowed and len(mine) >= allowed):
        return None
    try:
        rows = _drawn_rows(quiz, lang, random.Random(seed))
    except ExamError:
        return None               # Start will say why
    number = max((a.number for a in mine), default=0) + 1
    try:
        return _create(user, quiz, lang, number, rows, AttemptState.PREPARED)
    except IntegrityError:        # the same page opened twice at once: the other request prepared it
        db.session.rollback()
        return None


def prepare_cohort(quiz: Quiz) -> tuple[int, int]:
    """Prepare the next attempt of every person who may sit the quiz (those enrolled in its course; for the
    diagnostic, every active trainee), each in the content language of their saved interface language, so
    that an exam held at a set time starts without drawing. Each one is committed as it is drawn.
    (prepared now, people for whom nothing was prepared)."""
    if quiz.course_id is not None:
        people = select(User).join(Enrolment, Enrolment.user_id == User.id).where(Enrolment.course_id == quiz.course_id)
    else:
        people = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.TRAINEE)
    done = skipped = 0
    for person in db.session.scalars(people.where(User.active.is_(True)).order_by(User.id)).all():
        if prepare(person, quiz, CONTENT_LANG.get(person.locale, "en")) is None:
            skipped += 1
        else:
            db.session.commit()
            done += 1
    return done, skipped


def discard_prepared(quiz_ids: list[int] | None = None, question_ids: list[int] | None = None) -> int:
    """Throw away the prepared attempts of these quizzes, or those showing one of these questions (after a
    quiz's settings or a question's version changed). The next visit to the quiz page prepares them again."""
    query = select(Attempt.id).where(Attempt.state == AttemptState.PREPARED)
    if quiz_ids is not None:
        query = query.where(Attempt.quiz_id.in_(quiz_ids))
    if question_ids is not None:
        query = query.where(Attempt.id.in_(select(AttemptItem.attempt_id).where(
            AttemptItem.question_id.in_(question_ids))))
    ids = list(db.session.scalars(query))
    _delete_prepared(ids)
    return len(ids)


def _delete_prepared(ids: list[int]) -> None:
    if ids:
        db.session.execute(delete(AttemptItem).where(AttemptItem.attempt_id.in_(ids)))
        db.session.execute(delete(Attempt).where(Attempt.id.in_(ids), Attempt.state == AttemptState.PREPARED))


def _activate(attempt_id: int, quiz: Quiz, extra_minutes: int = 0) -> Attempt | None:
    """Start a prepared attempt: set its clock. None when another request started or discarded it first."""
    now = utcnow()
    try:
        done = db.session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.state == AttemptState.PREPARED)
                                  .values(state=AttemptState.OPEN, started_at=now, deadline=_deadline(quiz, now, extra_minutes))
                                  .execution_options(synchronize_session=False)).rowcount
    except IntegrityError:        # an attempt of the same person was opened at the same moment
        db.session.rollback()
        return None
    if done != 1:
        return None
    return db.session.get(Attempt, attempt_id, populate_existing=True)


PASSWORD_MIN_LENGTH = 6        # an exam's password: long enough not to be guessed in the ten tries allowed
PASSWORD_MAX_LENGTH = 100


def clean_password(text: str | None) -> str | None:
    """An exam's password as set by its instructors: trimmed, None when empty; from PASSWORD_MIN_LENGTH to
    PASSWORD_MAX_LENGTH characters."""
    text = (text or "").strip()
    if len(text) > PASSWORD_MAX_LENGTH:
        raise ExamError(_("The password can be at most %(n)d characters long.", n=PASSWORD_MAX_LENGTH))
    if text and len(text) < PASSWORD_MIN_LENGTH:
        raise ExamError(_("The password must be at least %(n)d characters long; it was not changed.",
                          n=PASSWORD_MIN_LENGTH))
    return text or None


def password_ok(expected: str | None, given: str | None) -> bool:
    """Whether the password given opens an exam that has ``expected`` (any, when it has none); constant time."""
    if not expected:
        return True
    return hmac.compare_digest((given or "").strip().encode(), expected.strip().encode())


def start(user, quiz: Quiz, lang: str, seed: int | None = None, password: str | None = None) -> Attempt:
    """Start an attempt, or return the one already open (one open attempt at a time). An exam with a password
    (held in a room) starts only with it; an attempt already open is resumed without it.

    A prepared attempt in the same language is started by setting its clock. Otherwise the questions are drawn
    now, at the cost of a few queries whatever the exam's size: the person's attempts, the bank, the drawn
    questions' current versions, and one multi-row insert."""
    mine = _mine(user, quiz)
    if any(a.state == AttemptState.OPEN for a in mine):
        existing = open_attempt(user, quiz)      # submits it instead if it is past its deadline
        if existing is not None:
            return existing
    _check_window(quiz)
    if not password_ok(quiz.password, password):
        raise WrongPassword(_("That is not the exam's password. The invigilator gives it in the exam room."))
    extra_minutes, extra_attempts = extras(quiz.id, user.id)
    _check_attempts_left(quiz, sum(1 for a in mine if a.state != AttemptState.PREPARED), extra_attempts)   # none is open now
    prepared = next((a for a in mine if a.state == AttemptState.PREPARED), None)
    if prepared is not None:
        att = _start_prepared(user, quiz, lang, prepared, extra_minutes)
        if att is not None:
            return att
    rows = _drawn_rows(quiz, lang, random.Random(seed))
    number = max((a.number for a in mine if a.state != AttemptState.PREPARED), default=0) + 1
    try:
        return _create(user, quiz, lang, number, rows, AttemptState.OPEN, extra_minutes)
    except IntegrityError:
        # another request started the same attempt at the same moment: use that one
        db.session.rollback()
        again = open_attempt(user, quiz)
        if again is None:
            raise
        return again


def _start_prepared(user, quiz: Quiz, lang: str, prepared, extra_minutes: int) -> Attempt | None:
    """Start the attempt drawn ahead by setting its clock, when it is in the language asked for; otherwise, or
    when another request started or discarded it first, throw it away. None when a new one must be drawn."""
    if prepared.language == lang:
        att = _activate(prepared.id, quiz, extra_minutes)
        if att is not None:
            return att
        again = open_attempt(user, quiz)
        if again is not None:
            return again
    _delete_prepared([prepared.id])
    return None


def _insert_items(rows: list[dict]) -> None:
    insert_rows(db.session, _ITEMS, rows)     # one statement on PostgreSQL, however many questions
