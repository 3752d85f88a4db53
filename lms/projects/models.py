"""Real-project assessment: briefs with rubrics, projects confirmed by their sponsor, submissions,
examiners, grades, reconciliation and the oral defence.

A project row is one assessment round. A resubmission after a fail is a new row that points at the
previous one (``previous_id``), so every grade of every round stays on record.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db
from lms.frameworks.models import Competency

TEMPLATES = ("technology_rating", "trl")


class SponsorKind(StrEnum):
    COMPANY = "company"
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    OTHER = "other"


SPONSOR_KINDS = tuple(SponsorKind)


class ProjectStatus(StrEnum):
    """A project's status, in the order a project goes through them."""
    AWAITING_SPONSOR = "awaiting_sponsor"
    DECLINED = "declined"
    CONFIRMED = "confirmed"
    SUBMITTED = "submitted"
    GRADING = "grading"
    RECONCILIATION = "reconciliation"
    AWAITING_DEFENCE = "awaiting_defence"
    READY = "ready"
    RELEASED = "released"


class SponsorDecision(StrEnum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class ExaminerRole(StrEnum):
    LECTURER = "lecturer"
    PRACTITIONER = "practitioner"
    THIRD = "third"


class GradeRole(StrEnum):
    """Whose grade: one examiner's (the values of ExaminerRole), or the one they agreed on."""
    LECTURER = "lecturer"
    PRACTITIONER = "practitioner"
    THIRD = "third"
    AGREED = "agreed"


EXAMINER_ROLES = tuple(ExaminerRole)


class Brief(db.Model):
    __tablename__ = "project_briefs"
    __table_args__ = (UniqueConstraint("course_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    purpose_en: Mapped[str | None] = mapped_column(Text)
    purpose_zh: Mapped[str | None] = mapped_column(Text)
    deliverables: Mapped[list] = mapped_column(JSON, default=list)      # [{en, zh}]
    level: Mapped[str] = mapped_column(String(4))
    pass_mark: Mapped[int] = mapped_column(default=70)
    two_examiners: Mapped[bool] = mapped_column(default=True)
    defence_required: Mapped[bool] = mapped_column(default=False)
    resubmission_allowed: Mapped[bool] = mapped_column(default=True)
    templates: Mapped[list] = mapped_column(JSON, default=list)
    bands: Mapped[list] = mapped_column(JSON, default=list)             # [{key, label{en,zh}, min, max, level}]
    source: Mapped[str | None] = mapped_column(Text)                    # the YAML last loaded or saved
    source_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(back_populates="brief", cascade="all, delete-orphan",
                                                     order_by="Criterion.position")

    def band_for(self, score: float) -> dict | None:
        for band in self.bands:
            if band["min"] <= score <= band["max"] + 0.999:
                return band
        return None

    def band_index(self, key: str) -> int:
        return next((i for i, b in enumerate(self.bands) if b["key"] == key), -1)


class Criterion(db.Model):
    __tablename__ = "rubric_criteria"
    __table_args__ = (UniqueConstraint("brief_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("project_briefs.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    guidance_en: Mapped[str | None] = mapped_column(Text)
    guidance_zh: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[int]
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="RESTRICT"))
    min_score: Mapped[int | None]
    descriptors: Mapped[dict] = mapped_column(JSON, default=dict)       # band key -> {en, zh}

    brief: Mapped[Brief] = relationship(back_populates="criteria")
    competency: Mapped[Competency] = relationship()


class Project(db.Model):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    brief_id: Mapped[int] = mapped_column(ForeignKey("project_briefs.id", ondelete="RESTRICT"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    trainee_role: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(default=False)
    sponsor_org: Mapped[str] = mapped_column(String(200))
    sponsor_kind: Mapped[SponsorKind] = mapped_column(state_type(SponsorKind, 20, "sponsor_kind"))
    sponsor_name: Mapped[str] = mapped_column(String(200))
    sponsor_email: Mapped[str] = mapped_column(String(254))
    # the sponsor's answer, from the e-mailed link
    sponsor_nonce_hash: Mapped[str | None] = mapped_column(String(64))
    sponsor_link_sent_at: Mapped[datetime | None]
    sponsor_decision: Mapped[SponsorDecision | None] = mapped_column(state_type(SponsorDecision, 20, "sponsor_decision"))
    sponsor_statement: Mapped[str | None] = mapped_column(Text)
    sponsor_signed_name: Mapped[str | None] = mapped_column(String(200))
    sponsor_decided_at: Mapped[datetime | None]
    sponsor_decided_from: Mapped[str | None] = mapped_column(String(64))
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(state_type(ProjectStatus, 20, "status"),
                                                  default=ProjectStatus.AWAITING_SPONSOR, index=True)
    # the final result, fixed when both (or the reconciled) grades are in
    final_score: Mapped[float | None]
    passed: Mapped[bool | None]
    # how the final grade was reached, as facts the page words in the reader's language: {"rule": "single"},
    # {"rule": "mean", "totals": [a, b], "limit": n}, {"rule": "agreed", "examiner_id": id, "reason": text},
    # {"rule": "third", "closest": [x, y], "totals": [a, b, c]}, or {"rule": "legacy", "text": ...} (stored
    # as a sentence before revision 0019, shown as it is)
    final_basis: Mapped[dict | None] = mapped_column(JSON)
    final_scores: Mapped[dict | None] = mapped_column(JSON)          # criterion key -> score
    released_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    brief: Mapped[Brief] = relationship()
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    coach: Mapped[User | None] = relationship(foreign_keys=[coach_id])
    override_by: Mapped[User | None] = relationship(foreign_keys=[override_by_id])
    previous: Mapped[Project | None] = relationship(remote_side=[id])
    examiners: Mapped[list[ExaminerAssignment]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                               order_by="ExaminerAssignment.id")
    submissions: Mapped[list[Submission]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                         order_by="Submission.version")
    grades: Mapped[list[Grade]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                               order_by="Grade.id")
    defence: Mapped[Defence | None] = relationship(back_populates="project", cascade="all, delete-orphan")
    assessment: Mapped[TechnologyAssessment | None] = relationship(back_populates="project",
                                                                   cascade="all, delete-orphan")

    @property
    def is_confirmed(self) -> bool:
        return self.sponsor_decision == SponsorDecision.CONFIRMED or self.override_reason is not None


class SponsorMail(db.Model):
    """One confirmation e-mail sent to a project's sponsor; counted to limit how many go out in a day."""
    __tablename__ = "project_sponsor_mails"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExaminerAssignment(db.Model):
    __tablename__ = "project_examiners"
    __table_args__ = (UniqueConstraint("project_id", "user_id"), UniqueConstraint("project_id", "role"))
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[ExaminerRole] = mapped_column(state_type(ExaminerRole, 20, "role"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="examiners")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Submission(db.Model):
    __tablename__ = "project_submissions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="submissions")
    files: Mapped[list[SubmissionFile]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                       order_by="SubmissionFile.id")


class SubmissionFile(db.Model):
    __tablename__ = "project_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    submission_id: Mapped[int] = mapped_column(ForeignKey("project_submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))             # the name the trainee gave, checked
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))              # pdf, docx, xlsx, pptx, png, jpeg
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    submission: Mapped[Submission] = relationship(back_populates="files")


class Grade(db.Model):
    """One examiner's grade (``role`` lecturer/practitioner/third) or the agreed one (``role`` agreed)."""
    __tablename__ = "project_grades"
    __table_args__ = (UniqueConstraint("project_id", "examiner_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    role: Mapped[GradeRole] = mapped_column(state_type(GradeRole, 20, "role"))
    overall_comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)          # for an agreed grade: why this grade
    total: Mapped[float | None]
    passed: Mapped[bool | None]
    submitted_at: Mapped[datetime | None]                    # None while a draft
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="grades")
    examiner: Mapped[User] = relationship()
    scores: Mapped[list[CriterionScore]] = relationship(back_populates="grade", cascade="all, delete-orphan",
                                                        order_by="CriterionScore.id")

    def score_for(self, criterion_id: int) -> CriterionScore | None:
        return next((s for s in self.scores if s.criterion_id == criterion_id), None)


class CriterionScore(db.Model):
    __tablename__ = "project_criterion_scores"
    __table_args__ = (UniqueConstraint("grade_id", "criterion_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("project_grades.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"), index=True)
    band: Mapped[str] = mapped_column(String(40))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)

    grade: Mapped[Grade] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class Defence(db.Model):
    __tablename__ = "project_defences"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    held_on: Mapped[date]
    panel: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))          # passed | failed
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="defence")


class TechnologyAssessment(db.Model):
    """The trainee's technology-rating (KTRS-style) and TRL worksheets for a project."""
    __tablename__ = "project_technology_assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    weights: Mapped[dict] = mapped_column(JSON, default=dict)      # indicator key -> weight (sum 1)
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)      # indicator key -> A..E
    rating_evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # indicator key -> the evidence for its rating
    score: Mapped[float | None]
    grade: Mapped[str | None] = mapped_column(String(4))
    trl: Mapped[int | None]
    trl_scale: Mapped[str | None] = mapped_column(String(10))        # worksheets.TRL_SCALES key; None: EU (older sheets)
    trl_evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # "1".."9" -> text
    trl_plan: Mapped[dict] = mapped_column(JSON, default=dict)      # gap to the next level: worksheets.PLAN_FIELDS -> text
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="assessment")
