"""Courses, modules, lessons, enrolments and progress."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import state_type, utcnow
from lms.extensions import db
from lms.frameworks.models import Competency


class CourseStatus(StrEnum):
    DRAFT = "draft"
    OUTLINE = "outline"
    PUBLISHED = "published"


COURSE_STATUSES = tuple(CourseStatus)


class Delivery(StrEnum):
    """How a lesson is taught: live (face-to-face or live online, with a teacher and the group at the same
    time) or self-study (recorded video or reading). Only live hours can be claimed as RTTP CE points."""
    LIVE = "live"
    SELF_STUDY = "self-study"


DELIVERIES = tuple(Delivery)


class Course(db.Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    code: Mapped[str] = mapped_column(String(20))
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(4), index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=0)
    languages: Mapped[str] = mapped_column(String(20), default="en,zh")
    status: Mapped[CourseStatus] = mapped_column(state_type(CourseStatus, 20, "status"), default=CourseStatus.DRAFT,
                                                 index=True)
    # hash of the files last loaded; a file that has not changed since is not loaded again,
    # so edits made in the browser are kept
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Module.position")
    competencies: Mapped[list[CourseCompetency]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseCompetency.position")
    prerequisites: Mapped[list[CoursePrerequisite]] = relationship(
        cascade="all, delete-orphan", foreign_keys="CoursePrerequisite.course_id",
        order_by="CoursePrerequisite.position")
    instructors: Mapped[list[CourseInstructor]] = relationship(cascade="all, delete-orphan")

    @property
    def language_list(self) -> list[str]:
        return [x for x in self.languages.split(",") if x]

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for m in self.modules for lesson in m.lessons]

    @property
    def live_hours(self) -> Decimal:
        """Hours of its live lessons (face-to-face or live online); the course's hours are its lessons' hours."""
        return sum((lesson.hours for lesson in self.lessons if lesson.is_live), Decimal(0))

    @property
    def self_study_hours(self) -> Decimal:
        return sum((lesson.hours for lesson in self.lessons if not lesson.is_live), Decimal(0))


class CourseCompetency(db.Model):
    __tablename__ = "course_competencies"
    __table_args__ = (UniqueConstraint("course_id", "competency_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(4))
    position: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="competencies")
    competency: Mapped[Competency] = relationship()


class CoursePrerequisite(db.Model):
    __tablename__ = "course_prerequisites"
    __table_args__ = (UniqueConstraint("course_id", "required_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    required_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    required: Mapped[Course] = relationship(foreign_keys=[required_id])


class CourseInstructor(db.Model):
    __tablename__ = "course_instructors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship(overlaps="instructors")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh: Mapped[str | None] = mapped_column(Text)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="Lesson.position")


class Lesson(db.Model):
    __tablename__ = "lessons"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=0)
    delivery: Mapped[Delivery] = mapped_column(state_type(Delivery, 20, "delivery"), default=Delivery.SELF_STUDY,
                                               server_default=Delivery.SELF_STUDY.value)
    body_en: Mapped[str | None] = mapped_column(Text)
    body_zh: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("course_id", "key"),)

    module: Mapped[Module] = relationship(back_populates="lessons")

    @property
    def has_body(self) -> bool:
        return bool(self.body_en or self.body_zh)

    @property
    def is_live(self) -> bool:
        return self.delivery == Delivery.LIVE


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship()


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
