"""The competency framework: versions, levels, domains, competencies, descriptors, alignments.

A loaded framework version is never edited: a changed file becomes a new version, and
what pointed at the old version's competencies keeps pointing at them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import utcnow
from lms.extensions import db

LEVEL_CODES = ("F", "P", "E")


class Framework(db.Model):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    label: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(default=True)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # when the content last changed, where that is not when it was loaded (a CASE package's lastChangeDateTime)
    changed_at: Mapped[datetime | None]

    levels: Mapped[list[ProficiencyLevel]] = relationship(
        cascade="all, delete-orphan", order_by="ProficiencyLevel.position")
    domains: Mapped[list[Domain]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="Domain.position")


class ProficiencyLevel(db.Model):
    __tablename__ = "proficiency_levels"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(4))
    position: Mapped[int]
    name_en: Mapped[str | None] = mapped_column(String(100))
    name_zh: Mapped[str | None] = mapped_column(String(100))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)


class Domain(db.Model):
    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)

    framework: Mapped[Framework] = relationship(back_populates="domains")
    competencies: Mapped[list[Competency]] = relationship(
        back_populates="domain", cascade="all, delete-orphan", order_by="Competency.position")


class Competency(db.Model):
    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)

    framework: Mapped[Framework] = relationship()
    domain: Mapped[Domain] = relationship(back_populates="competencies")
    descriptors: Mapped[list[LevelDescriptor]] = relationship(
        cascade="all, delete-orphan", order_by="LevelDescriptor.position")
    alignments: Mapped[list[Alignment]] = relationship(
        cascade="all, delete-orphan", order_by="Alignment.position")


class LevelDescriptor(db.Model):
    __tablename__ = "level_descriptors"
    __table_args__ = (UniqueConstraint("competency_id", "level_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    level_code: Mapped[str] = mapped_column(String(4))
    position: Mapped[int]
    text_en: Mapped[str | None] = mapped_column(Text)
    text_zh: Mapped[str | None] = mapped_column(Text)


class Alignment(db.Model):
    """An alignment of one of our competencies to an external framework's item."""
    __tablename__ = "alignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    framework: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    relation: Mapped[str] = mapped_column(String(20))
    provisional: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str | None] = mapped_column(String(300))     # the external item's own address (e.g. ESCO)


class Evidence(db.Model):
    """Append-only evidence that a person showed a competency at a level (a graded item, a rubric score).
    Ratings are derived from these rows; nothing updates or deletes them."""
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(4))
    fraction: Mapped[float]
    source: Mapped[str] = mapped_column(String(20))           # quiz | diagnostic | project
    reference: Mapped[str] = mapped_column(String(120))       # e.g. attempt public id + item position
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    competency: Mapped[Competency] = relationship()
