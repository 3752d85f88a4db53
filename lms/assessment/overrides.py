"""One person's own terms for an exam (as Moodle's user overrides): extra minutes on the time limit, e.g. an
accessibility accommodation, and extra attempts. The exam's instructors set them, with a reason. They count
from the next start; changing the extra minutes also moves the clock of an attempt the person has open."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.accounts.models import Role, User, UserRole
from lms.assessment.errors import ExamError
from lms.assessment.exams import is_overdue
from lms.assessment.models import Attempt, AttemptState, Quiz, QuizOverride
from lms.assessment.starting import retime
from lms.catalog.models import Enrolment
from lms.db import utcnow
from lms.extensions import db

MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 10


def nobody_message(email: str) -> str:
    """The same answer whether the address has no account or its owner does not sit the exam, so that the form
    tells an instructor nothing about who has an account."""
    return _("Nobody who sits this exam has the e-mail %(email)s.", email=email.strip())


def overrides_of(quiz: Quiz) -> list[QuizOverride]:
    rows = db.session.scalars(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id)
                              .options(joinedload(QuizOverride.user))).all()
    return sorted(rows, key=lambda o: o.user.sort_key)


def override_for(quiz: Quiz, user: User) -> QuizOverride | None:
    return db.session.scalar(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id,
                                                        QuizOverride.user_id == user.id))


def may_sit(quiz: Quiz, user: User) -> bool:
    """Enrolled in the exam's course; for the diagnostic assessment, an active trainee."""
    if quiz.course_id is None:
        return user.active and db.session.scalar(select(UserRole.id).where(
            UserRole.user_id == user.id, UserRole.role == Role.TRAINEE)) is not None
    return db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == quiz.course_id,
                                                        Enrolment.user_id == user.id)) is not None


def set_override(quiz: Quiz, user: User, extra_minutes: int, extra_attempts: int, reason: str | None,
                 by: User) -> QuizOverride | None:
    """Give the person these extras (both 0: none, the override is removed). Returns the override."""
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise ExamError(_("Extra time must be between 0 and %(n)d minutes.", n=MAX_EXTRA_MINUTES))
    if not 0 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise ExamError(_("Extra attempts must be between 0 and %(n)d.", n=MAX_EXTRA_ATTEMPTS))
    if not may_sit(quiz, user):
        raise ExamError(nobody_message(user.email))
    if extra_minutes == 0 and extra_attempts == 0:
        remove_override(quiz, user)
        return None
    row = override_for(quiz, user)
    if row is None:
        row = QuizOverride(quiz_id=quiz.id, user_id=user.id)
        db.session.add(row)
    row.extra_minutes, row.extra_attempts = extra_minutes, extra_attempts
    row.reason = (reason or "").strip() or None
    row.set_by_id, row.updated_at = by.id, utcnow()
    try:
        db.session.flush()
    except IntegrityError:              # the same person's terms saved by another request at the same moment
        db.session.rollback()
        raise ExamError(_("These terms were saved by someone else at the same moment: look at the list and try "
                          "again.")) from None
    _retime_open_attempt(quiz, user, extra_minutes)
    return row


def remove_override(quiz: Quiz, user: User) -> bool:
    """Back to the exam's own terms (an open attempt's clock too). False when there was nothing to remove."""
    row = override_for(quiz, user)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _retime_open_attempt(quiz, user, 0)
    return True


def _retime_open_attempt(quiz: Quiz, user: User, extra_minutes: int) -> None:
    """An attempt the person has open now ends at its start plus the time limit and the new extra minutes, never
    after the exam closes. Time taken away never ends it abruptly: at least five minutes are left, or what the
    attempt had if that was less. One already past its deadline is left to be submitted."""
    att = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                  Attempt.state == AttemptState.OPEN))
    if att is None or att.deadline is None or not quiz.time_limit_minutes or is_overdue(att):
        return
    retime(att, quiz, extra_minutes)
    db.session.flush()
