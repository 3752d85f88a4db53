"""Account logic: plain functions that take validated data and the session; they flush, never commit."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, or_, select

from lms.accounts.models import AuditEvent, LoginFailure, Organisation, PasswordResetToken, User, UserRole
from lms.db import utcnow
from lms.extensions import db
from lms.security import ROLES

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def configure_hasher(params: dict | None) -> None:
    """Tests use cheaper argon2id parameters; production keeps the library's defaults."""
    global _hasher
    _hasher = PasswordHasher(**params) if params else PasswordHasher()
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A refusal with a message meant for the person (already translated by the caller's catalogue)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


# a fixed dummy hash so that an unknown e-mail costs the same time as a known one
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def session_identity() -> tuple[str, int] | None:
    """The signed-in person as the signed session cookie names them, (public id, session version), without
    reading the database. For a hot path that checks the person in its own statement (the account must
    exist, be active and have that session version, as the user loader checks); ``None`` when the session
    names nobody, and the caller then takes the ordinary path through Flask-Login."""
    from flask import session
    ident = session.get("_user_id")
    if not isinstance(ident, str):
        return None
    public_id, sep, version = ident.partition(":")
    if not sep or not public_id or not version.isdigit():
        return None
    return public_id, int(version)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def user_by_public_id(public_id: str) -> User | None:
    return db.session.scalar(select(User).where(User.public_id == public_id))


def get_or_create_organisation(name: str | None, kind: str = "other") -> Organisation | None:
    name = (name or "").strip()
    if not name:
        return None
    org = db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower()))
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def register(email: str, password: str, *, name_zh: str | None = None, name_latin: str | None = None,
             locale: str = "en", roles: tuple[str, ...] = ("trainee",), organisation: str | None = None,
             job_title: str | None = None, years_experience: int | None = None) -> User:
    from flask_babel import gettext as _

    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."))
    if len(password) < MIN_PASSWORD:
        raise AccountError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD))
    user = User(email=email, password_hash=hash_password(password), name_zh=name_zh or None,
                name_latin=name_latin or None, locale=locale, job_title=job_title or None,
                years_experience=years_experience, organisation=get_or_create_organisation(organisation))
    user.roles = [UserRole(role=r) for r in roles]
    db.session.add(user)
    db.session.flush()
    return user


# --- login throttling (only failures are counted; stored in the database so every server sees them) ---

@dataclass
class LoginResult:
    user: User | None
    locked_minutes: int = 0


def _failure_keys(email: str, address: str | None) -> tuple[str, str]:
    return f"acct:{normalise_email(email)}", f"addr:{address or '-'}"


def _recent_failures(key: str, since) -> int:
    return db.session.scalar(
        select(func.count()).select_from(LoginFailure)
        .where(LoginFailure.key == key, LoginFailure.created_at >= since)) or 0


def authenticate(email: str, password: str, address: str | None) -> LoginResult:
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    since = utcnow() - window
    acct_key, addr_key = _failure_keys(email, address)
    if (_recent_failures(acct_key, since) >= cfg["LOGIN_MAX_FAILURES"]
            or _recent_failures(addr_key, since) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        return LoginResult(None, locked_minutes=cfg["LOGIN_WINDOW_MINUTES"])
    user = user_by_email(email)
    if user is None:
        _safe_dummy_verify(password)
        ok = False
    else:
        ok = check_password(user, password) and user.active
    if not ok:
        db.session.add_all([LoginFailure(key=acct_key), LoginFailure(key=addr_key)])
        db.session.flush()
        return LoginResult(None)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == acct_key))
    user.last_login_at = utcnow()
    return LoginResult(user)


def _safe_dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def change_password(user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    if not check_password(user, current):
        raise AccountError(_("The current password is not correct."))
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    from flask_babel import gettext as _

    if len(new) < MIN_PASSWORD:
        raise AccountError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD))
    user.password_hash = hash_password(new)
    user.session_version += 1  # signs out every other session


# --- password reset ---

def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_sha(token),
                                      expires_at=utcnow() + timedelta(hours=hours)))
    db.session.flush()
    return token


def valid_reset_token(token: str) -> PasswordResetToken | None:
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _sha(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def consume_reset_token(token: str, new_password: str) -> User:
    from flask_babel import gettext as _

    row = valid_reset_token(token)
    if row is None:
        raise AccountError(_("This reset link is invalid, has expired or was already used."))
    user = db.session.get(User, row.user_id)
    set_password(user, new_password)
    row.used_at = utcnow()
    # any other outstanding links for this account stop working too
    for other in db.session.scalars(select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))):
        other.used_at = row.used_at
    return user


# --- administration ---

def audit(actor: User | None, action: str, target: str, detail: str | None = None) -> None:
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action, target=target, detail=detail))


def search_users(text: str = "", role: str = "", status: str = "", page: int = 1, per_page: int = 25):
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.outerjoin(Organisation).where(or_(
            func.lower(User.email).like(like), func.lower(User.name_latin).like(like),
            User.name_zh.like(f"%{text.strip()}%"), func.lower(Organisation.name).like(like),
            func.lower(User.employer_name).like(like)))
    if role in ROLES:
        query = query.where(User.roles.any(UserRole.role == role))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def grant_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    if not user.has_role(role):
        user.roles.append(UserRole(role=role))
        audit(actor, "role.grant", user.email, role)


def remove_role(actor: User, user: User, role: str) -> None:
    from flask_babel import gettext as _

    if role == "admin" and user.id == actor.id:
        raise AccountError(_("You cannot remove your own administrator role."))
    for r in list(user.roles):
        if r.role == role:
            user.roles.remove(r)
            audit(actor, "role.remove", user.email, role)


def set_active(actor: User, user: User, active: bool) -> None:
    from flask_babel import gettext as _

    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        if not active:
            user.session_version += 1
        audit(actor, "user.activate" if active else "user.deactivate", user.email)


def update_profile(user: User, *, name_zh, name_latin, employer_name, job_title, years_experience, locale) -> None:
    """The person's own details. The employer they declare is kept as text: it links them to no organisation
    (only an administrator does, with :func:`set_organisation`)."""
    user.name_zh = name_zh or None
    user.name_latin = name_latin or None
    user.employer_name = employer_name or None
    user.job_title = job_title or None
    user.years_experience = years_experience
    user.locale = locale


def set_names(actor: User, user: User, *, name_zh: str | None, name_latin: str | None) -> None:
    """An administrator corrects the names a person's certificates will carry."""
    before = (user.name_zh, user.name_latin)
    user.name_zh = name_zh or None
    user.name_latin = name_latin or None
    if (user.name_zh, user.name_latin) != before:
        audit(actor, "user.names", user.email, f"{before[0] or '-'} / {before[1] or '-'} -> "
                                               f"{user.name_zh or '-'} / {user.name_latin or '-'}"[:1000])


def set_organisation(actor: User, user: User, name: str | None) -> None:
    """The one way an account is linked to an organisation (whose people an employer sees)."""
    user.organisation = get_or_create_organisation(name)
    audit(actor, "user.organisation", user.email, (name or "").strip() or "-")


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all()
    return {role: n for role, n in rows}
