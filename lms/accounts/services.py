"""Account logic: plain functions that take validated data and the session; they flush, never commit."""
from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import (
    AuditEvent,
    LoginFailure,
    Organisation,
    OrganisationKind,
    PasswordResetToken,
    PendingRegistration,
    User,
    UserRole,
)
from lms.db import utcnow
from lms.extensions import db
from lms.security import ROLES

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def configure_hasher(params: dict | None) -> None:
    """Tests use cheaper argon2id parameters; production keeps the library's defaults."""
    global _hasher
    _hasher = PasswordHasher(**params) if params else PasswordHasher()
MIN_PASSWORD = 10
MAX_PASSWORD = 200


class AccountError(ValueError):
    """A refusal with a message meant for the person (already translated by the caller's catalogue)."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (its header names the source), lower case."""
    lines = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_refusal(password: str) -> str | None:
    """Why a new password is refused (a message for the person), or None when it may be used: at least
    MIN_PASSWORD characters, at most MAX_PASSWORD, and not in the list of common passwords. The one rule for
    registration, reset, change, and accounts made by administrators or the demo."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("The password must have at most %(n)d characters.", n=MAX_PASSWORD)
    if password.strip().lower() in _common_passwords():
        return _("This password is one of the most common passwords. Choose one that is harder to guess.")
    return None


def check_new_password(password: str) -> None:
    refusal = password_refusal(password)
    if refusal:
        raise AccountError(refusal)


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


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def user_by_public_id(public_id: str) -> User | None:
    return db.session.scalar(select(User).where(User.public_id == public_id))


def get_or_create_organisation(name: str | None, kind: str = OrganisationKind.OTHER) -> Organisation | None:
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
    exists = _("An account with this e-mail address already exists.")
    if user_by_email(email) is not None:
        raise AccountError(exists)
    check_new_password(password)
    user = _create_user(email, hash_password(password), name_zh=name_zh, name_latin=name_latin, locale=locale,
                        roles=roles, organisation=get_or_create_organisation(organisation), job_title=job_title,
                        years_experience=years_experience)
    if user is None:
        raise AccountError(exists)
    return user


def _create_user(email: str, password_hash: str, *, name_zh, name_latin, locale, roles, organisation=None,
                 job_title=None, years_experience=None) -> User | None:
    """The account, or None when the address has one already, also when another request created it at the
    same moment (the unique e-mail decides; the insert runs in a savepoint so the caller's work stays)."""
    user = User(email=email, password_hash=password_hash, name_zh=name_zh or None,
                name_latin=name_latin or None, locale=locale, job_title=job_title or None,
                years_experience=years_experience)
    user.roles = [UserRole(role=r) for r in roles]
    try:
        with db.session.begin_nested():
            db.session.add(user)
            user.organisation = organisation
            db.session.flush()
    except IntegrityError:
        return None
    return user


# --- registration, confirmed by an e-mailed link ---
# The answer to a registration is the same whether or not the address has an account (the e-mail says the
# rest), and a password is hashed either way so that both take about the same time. A new registration
# replaces the address's waiting ones (only the newest link works), and the link creates the account only
# with the password chosen at registration, so a stranger's registration of someone's address neither blocks
# that person's own nor hands them an account with the stranger's password.


@dataclass
class RegistrationRequest:
    """What a registration led to: ``token`` for the confirmation link when the address is new; ``existing``
    when the address already has an account active (its owner is told by e-mail); neither when the address
    belongs to a deactivated account (no mail)."""
    email: str
    token: str | None = None
    existing: User | None = None


def request_registration(email: str, password: str, *, name_zh: str | None = None, name_latin: str | None = None,
                         locale: str = "en") -> RegistrationRequest:
    email = normalise_email(email)
    check_new_password(password)
    password_hash = hash_password(password)
    now = utcnow()
    db.session.execute(delete(PendingRegistration).where(PendingRegistration.expires_at < now))
    existing = user_by_email(email)
    if existing is not None:
        return RegistrationRequest(email, existing=existing if existing.active else None)
    db.session.execute(delete(PendingRegistration).where(PendingRegistration.email == email))
    token = secrets.token_urlsafe(32)
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    db.session.add(PendingRegistration(token_hash=_sha(token), email=email, password_hash=password_hash,
                                       name_zh=name_zh or None, name_latin=name_latin or None, locale=locale,
                                       expires_at=now + timedelta(hours=hours)))
    db.session.flush()
    return RegistrationRequest(email, token=token)


def pending_registration(token: str) -> PendingRegistration | None:
    row = db.session.scalar(select(PendingRegistration).where(PendingRegistration.token_hash == _sha(token)))
    if row is None or row.expires_at < utcnow():
        return None
    return row


@dataclass
class Confirmation:
    """``user`` is the new account; ``exists`` when the address has an account already (the same link
    followed twice at once); ``wrong_password`` when the password is not the one chosen at registration (the
    link stays valid); none of them when the link is not valid."""
    user: User | None = None
    exists: bool = False
    wrong_password: bool = False


def confirm_registration(token: str, password: str) -> Confirmation:
    row = pending_registration(token)
    if row is None:
        return Confirmation()
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Confirmation(wrong_password=True)
    email = row.email
    # claim the link: of two requests following it at once, one deletes the row, the other deletes nothing
    claimed = db.session.execute(delete(PendingRegistration).where(PendingRegistration.id == row.id)).rowcount
    if claimed != 1:
        return Confirmation(exists=user_by_email(email) is not None)
    user = _create_user(email, row.password_hash, name_zh=row.name_zh, name_latin=row.name_latin,
                        locale=row.locale, roles=("trainee",))
    if user is None:
        return Confirmation(exists=True)
    return Confirmation(user=user)


# --- login throttling (only failures are counted; stored in the database so every server sees them) ---

@dataclass
class LoginResult:
    user: User | None
    locked_minutes: int = 0


# Three counters, each a key of LoginFailure rows within the window:
#   pair:  one account from one address — LOGIN_MAX_FAILURES lock that account for that address only;
#   acct:  one account from every address — past LOGIN_MAX_FAILURES_PER_ACCOUNT (many addresses guessing one
#          password) every address that has failed on the account is locked out of it, and an address that
#          never failed on it gets one try: the owner's correct password from a new address still signs in,
#          while guessing costs a fresh address per guess; a password reset lifts the lock;
#   addr:  one address on every account — past LOGIN_MAX_FAILURES_PER_ADDRESS (guessing many accounts from one
#          address) the address keeps BUSY_ADDRESS_PAIR_FAILURES tries on each account, so the others behind
#          the same NAT (an exam room) who mistype once or twice still sign in.
# Only failures are counted, and a sign-in forgets only its own address's failures on the account.
# Known and unknown addresses are counted alike, so a refusal says nothing about whether an account exists.
BUSY_ADDRESS_PAIR_FAILURES = 3


def _pair_prefix(email: str) -> str:
    return f"pair:{hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]}|"


def _failure_keys(email: str, address: str | None) -> tuple[str, str, str]:
    address = (address or "-")[:100]
    return (_pair_prefix(email) + address, f"acct:{normalise_email(email)}"[:300], f"addr:{address}")


def _recent_failures(keys: tuple[str, ...], since) -> dict[str, int]:
    rows = db.session.execute(
        select(LoginFailure.key, func.count()).where(LoginFailure.key.in_(keys), LoginFailure.created_at >= since)
        .group_by(LoginFailure.key)).all()
    return {key: n for key, n in rows}


def authenticate(email: str, password: str, address: str | None) -> LoginResult:
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    pair_key, acct_key, addr_key = keys = _failure_keys(email, address)
    counts = _recent_failures(keys, utcnow() - window)
    pair = counts.get(pair_key, 0)
    if (pair >= cfg["LOGIN_MAX_FAILURES"]
            or (pair and counts.get(acct_key, 0) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"])
            or (pair >= BUSY_ADDRESS_PAIR_FAILURES
                and counts.get(addr_key, 0) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"])):
        return LoginResult(None, locked_minutes=cfg["LOGIN_WINDOW_MINUTES"])
    user = user_by_email(email)
    if user is None:
        _safe_dummy_verify(password)
        ok = False
    else:
        ok = check_password(user, password) and user.active
    if not ok:
        db.session.add_all([LoginFailure(key=k) for k in keys])
        db.session.flush()
        return LoginResult(None)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == pair_key))
    user.last_login_at = utcnow()
    return LoginResult(user)


def _safe_dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def lift_login_lock(email: str) -> None:
    """The account's failures, from every address, are forgotten (after a password reset)."""
    db.session.execute(delete(LoginFailure).where(or_(
        LoginFailure.key == f"acct:{normalise_email(email)}"[:300],
        LoginFailure.key.startswith(_pair_prefix(email), autoescape=True))))


def end_sessions(user: User) -> None:
    """Every session of the person ends, on every device: a copied session or remember-me cookie is refused
    from now on (the user loader compares the session version)."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    if not check_password(user, current):
        raise AccountError(_("The current password is not correct."))
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    check_new_password(new)
    user.password_hash = hash_password(new)
    end_sessions(user)  # signs out every other session


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
    lift_login_lock(user.email)
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
    query = (select(User).options(selectinload(User.roles), selectinload(User.organisation))    # what each row shows
             .order_by(User.created_at.desc(), User.id.desc()))
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
