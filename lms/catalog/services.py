"""Catalogue, enrolment and progress."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from lms import signals
from lms.accounts.models import User
from lms.catalog.models import (
    Course,
    CourseCompetency,
    CourseInstructor,
    CourseStatus,
    Enrolment,
    Lesson,
    LessonProgress,
    Module,
)
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks.models import Competency
from lms.signals import answers


class CatalogError(ValueError):
    pass


VISIBLE = (CourseStatus.PUBLISHED, CourseStatus.OUTLINE)
LEVEL_ORDER = {"F": 0, "P": 1, "E": 2}


def catalogue_order(course: Course) -> tuple:
    """Foundation, then Practitioner, then Expert; by code within a level."""
    return LEVEL_ORDER.get(course.level, 9), course.code


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug).options(
        selectinload(Course.modules).selectinload(Module.lessons),
        selectinload(Course.competencies).selectinload(CourseCompetency.competency),
        selectinload(Course.prerequisites)))


def can_edit(user: User, course: Course) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("instructor") and any(ci.user_id == user.id for ci in course.instructors)


def editable_course_or_abort(user: User, slug: str) -> Course:
    """The course with this slug if ``user`` may edit it; 404 when there is none, 403 when not allowed."""
    from flask import abort
    course = course_by_slug(slug)
    if course is None:
        abort(404)
    if not can_edit(user, course):
        abort(403)
    return course


def can_view(user: User, course: Course) -> bool:
    return course.status in VISIBLE or can_edit(user, course)


def search_catalogue(*, text: str = "", level: str = "", competency: str = "", language: str = "") -> list[Course]:
    query = (select(Course).where(Course.status.in_(VISIBLE))
             .options(selectinload(Course.competencies).selectinload(CourseCompetency.competency))
             .order_by(Course.code))
    if level:
        query = query.where(Course.level == level)
    if language in ("en", "zh"):
        query = query.where(Course.languages.contains(language))
    if competency:
        query = query.where(Course.competencies.any(
            CourseCompetency.competency.has(or_(Competency.code == competency,
                                                Competency.code.like(f"{competency}.%")))))
    if text:
        like = f"%{text.strip().lower()}%"
        lesson_hit = select(Lesson.course_id).where(or_(func.lower(Lesson.title_en).like(like),
                                                        Lesson.title_zh.like(f"%{text.strip()}%")))
        query = query.where(or_(func.lower(Course.title_en).like(like), Course.title_zh.like(f"%{text.strip()}%"),
                                func.lower(Course.summary_en).like(like), Course.summary_zh.like(f"%{text.strip()}%"),
                                func.lower(Course.code).like(like), Course.id.in_(lesson_hit)))
    return sorted(db.session.scalars(query).all(), key=catalogue_order)


def courses_teaching(code: str) -> list[Course]:
    """Visible courses that target a competency with this code (in any framework version)."""
    query = (select(Course).join(CourseCompetency).join(Competency)
             .where(Competency.code == code, Course.status.in_(VISIBLE)).order_by(Course.code))
    return list(db.session.scalars(query).unique())


def enrolment(user: User, course: Course) -> Enrolment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def course_and_enrolment(user: User, course_id: int) -> tuple[Course | None, Enrolment | None]:
    """A course and the person's enrolment in it (or None), in one query."""
    row = db.session.execute(select(Course, Enrolment).outerjoin(
        Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.user_id == user.id)).where(Course.id == course_id)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    done = set(db.session.scalars(select(Enrolment.course_id).where(
        Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))))
    return [p.required for p in course.prerequisites if p.required_id not in done]


def enrol(user: User, course: Course) -> Enrolment:
    if course.status != CourseStatus.PUBLISHED:
        raise CatalogError(_("This course is not open for enrolment yet."))
    existing = enrolment(user, course)
    if existing:
        return existing
    missing = missing_prerequisites(user, course)
    if missing:
        names = ", ".join(f"{c.code}" for c in missing)
        raise CatalogError(_("Complete the prerequisite courses first: %(names)s.", names=names))
    e = Enrolment(user_id=user.id, course_id=course.id)
    db.session.add(e)
    db.session.flush()
    return e


@dataclass
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def done_lesson_ids(user: User, course: Course) -> set[int]:
    return set(db.session.scalars(select(LessonProgress.lesson_id).join(Lesson).where(
        LessonProgress.user_id == user.id, Lesson.course_id == course.id)))


