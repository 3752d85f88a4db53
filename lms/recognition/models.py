"""The partner registry and the recognition requests.

A partner body signs as one or more issuer identifiers (``did:web``, ``did:key`` or an https URL) with keys we
trust (an Ed25519 Multikey for eddsa-rdfc-2022 proofs, or a JWK, P-256 or RSA, for VC-JWT). Its recognition rules
say which of its achievements (by achievement id, achievementType, or an alignment's targetCode/targetUrl) counts
as which of our competencies at which level, or exempts which of our requirements, until when.

A request is what a trainee submitted: refused at once by the check (``REFUSED_CHECK``, the reason a code) or
pending an administrator's decision; confirmed, its grants (evidence written, exemptions) count until they end or
the recognition is withdrawn."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db


class KeyKind(StrEnum):
    MULTIKEY = "multikey"      # Ed25519, publicKeyMultibase "z6Mk…" (eddsa-rdfc-2022)
    JWK = "jwk"                # a public JWK (EC P-256 for ES256, RSA for RS256)


class MatchKind(StrEnum):
    """What of a partner's achievement a rule looks at."""
    ACHIEVEMENT_ID = "achievement_id"
    ACHIEVEMENT_TYPE = "achievement_type"
    ALIGNMENT = "alignment"            # an alignment's targetCode or targetUrl


class GrantKind(StrEnum):
    """What a rule grants: evidence for one of our competencies, or an exemption from a requirement."""
    COMPETENCY = "competency"          # target: a competency code, with a level
    COURSE = "course"                  # target: a course's slug
    EXAM = "exam"                      # target: "<course slug>/<quiz key>"
    PREREQUISITE = "prerequisite"      # target: a programme's key


class RequestState(StrEnum):
    REFUSED_CHECK = "refused_check"    # refused at once by the automatic check
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"                # by an administrator
    WITHDRAWN = "withdrawn"            # confirmed, then withdrawn by an administrator


class Partner(db.Model):
    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))               # ISO 3166-1 alpha-2
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    issuers: Mapped[list[PartnerIssuer]] = relationship(back_populates="partner", cascade="all, delete-orphan",
                                                        order_by="PartnerIssuer.id")
    keys: Mapped[list[PartnerKey]] = relationship(back_populates="partner", cascade="all, delete-orphan",
                                                  order_by="PartnerKey.id")
    rules: Mapped[list[RecognitionRule]] = relationship(back_populates="partner", cascade="all, delete-orphan",
                                                        order_by="RecognitionRule.id")

    @property
    def name(self) -> dict:
        return {"en": self.name_en, "zh": self.name_zh or self.name_en}


class PartnerIssuer(db.Model):
    """An issuer identifier the partner signs as (``issuer.id`` / ``iss``): unique across partners."""
    __tablename__ = "partner_issuers"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(500), unique=True)

    partner: Mapped[Partner] = relationship(back_populates="issuers")


class PartnerKey(db.Model):
    """A public key we trust for the partner, by the verification method (or JWT ``kid``) that names it."""
    __tablename__ = "partner_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(500))          # e.g. did:web:partner.org#key-1
    kind: Mapped[KeyKind] = mapped_column(state_type(KeyKind, 10, "kind"))
    material: Mapped[str] = mapped_column(Text)                # the Multikey, or the JWK as JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="keys")


class RecognitionRule(db.Model):
    __tablename__ = "recognition_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    match_kind: Mapped[MatchKind] = mapped_column(state_type(MatchKind, 20, "match_kind"))
    match_value: Mapped[str] = mapped_column(String(500))
    grant_kind: Mapped[GrantKind] = mapped_column(state_type(GrantKind, 20, "grant_kind"))
    target: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(4))      # for a competency: F, P or E
    valid_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="rules")


class RecognitionRequest(db.Model):
    __tablename__ = "recognition_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    state: Mapped[RequestState] = mapped_column(state_type(RequestState, 20, "state"))
    refusal: Mapped[str | None] = mapped_column(String(30))   # the check's reason code (REFUSED_CHECK)
    credential_ref: Mapped[str | None] = mapped_column(String(64), index=True)   # sha256 of issuer and credential id
    facts: Mapped[dict] = mapped_column(JSON, default=dict)    # the check: format, issuer, proof, dates, status, achievement
    document: Mapped[str | None] = mapped_column(Text)         # the credential as submitted (pending and after)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)           # the administrator's, shown to the trainee

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    partner: Mapped[Partner | None] = relationship()
    grants: Mapped[list[RecognitionGrant]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                          order_by="RecognitionGrant.id")


class RecognitionGrant(db.Model):
    """What a confirmed recognition granted (a copy of its rule at the time, which may later change)."""
    __tablename__ = "recognition_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("recognition_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[GrantKind] = mapped_column(state_type(GrantKind, 20, "kind"))
    target: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(4))
    until: Mapped[date | None]
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))

    request: Mapped[RecognitionRequest] = relationship(back_populates="grants")


class PartnerStatusList(db.Model):
    """A partner's status list credential, checked against its keys when it was given (uploaded with a
    submission): the newest (by its ``validFrom``) is kept and used for later submissions. Never fetched."""
    __tablename__ = "partner_status_lists"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    encoded: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[str | None] = mapped_column(String(40))
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
