"""Programmes (certificates/*.yaml), issued credentials, status lists and experience declarations.

An issued credential's signed JSON is the record: it is stored once, at issue, and never re-signed or
edited. Revocation and suspension flip a bit in a status list (itself a signed credential, re-signed when
a bit changes) and are written to the audit log with the reason.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db


class CredentialState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class ReviewState(StrEnum):
    """An experience declaration or a CPD activity, as an administrator reviewed it."""
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class StatusPurpose(StrEnum):
    """A status list's purpose. Credentials are issued with one ``message`` entry (2 bits: revoked, suspended;
    :mod:`lms.credentials.statuslist`); those issued before carry a revocation and a suspension entry."""
    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    MESSAGE = "message"


class Approval(StrEnum):
    """How a programme's certificate is issued once its requirements are met."""
    AUTOMATIC = "automatic"
    ADMIN = "admin"            # an administrator approves each one


STATUS_PURPOSES = tuple(StatusPurpose)
LIST_SIZE = 131_072          # entries per Bitstring Status List (the spec's minimum; 16 KB of 1-bit entries, 32 KB of 2-bit)


class Programme(db.Model):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(4))
    eqf_level: Mapped[int | None]                  # 1-8: the centre's own referencing, not an official one
    competencies: Mapped[list] = mapped_column(JSON, default=list)    # [{code, level}]
    requirements: Mapped[dict] = mapped_column(JSON, default=dict)
    approval: Mapped[Approval] = mapped_column(state_type(Approval, 20, "approval"), default=Approval.AUTOMATIC)
    validity_years: Mapped[int] = mapped_column(default=3)
    cpd: Mapped[dict] = mapped_column(JSON, default=dict)
    source_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Credential(db.Model):
    __tablename__ = "credentials"
    __table_args__ = (
        # never two live credentials for the same holder and programme
        Index("uq_credentials_live", "holder_id", "programme_id", unique=True,
              sqlite_where=text("state IN ('pending', 'active')"),
              postgresql_where=text("state IN ('pending', 'active')")),
        # never two credentials at one position of the status lists (positions are drawn at random)
        UniqueConstraint("status_list", "status_index"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"), index=True)
    state: Mapped[CredentialState] = mapped_column(state_type(CredentialState, 20, "state"),
                                                   default=CredentialState.PENDING, index=True)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    awarded_date: Mapped[date | None]
    signed_json: Mapped[str | None] = mapped_column(Text)        # exactly as issued; never changed
    key_id: Mapped[str | None] = mapped_column(String(100))
    status_list: Mapped[int | None]                              # list number (its purposes: the signed entries)
    status_index: Mapped[int | None]
    suspended: Mapped[bool] = mapped_column(default=False)
    status_reason: Mapped[str | None] = mapped_column(Text)      # why revoked or suspended
    status_changed_at: Mapped[datetime | None]
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id", ondelete="SET NULL"))
    evidence_summary: Mapped[dict | None] = mapped_column(JSON)  # what met each requirement, at issue
    share_full: Mapped[bool] = mapped_column(default=False)      # holder's choice for public verification
    reminded_at: Mapped[datetime | None]                         # when the expiry reminder was sent
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    holder: Mapped[User] = relationship(foreign_keys=[holder_id])
    programme: Mapped[Programme] = relationship()
    previous: Mapped[Credential | None] = relationship(remote_side=[id])


class StatusList(db.Model):
    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("purpose", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[StatusPurpose] = mapped_column(state_type(StatusPurpose, 20, "purpose"))
    number: Mapped[int]
    bits: Mapped[bytes] = mapped_column(LargeBinary)             # LIST_SIZE entries of statuslist.status_size(purpose) bits
    signed_json: Mapped[str | None] = mapped_column(Text)        # the signed list, re-signed when a bit changes
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExperienceClaim(db.Model):
    """Years of experience declared by a trainee with evidence, checked by an administrator."""
    __tablename__ = "experience_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    years: Mapped[int]
    evidence: Mapped[str] = mapped_column(Text)
    state: Mapped[ReviewState] = mapped_column(state_type(ReviewState, 20, "state"), default=ReviewState.PENDING)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CpdActivity(db.Model):
    """Continuing professional development logged by a holder towards renewing a certificate."""
    __tablename__ = "cpd_activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))          # a type of the programme's CPD rules
    quantity: Mapped[float]                                # hours, items or years, as the rule counts
    done_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text)
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_stored: Mapped[str | None] = mapped_column(String(64))
    evidence_kind: Mapped[str | None] = mapped_column(String(10))
    evidence_size: Mapped[int | None]                     # bytes, counted in the holder's storage quota
    state: Mapped[ReviewState] = mapped_column(state_type(ReviewState, 20, "state"), default=ReviewState.PENDING)
    audit: Mapped[bool] = mapped_column(default=False)    # picked at random: the evidence must be checked
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential] = relationship()
