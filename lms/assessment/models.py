"""Question banks: banks, a category tree per bank, questions with immutable versions, tags."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db
from lms.frameworks.models import Competency


class QuestionStatus(StrEnum):
    """A draft question (Moodle's "Draft") is never drawn at random into an exam (an exam that names it still
    shows it)."""
    READY = "ready"
    DRAFT = "draft"


class AttemptState(StrEnum):
    PREPARED = "prepared"        # drawn ahead of time and not started yet (see ``starting.prepare``)
    OPEN = "open"
    SUBMITTED = "submitted"
    GRADED = "graded"


class QuestionBank(db.Model):
    __tablename__ = "question_banks"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(4), default="en")
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # who may manage the bank (ownership.may_manage_bank): the instructors of the course it belongs to, set by an
    # administrator or the importing instructor, and of the courses whose exams draw from it; while it serves no
    # course, the instructor who created it
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

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
    status: Mapped[QuestionStatus] = mapped_column(state_type(QuestionStatus, 10, "status"),
                                                   default=QuestionStatus.READY, server_default="ready")
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


# --- quizzes and attempts ---



class QuizKind(StrEnum):
    QUIZ = "quiz"
    DIAGNOSTIC = "diagnostic"          # the framework-wide diagnostic assessment (no course)


class ReviewWhen(StrEnum):
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


class GradingMethod(StrEnum):
    HIGHEST = "highest"
    FIRST = "first"
    LAST = "last"
    AVERAGE = "average"


REVIEW_WHEN = tuple(ReviewWhen)
GRADING_METHODS = tuple(GradingMethod)


class Quiz(db.Model):
    """An exam in a course module (or a diagnostic assessment when kind == 'diagnostic')."""
    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_key: Mapped[str | None] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[QuizKind] = mapped_column(state_type(QuizKind, 20, "kind"), default=QuizKind.QUIZ)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    intro_en: Mapped[str | None] = mapped_column(Text)
    intro_zh: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    time_limit_minutes: Mapped[int | None]
    open_at: Mapped[datetime | None]
    close_at: Mapped[datetime | None]
    attempts_allowed: Mapped[int] = mapped_column(default=0)        # 0 = unlimited
    grading_method: Mapped[GradingMethod] = mapped_column(state_type(GradingMethod, 10, "grading_method"),
                                                          default=GradingMethod.HIGHEST)
    pass_mark: Mapped[int] = mapped_column(default=60)               # percent
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_answers: Mapped[bool] = mapped_column(default=True)
    review_feedback: Mapped[ReviewWhen] = mapped_column(state_type(ReviewWhen, 20, "review_feedback"),
                                                        default=ReviewWhen.AFTER_SUBMIT)
    review_answers: Mapped[ReviewWhen] = mapped_column(state_type(ReviewWhen, 20, "review_answers"),
                                                       default=ReviewWhen.AFTER_SUBMIT)
    # set in the browser for a sitting, never in the course files: the invigilator gives it in the room
    password: Mapped[str | None] = mapped_column(String(100))
    source_hash: Mapped[str | None] = mapped_column(String(64))

    sections: Mapped[list[QuizSection]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizSection.position")


class QuizOverride(db.Model):
    """One person's own terms for an exam (as Moodle's user overrides): extra minutes on the time limit, e.g. an
    accessibility accommodation, and extra attempts. Set by the exam's instructors, with the reason."""
    __tablename__ = "quiz_overrides"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class QuizSection(db.Model):
    """Either fixed questions (by idnumber) or N questions drawn at random by filters."""
    __tablename__ = "quiz_sections"
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    bank: Mapped[str] = mapped_column(String(80))          # bank family: '<slug>' → '<slug>-en' / '<slug>-zh'
    idnumbers: Mapped[list | None] = mapped_column(JSON)    # fixed questions
    draw: Mapped[int | None]                                # random: how many
    competency: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(300))
    tag: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(4))
    mark: Mapped[int] = mapped_column(default=1)

    quiz: Mapped[Quiz] = relationship(back_populates="sections")


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        # one open attempt per person and quiz, enforced by the database
        db.Index("uq_attempts_one_open", "quiz_id", "user_id", unique=True,
                 sqlite_where=db.text("state = 'open'"), postgresql_where=db.text("state = 'open'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    language: Mapped[str] = mapped_column(String(4), default="en")
    state: Mapped[AttemptState] = mapped_column(state_type(AttemptState, 12, "state"), default=AttemptState.OPEN)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0)
    percent: Mapped[float | None]

    quiz: Mapped[Quiz] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptItem.position")

    @property
    def passed(self) -> bool | None:
        return None if self.percent is None or self.state != AttemptState.GRADED else self.percent >= self.quiz.pass_mark


class AttemptItem(db.Model):
    """One question of an attempt: the exact version shown, the option order, the saved response, the grade."""
    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"), index=True)
    mark: Mapped[float] = mapped_column(default=1)
    order: Mapped[list | None] = mapped_column(JSON)        # shuffled option indices as shown
    response: Mapped[dict | list | str | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None]
    # marked by the trainee to come back to before submitting (as Moodle's "Flag question"); no effect on grading
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    fraction: Mapped[float | None]
    # set when the item was regraded with a later version's key (the version shown stays version_id)
    graded_version_id: Mapped[int | None] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"))
    needs_grading: Mapped[bool] = mapped_column(default=False)
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship(foreign_keys=[version_id])


# --- essay rubrics (question_banks/rubrics/<slug>.yaml) ---

class EssayRubric(db.Model):
    """A grading rubric for essay questions, kept apart from the questions so that GIFT and Moodle XML
    stay as Moodle writes them. It names the questions it applies to by bank family and ``[id:]``."""
    __tablename__ = "essay_rubrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    bank: Mapped[str] = mapped_column(String(80))              # bank family: '<slug>' → '<slug>-en' / '<slug>-zh'
    source: Mapped[str | None] = mapped_column(Text)           # the YAML last loaded or saved
    source_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    criteria: Mapped[list[EssayRubricCriterion]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="EssayRubricCriterion.position")
    questions: Mapped[list[EssayRubricQuestion]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="EssayRubricQuestion.idnumber")

    @property
    def max_points(self) -> float:
        return float(sum(c.max_points for c in self.criteria))


class EssayRubricQuestion(db.Model):
    """One essay question a rubric applies to; a question has at most one rubric."""
    __tablename__ = "essay_rubric_questions"
    __table_args__ = (UniqueConstraint("bank", "idnumber"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("essay_rubrics.id", ondelete="CASCADE"), index=True)
    bank: Mapped[str] = mapped_column(String(80))
    idnumber: Mapped[str] = mapped_column(String(100))

    rubric: Mapped[EssayRubric] = relationship(back_populates="questions")


class EssayRubricCriterion(db.Model):
    __tablename__ = "essay_rubric_criteria"
    __table_args__ = (UniqueConstraint("rubric_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("essay_rubrics.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    levels: Mapped[list] = mapped_column(JSON, default=list)   # [{points, descriptor: {en, zh}}], ascending points

    rubric: Mapped[EssayRubric] = relationship(back_populates="criteria")

    @property
    def max_points(self) -> float:
        return max((lv["points"] for lv in self.levels), default=0)


class EssayRubricScore(db.Model):
    """The level a grader chose for one criterion of one essay answer. A regrade adds a new round; earlier
    rounds stay on record. Points and descriptor are copied, so a later edit of the rubric changes no grade."""
    __tablename__ = "essay_rubric_scores"
    __table_args__ = (UniqueConstraint("item_id", "criterion_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("essay_rubric_criteria.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    points: Mapped[float]
    max_points: Mapped[float]
    descriptor: Mapped[dict] = mapped_column(JSON)               # {en, zh} of the level chosen
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime] = mapped_column(default=utcnow)

    criterion: Mapped[EssayRubricCriterion] = relationship()
