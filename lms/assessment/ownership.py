"""Who may manage a question bank: one rule (``may_manage_bank``), used by every bank page, the listing, the
export, "Try it", the regrade, the categories, the rubrics, attempt reviews and the item analysis.

A bank serves the course it belongs to and every course whose exams draw from its family; the instructors of
those courses manage it (not one enrolled as a trainee in any of them), administrators manage every bank, and
a bank serving no course yet is its creator's."""
from __future__ import annotations

from sqlalchemy import select

from lms.accounts.services import audit
from lms.assessment.banks import all_banks, family
from lms.assessment.models import QuestionBank
from lms.extensions import db


def served_courses(bank_list: list[QuestionBank]) -> dict[int, set[int]]:
    """Each bank's courses: the one it belongs to, and those whose exams draw from its family. (An exam outside
    a course, the diagnostic, is the administrators'.)"""
    from lms.assessment.models import Quiz, QuizSection
    fams = {family(b.slug) for b in bank_list}
    drawing: dict[str, set[int]] = {}
    if fams:
        for fam, course_id in db.session.execute(
                select(QuizSection.bank, Quiz.course_id).join(Quiz, Quiz.id == QuizSection.quiz_id)
                .where(QuizSection.bank.in_(fams), Quiz.course_id.is_not(None)).distinct()):
            drawing.setdefault(fam, set()).add(course_id)
    return {b.id: drawing.get(family(b.slug), set()) | ({b.course_id} if b.course_id else set()) for b in bank_list}


def bank_courses(bank: QuestionBank) -> list:
    """The courses the bank serves, in code order (their instructors manage it)."""
    from lms.catalog.models import Course
    ids = served_courses([bank])[bank.id]
    return list(db.session.scalars(select(Course).where(Course.id.in_(ids)).order_by(Course.code))) if ids else []


def _user_courses(user) -> tuple[set[int], set[int]]:
    """The courses the person teaches, and those they are enrolled in as a trainee."""
    from lms.catalog.models import CourseInstructor, Enrolment
    taught = set(db.session.scalars(select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)))
    enrolled = set(db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id)))
    return taught, enrolled


def _may_manage(user, bank: QuestionBank, served: set[int], taught: set[int], enrolled: set[int]) -> bool:
    """The rule. Administrators manage every bank. An instructor manages a bank that serves a course they teach,
    unless they are enrolled as a trainee in a course it serves; a bank that serves no course yet, if they
    created it. Nobody else sees its keys."""
    if user.has_role("admin"):
        return True
    if not user.has_role("instructor") or served & enrolled:
        return False
    if not served:
        return bank.created_by_id is not None and bank.created_by_id == user.id
    return bool(served & taught)


def manageable_banks(user) -> list[QuestionBank]:
    """The banks this person may see the keys of, import into, edit and delete from, in slug order."""
    if not getattr(user, "is_authenticated", False):
        return []
    everything = all_banks()
    served = served_courses(everything)
    taught, enrolled = _user_courses(user)
    return [b for b in everything if _may_manage(user, b, served[b.id], taught, enrolled)]


def may_manage_bank(user, bank: QuestionBank) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    taught, enrolled = _user_courses(user)
    return _may_manage(user, bank, served_courses([bank])[bank.id], taught, enrolled)


def managed_bank_ids(user, bank_ids) -> set[int]:
    """Which of these banks the person manages (whose keys they may see)."""
    if not getattr(user, "is_authenticated", False) or not bank_ids:
        return set()
    bank_list = list(db.session.scalars(select(QuestionBank).where(QuestionBank.id.in_(list(bank_ids)))))
    served = served_courses(bank_list)
    taught, enrolled = _user_courses(user)
    return {b.id for b in bank_list if _may_manage(user, b, served[b.id], taught, enrolled)}


def items_with_keys_shown(user, items) -> set[int]:
    """The attempt items (ids) whose right answers a member of staff reviewing someone's attempt sees: those whose
    question is in a bank they manage."""
    managed = managed_bank_ids(user, {i.version.question.bank_id for i in items})
    return {i.id for i in items if i.version.question.bank_id in managed}


def managed_families(user) -> set[str]:
    """The bank families (what rubrics and exam sections name) the person manages: those whose every bank they
    manage. (An exam drawing from a family draws from each of its languages' banks.)"""
    if not getattr(user, "is_authenticated", False):
        return set()
    everything = all_banks()
    served = served_courses(everything)
    taught, enrolled = _user_courses(user)
    verdicts: dict[str, bool] = {}
    for b in everything:
        fam = family(b.slug)
        verdicts[fam] = verdicts.get(fam, True) and _may_manage(user, b, served[b.id], taught, enrolled)
    return {fam for fam, managed in verdicts.items() if managed}


def may_manage_family(user, fam: str) -> bool:
    """Whether the person manages every bank of this family (and it has one)."""
    return fam in managed_families(user)


def may_create_bank(user, slug: str) -> bool:
    """Whether the person may start the bank ``slug``: a new language of a family only if they manage every bank
    it already has (the new bank would otherwise be drawn by that family's exams, and its courses make the
    family's other banks theirs)."""
    fam = family(slug)
    if not any(family(b.slug) == fam for b in all_banks()):
        return True
    return may_manage_family(user, fam)


def may_change_bank_course(user, bank: QuestionBank) -> bool:
    """Whether the person may give the bank another course: administrators; the instructors of the course it
    belongs to (who manage it); when it belongs to none, those who manage it. Not an instructor who manages it
    only through another course's exam."""
    if not may_manage_bank(user, bank):
        return False
    if user.has_role("admin") or bank.course_id is None:
        return True
    return bank.course_id in _user_courses(user)[0]


def set_bank_course(bank: QuestionBank, course, *, user) -> bool:
    """Give the bank the course it belongs to (None: no course). Returns whether anything changed."""
    new_id = course.id if course is not None else None
    if bank.course_id == new_id:
        return False
    bank.course_id = new_id
    audit(user, "bank.course", bank.slug, course.slug if course is not None else "-")
    db.session.flush()
    return True
