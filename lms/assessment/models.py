"""Question banks: banks, a category tree per bank, questions with immutable versions, tags."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import new_public_id, utcnow
from lms.extensions import db
from lms.frameworks.models import Competency


class QuestionBank(db.Model):
    __tablename__ = "question_banks"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(4), default="en")
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    categories: Mapped[list[QuestionCategory]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", order_by="QuestionCategory.path")


class QuestionCategory(db.Model):
    """One node of a bank's category tree, stored by its full path ('TTM/D1/D1.1')."""
    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("bank_id", "context", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    context: Mapped[str] = mapped_column(String(20), default="$course$")
    path: Mapped[str] = mapped_column(String(500))          # segments joined by '/', a literal '/' written '//'
    segments: Mapped[list] = mapped_column(JSON)
    competency_id: Mapped[int | None] = mapped_column(ForeignKey("competencies.id", ondelete="SET NULL"))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")
    competency: Mapped[Competency | None] = relationship()


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("bank_id", "idnumber"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id", ondelete="RESTRICT"), index=True)
    idnumber: Mapped[str | None] = mapped_column(String(100))
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    bank: Mapped[QuestionBank] = relationship()
    category: Mapped[QuestionCategory] = relationship()
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="QuestionVersion.version")
    tags: Mapped[list[QuestionTag]] = relationship(cascade="all, delete-orphan", order_by="QuestionTag.tag")

    @property
    def current(self) -> QuestionVersion:
        return next(v for v in self.versions if v.version == self.current_version)


class QuestionVersion(db.Model):
    """What a question said at one time; never edited (attempts keep the version they showed)."""
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    qtype: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict] = mapped_column(JSON)
    competency_id: Mapped[int | None] = mapped_column(ForeignKey("competencies.id", ondelete="SET NULL"), index=True)
    level: Mapped[str | None] = mapped_column(String(4))
    difficulty: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(4), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20), default="file")   # file | browser | import

    question: Mapped[Question] = relationship(back_populates="versions")
    competency: Mapped[Competency | None] = relationship()


class QuestionTag(db.Model):
    __tablename__ = "question_tags"
    __table_args__ = (UniqueConstraint("question_id", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(100), index=True)