def course_progress(user: User, course: Course) -> tuple[Progress, dict[int, Progress], set[int]]:
    done = done_lesson_ids(user, course)
    per_module = {m.id: Progress(sum(1 for lesson in m.lessons if lesson.id in done), len(m.lessons))
                  for m in course.modules}
    total = Progress(sum(p.done for p in per_module.values()), sum(p.total for p in per_module.values()))
    return total, per_module, done


def lesson_totals(user: User, course: Course) -> Progress:
    """Lessons done and lessons in the course, in one query (no lessons or modules loaded)."""
    total, done = db.session.execute(select(func.count(Lesson.id), func.count(LessonProgress.id)).select_from(Lesson)
                                     .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id)
                                                & (LessonProgress.user_id == user.id))
                                     .where(Lesson.course_id == course.id)).one()
    return Progress(done, total)


def progress_for(user: User, enrolments: list[Enrolment]) -> dict[int, Progress]:
    """Progress of several courses in two queries (dashboard)."""
    ids = [e.course_id for e in enrolments]
    if not ids:
        return {}
    totals = dict(db.session.execute(select(Lesson.course_id, func.count()).where(Lesson.course_id.in_(ids))
                                     .group_by(Lesson.course_id)).all())
    dones = dict(db.session.execute(select(Lesson.course_id, func.count()).join(LessonProgress)
                                    .where(LessonProgress.user_id == user.id, Lesson.course_id.in_(ids))
                                    .group_by(Lesson.course_id)).all())
    return {cid: Progress(dones.get(cid, 0), totals.get(cid, 0)) for cid in ids}


def mark_done(user: User, lesson: Lesson, done: bool = True) -> Enrolment:
    course = db.session.get(Course, lesson.course_id)
    e = enrolment(user, course)
    if e is None:
        raise CatalogError(_("Enrol in the course first."))
    row = db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == user.id,
                                                         LessonProgress.lesson_id == lesson.id))
    if done and row is None:
        db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id))
    elif not done and row is not None:
        db.session.delete(row)
    db.session.flush()
    update_completion(user, course, e)
    return e


# Features further along the chain add to the completion rule, to what a module shows and to the course
# editor through signals (lms/signals.py), without the catalogue importing them.

def editor_links(course: Course) -> list[tuple[str, str]]:
    return [link for links in answers(signals.editor_links, course) for link in links]


@dataclass
class Activity:
    title: object          # an object with title_en / title_zh
    url: str
    status: str            # already translated
    done: bool


def module_activities(user: User, course: Course) -> dict[str, list[Activity]]:
    out: dict[str, list[Activity]] = {}
    for found in answers(signals.module_activities, course, user=user):
        for key, items in found.items():
            out.setdefault(key, []).extend(items)
    return out


def update_completion(user: User, course: Course, e: Enrolment | None = None) -> None:
    """Complete when every lesson is done and every feature's rule (e.g. required exams passed) holds."""
    e = e or enrolment(user, course)
    if e is None:
        return
    total = lesson_totals(user, course)
    complete = (total.total > 0 and total.done == total.total
                and all(answers(signals.completion_rules, course, user=user)))
    if complete and e.completed_at is None:
        e.completed_at = utcnow()
        signals.course_completed.send(e)
    elif not complete and e.completed_at is not None:
        e.completed_at = None
    notify_progress(user)


def notify_progress(user: User) -> None:
    """Tell the features further along that this learner's results may have changed."""
    signals.progress_changed.send(user)


def _completion_after_attempt(attempt, *, user: User, course_id: int | None) -> None:
    """attempt_graded: an exam of a course may have completed it."""
    if course_id is not None:
        update_completion(user, db.session.get(Course, course_id))


def connect_signals() -> None:
    signals.attempt_graded.connect(_completion_after_attempt, weak=False)
    signals.courses_teaching.connect(courses_teaching, weak=False)


def user_enrolments(user: User) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                   .options(selectinload(Enrolment.course)).order_by(Enrolment.enrolled_at.desc())))


def instructor_courses(user: User) -> list[Course]:
    query = select(Course).order_by(Course.code)
    if not user.has_role("admin"):
        query = query.join(CourseInstructor).where(CourseInstructor.user_id == user.id)
    return sorted(db.session.scalars(query), key=catalogue_order)


def enrolment_counts(course_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not course_ids:
        return {}
    rows = db.session.execute(select(Enrolment.course_id, func.count(), func.count(Enrolment.completed_at))
                              .where(Enrolment.course_id.in_(course_ids)).group_by(Enrolment.course_id)).all()
    return {cid: (n, done) for cid, n, done in rows}


def lesson_neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.lessons
    i = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    return (lessons[i - 1] if i > 0 else None), (lessons[i + 1] if i + 1 < len(lessons) else None)
