"""People, their roles and organisations; login throttling, registrations waiting for confirmation, reset tokens."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db


class Role(StrEnum):
    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    EMPLOYER = "employer"
    ADMIN = "admin"


class OrganisationKind(StrEnum):
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    COMPANY = "company"
    INTERMEDIARY = "intermediary"
    GOVERNMENT = "government"
    OTHER = "other"


class Organisation(db.Model):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(state_type(OrganisationKind, 20, "kind"),
                                                   default=OrganisationKind.OTHER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str | None] = mapped_column(String(100))
    name_latin: Mapped[str | None] = mapped_column(String(200))
    # set by an administrator only: an employer sees the people of this organisation
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # the employer as the person declares it in their profile: shown, never used for access
    employer_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    years_experience: Mapped[int | None]
    locale: Mapped[str] = mapped_column(String(10), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    # bumped on password change so that other sessions end
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role")

    # Flask-Login: the session holds the public id and the session version, never the row id
    def get_id(self) -> str:
        return f"{self.public_id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_names(self) -> list[str]:
        return [r.role for r in self.roles]

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_latin or self.email

    @property
    def sort_key(self) -> tuple[str, str]:
        """Where the person goes in a list of people: by Latin name, else Chinese name, else e-mail."""
        return (self.name_latin or self.name_zh or self.email).lower(), self.email


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(state_type(Role, 20, "role"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class LoginFailure(db.Model):
    """One failed login, counted per account and per client address (successes are not stored)."""
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordResetToken(db.Model):
    """A one-time reset link; only the token's SHA-256 is stored."""
    __tablename__ = "password_reset_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingRegistration(db.Model):
    """A registration waiting for its e-mailed confirmation link; only the link token's SHA-256 is stored.
    The account is created when the link is followed, so an address is proven before it is used."""
    __tablename__ = "pending_registrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str | None] = mapped_column(String(100))
    name_latin: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(db.Model):
    """Who did what to whom, for administrators (role changes, deactivation, publishing)."""
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
