"""Issuing, storing and checking credentials; status lists; revocation and suspension.

The credential is an Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0) with an embedded
``eddsa-rdfc-2022`` DataIntegrityProof, issued by the did:web of the base URL. Its signed JSON is stored
once and served byte for byte; it is never re-signed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms import signals
from lms.accounts.models import User
from lms.accounts.services import audit
from lms.credentials import achievement, keys, signing, status_store, statuslist
from lms.credentials.eligibility import all_met, evaluate, live_credential
from lms.credentials.models import (
    Approval,
    Credential,
    CredentialState,
    Programme,
)
from lms.credentials.profile import issuer_profile
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES
from lms.jobs import after_commit
from lms.mail import queue_mail
from lms.urls import absolute_url

log = logging.getLogger("lms.credentials")
OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
POSITION_ATTEMPTS = 5     # draws again when a parallel issuance took the same position at the same moment
REASON_MAX = 1000         # characters of a reason to revoke, suspend or re-issue (shown publicly for the first two)


class CredentialError(ValueError):
    pass


def base_url() -> str:
    return current_app.config["LMS_BASE_URL"]


_url = absolute_url


def add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:                     # 29 February
        return when.replace(year=when.year + years, day=28)


stamp = signing.stamp


# ---------------------------------------------------------------- a position in the status lists

def _take_position(cred: Credential) -> None:
    for _attempt in range(POSITION_ATTEMPTS):
        number, index = status_store.allocate_index()
        try:
            with db.session.begin_nested():
                cred.status_list, cred.status_index = number, index
        except IntegrityError:              # the same position taken by a parallel issuance a moment ago
            continue
        return
    raise CredentialError(_("No free position in the status lists; try again."))


# ---------------------------------------------------------------- building and issuing

def _identity_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def build_document(cred: Credential, now: datetime) -> dict:
    prog, holder = cred.programme, cred.holder
    salt = secrets.token_hex(8)
    identifiers = [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                    "identityHash": _identity_hash(holder.email, salt), "salt": salt}]
    for name in (holder.name_zh, holder.name_latin):
        if name:
            identifiers.append({"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name})
    lang = achievement.edition_of(holder.locale)        # the holder's edition of the achievement (docs)
    ach = achievement.achievement(prog, lang)
    doc = {
        "@context": OB_CONTEXT,
        "id": _url("credentials.verify_page", public_id=cred.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": ach["name"],
        "description": ach["description"],
        "issuer": issuer_profile(),
        "validFrom": stamp(cred.valid_from),
        "validUntil": stamp(cred.valid_until),
        "awardedDate": stamp(datetime.combine(cred.awarded_date, datetime.min.time())),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": ach,
            "result": achievement.results(cred),
        },
        # one entry (OB 3.0 allows at most one): two bits say revoked and suspended (lms/credentials/statuslist.py)
        "credentialStatus": statuslist.entry(status_store.list_url("message", cred.status_list), "message", cred.status_index),
    }
    # the graded real projects, then what other features add (recognised partner credentials); none: no entry
    evidence = achievement.evidence(cred, lang) + [entry for entries in signals.answers(
        signals.credential_evidence, holder, lang=lang) for entry in entries]
    if evidence:
        doc["evidence"] = evidence
    return doc


def issue(cred: Credential, actor: User | None = None) -> Credential:
    """Sign and store a pending credential."""
    if cred.state != CredentialState.PENDING:
        raise CredentialError(_("Only a pending credential can be issued."))
    now = utcnow().replace(microsecond=0)
    previous = cred.previous
    cred.valid_from = now
    cred.valid_until = add_years(now, cred.programme.validity_years)
    cred.awarded_date = previous.awarded_date if previous else now.date()
    _take_position(cred)
    # Building the document only reads content (programme, framework, alignments) that the credential's new
    # values do not change: no autoflush there; the credential's row is written at the flush below. The status
    # position above is written at once, in a savepoint (a parallel issuance may have drawn the same one).
    with db.session.no_autoflush:
        kid, key = keys.active_key()
        signed = signing.sign(build_document(cred, now), key, keys.verification_method(kid), stamp(now))
    cred.signed_json = json.dumps(signed, ensure_ascii=False, indent=2)
    cred.key_id = kid
    cred.state = CredentialState.ACTIVE
    cred.decided_by_id = actor.id if actor else None
    db.session.flush()
    audit(actor, "credential.issue", cred.public_id, cred.programme.key)
    queue_mail(cred.holder.email, "credential_issued", programme=cred.programme,
               url=_url("credentials.verify_page", public_id=cred.public_id))
    signals.credential_issued.send(cred)
    return cred


def programmes() -> list[Programme]:
    """Foundation, Practitioner, Expert."""
    return sorted(db.session.scalars(select(Programme)), key=lambda p: (LEVEL_CODES.index(p.level), p.key))


def _evidence(reqs) -> dict:
    """What met each requirement at issue, as facts (the words are made when it is shown, in the reader's
    language: ``templates/credentials/_macros.html``), and the real projects that met them (their public ids,
    for the credential's ``evidence``)."""
    return {"requirements": [r.facts() for r in reqs],
            "projects": [r.ref for r in reqs if r.kind == "project" and r.met and r.ref]}


def check_and_issue(user: User) -> list[Credential]:
    """Issue (or queue for approval) every programme whose requirements the person now meets.

    Every automatic path comes here (the holder's "check now", lesson and exam results, cohort issuance, an
    accepted experience declaration). A programme the person holds, or waits for, is skipped; so is one whose
    certificate was revoked: only an administrator issues it again (:func:`reissue`)."""
    if not user.has_role("trainee"):
        return []
    skipped = set(db.session.scalars(select(Credential.programme_id).where(
        Credential.holder_id == user.id, Credential.state.in_((CredentialState.PENDING, CredentialState.ACTIVE, CredentialState.REVOKED)))))
    out = []
    for prog in programmes():
        if prog.id in skipped:
            continue
        reqs = evaluate(user, prog)
        if not all_met(reqs):
            continue
        cred = Credential(holder=user, programme=prog, state=CredentialState.PENDING, evidence_summary=_evidence(reqs))
        db.session.add(cred)
        db.session.flush()
        if prog.approval == Approval.AUTOMATIC:
            try:
                issue(cred)
            except keys.NoSigningKey:
                log.warning("credential %s for %s waits: no signing key (run `lms keys create`)", cred.public_id,
                            user.email)
        out.append(cred)
    return out


REGISTER_PAGE = 50          # credentials per page of the register
SEARCH_MAX = 100            # characters of a register search


def _status_is(status: str, now: datetime):
    """The SQL condition of :func:`status_of` being ``status`` (None for an unknown one)."""
    in_force = and_(Credential.state == CredentialState.ACTIVE, Credential.suspended.is_(False))
    where = {"valid": and_(in_force, or_(Credential.valid_until.is_(None), Credential.valid_until > now)),
             "expired": and_(in_force, Credential.valid_until <= now),
             "suspended": and_(Credential.state == CredentialState.ACTIVE, Credential.suspended.is_(True))}
    if status in ("pending", "rejected", "revoked", "superseded"):
        return Credential.state == status
    return where.get(status)


def register_page(text: str = "", status: str = "", page: int = 1, per_page: int = REGISTER_PAGE):
    """One page of the register, newest request first, with each row's holder and programme loaded in the
    same round trip (whatever the page size, a fixed number of queries). ``text`` is searched in the holder's
    e-mail and names, ``status`` is one of :func:`status_of`'s."""
    query = (select(Credential).options(selectinload(Credential.holder), selectinload(Credential.programme))
             .order_by(Credential.requested_at.desc(), Credential.id.desc()))
    text = text.strip()[:SEARCH_MAX]
    if text:
        like = f"%{text.lower()}%"
        query = query.join(User, User.id == Credential.holder_id).where(or_(
            func.lower(User.email).like(like), func.lower(User.name_latin).like(like), User.name_zh.like(f"%{text}%")))
    condition = _status_is(status, utcnow())
    if condition is not None:
        query = query.where(condition)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def live_pairs(creds: list[Credential]) -> set[tuple[int, int]]:
    """(holder, programme) of these credentials that have a valid or waiting credential, in one query: a
    revoked certificate is re-issued only when there is none."""
    holders = {c.holder_id for c in creds}
    if not holders:
        return set()
    rows = db.session.execute(select(Credential.holder_id, Credential.programme_id).where(
        Credential.holder_id.in_(holders), Credential.state.in_((CredentialState.PENDING, CredentialState.ACTIVE))))
    return {(holder, programme) for holder, programme in rows}


def reissue(actor: User, revoked: Credential, reason: str) -> Credential:
    """An administrator's decision to issue a revoked programme again: a new credential (new dates, a new
    award) when the holder meets the requirements today; the revoked one stays revoked."""
    check_action("reissue", revoked, reason)
    holder, prog = revoked.holder, revoked.programme
    if live_credential(holder.id, prog.id) is not None:
        raise CredentialError(_("The holder already has a certificate for this programme, valid or waiting."))
    reqs = evaluate(holder, prog)
    if not all_met(reqs):
        raise CredentialError(_("The holder does not meet this programme's requirements today; a certificate is "
                                "re-issued only when they are met."))
    cred = Credential(holder=holder, programme=prog, state=CredentialState.PENDING, evidence_summary=_evidence(reqs))
    db.session.add(cred)
    db.session.flush()
    issue(cred, actor)
    audit(actor, "credential.reissue", cred.public_id, f"re-issues {revoked.public_id}: {reason.strip()}")
    return cred


def approve(actor: User, cred: Credential) -> None:
    issue(cred, actor)


def reject(actor: User, cred: Credential, reason: str) -> None:
    if cred.state != CredentialState.PENDING:
        raise CredentialError(_("Only a pending credential can be rejected."))
    if not reason.strip():
        raise CredentialError(_("Give the reason."))
    cred.state, cred.status_reason, cred.decided_by_id = CredentialState.REJECTED, reason.strip(), actor.id
    audit(actor, "credential.reject", cred.public_id, reason.strip())


# ---------------------------------------------------------------- revocation and suspension

def _notify_holder(cred: Credential, change: str, reason: str) -> None:
    """Mail the holder that their certificate was revoked, suspended or reinstated (``change``)."""
    queue_mail(cred.holder.email, "credential_status", change=change, programme=cred.programme, reason=reason,
               url=_url("credentials.verify_page", public_id=cred.public_id))


def check_action(action: str, cred: Credential, reason: str) -> None:
    """CredentialError unless ``action`` (revoke, suspend, reissue) may be done to ``cred`` with ``reason``:
    checked before the confirmation page, and again when the action is done."""
    if action == "revoke" and cred.state != CredentialState.ACTIVE:
        raise CredentialError(_("Only an active credential can be revoked."))
    if action == "suspend" and (cred.state != CredentialState.ACTIVE or cred.suspended):
        raise CredentialError(_("Only an active, unsuspended credential can be suspended."))
    if action == "reissue" and cred.state != CredentialState.REVOKED:
        raise CredentialError(_("Only a revoked credential can be re-issued."))
    if not reason.strip():
        raise CredentialError(_("Give the reason."))
    if len(reason.strip()) > REASON_MAX:
        raise CredentialError(_("Keep the reason within %(n)d characters.", n=REASON_MAX))


def revoke(actor: User, cred: Credential, reason: str) -> None:
    check_action("revoke", cred, reason)
    status_store.set_state(cred, "revoked", True)
    cred.state, cred.status_reason, cred.status_changed_at = CredentialState.REVOKED, reason.strip(), utcnow()
    audit(actor, "credential.revoke", cred.public_id, reason.strip())
    _notify_holder(cred, "revoked", reason.strip())


def suspend(actor: User, cred: Credential, reason: str) -> None:
    check_action("suspend", cred, reason)
    status_store.set_state(cred, "suspended", True)
    cred.suspended, cred.status_reason, cred.status_changed_at = True, reason.strip(), utcnow()
    audit(actor, "credential.suspend", cred.public_id, reason.strip())
    _notify_holder(cred, "suspended", reason.strip())


def unsuspend(actor: User, cred: Credential, reason: str = "") -> None:
    if not cred.suspended or cred.state != CredentialState.ACTIVE:
        raise CredentialError(_("This credential is not suspended."))
    status_store.set_state(cred, "suspended", False)
    cred.suspended, cred.status_reason, cred.status_changed_at = False, None, utcnow()
    audit(actor, "credential.unsuspend", cred.public_id, reason.strip() or None)
    _notify_holder(cred, "reinstated", reason.strip() or "-")


# ---------------------------------------------------------------- status and verification

def status_of(cred: Credential, now: datetime | None = None) -> str:
    """pending | valid | expired | suspended | revoked | rejected | superseded"""
    now = now or utcnow()
    if cred.state != CredentialState.ACTIVE:
        return cred.state
    if cred.suspended:
        return "suspended"
    if cred.valid_until is not None and cred.valid_until <= now:
        return "expired"
    return "valid"


def by_public_id(public_id: str) -> Credential | None:
    return db.session.scalar(select(Credential).where(Credential.public_id == public_id))


_PUBLIC_VIEW = (select(Credential.id, Credential.public_id, Credential.state, Credential.suspended,
                       Credential.valid_from, Credential.valid_until, Credential.status_reason,
                       Credential.status_changed_at, Credential.share_full, Credential.holder_id,
                       Programme.key, Programme.title_en, Programme.title_zh, Programme.level, Programme.competencies)
                .join(Programme, Programme.id == Credential.programme_id)
                .where(Credential.public_id == bindparam("pid"), Credential.signed_json.is_not(None)))


def for_public_view(public_id: str):
    """What the public JSON needs, in one Core query (no ORM objects, not the large stored JSON): the hot
    path of machine checks. Returns an object with the attributes :func:`public_view` reads, or None."""
    with db.engine.connect() as conn:           # a plain connection: no ORM session, nothing to flush or expire
        row = conn.execute(_PUBLIC_VIEW, {"pid": public_id}).first()
    if row is None:
        return None
    programme = SimpleNamespace(key=row.key, title_en=row.title_en, title_zh=row.title_zh, level=row.level,
                                competencies=row.competencies)
    view = SimpleNamespace(**{k: getattr(row, k) for k in (
        "id", "public_id", "state", "suspended", "valid_from", "valid_until", "status_reason", "status_changed_at",
        "share_full", "holder_id")}, programme=programme)
    if row.share_full:
        cred = db.session.get(Credential, row.id)
        view.holder, view.evidence_summary = cred.holder, cred.evidence_summary
    return view


def public_view(cred: Credential) -> dict:
    """What /v/<id> answers as JSON: the status and, as the holder allows, the record."""
    status = status_of(cred)
    out = {"id": cred.public_id, "status": status, "programme": cred.programme.key,
           "title": {"en": cred.programme.title_en, "zh": cred.programme.title_zh}, "level": cred.programme.level,
           "validFrom": stamp(cred.valid_from) if cred.valid_from else None,
           "validUntil": stamp(cred.valid_until) if cred.valid_until else None,
           "issuer": keys.did(), "credential": base_url() + url_for("credentials.credential_json", public_id=cred.public_id)}
    if status in ("revoked", "suspended"):
        out["reason"] = cred.status_reason
        out["statusChanged"] = stamp(cred.status_changed_at) if cred.status_changed_at else None
    out["competencies"] = cred.programme.competencies
    if cred.share_full:
        out["holder"] = {"name_zh": cred.holder.name_zh, "name_latin": cred.holder.name_latin}
        out["evidence"] = (cred.evidence_summary or {}).get("requirements", [])
    return out


def issue_for_cohort(course_slug: str | None = None) -> int:
    """Check every trainee (or every trainee enrolled in a course) and issue what is due; the number issued
    or queued for approval. Runs as a background job when Redis is configured."""
    from lms.accounts.models import Role, UserRole
    from lms.catalog.models import Course, Enrolment
    query = select(User).join(UserRole).where(UserRole.role == Role.TRAINEE, User.active.is_(True))
    if course_slug:
        query = query.join(Enrolment, Enrolment.user_id == User.id).join(Course).where(Course.slug == course_slug)
    count = 0
    for user in db.session.scalars(query.distinct()):
        count += len(check_and_issue(user))
    log.info("cohort %s: %d credential(s) issued or queued", course_slug or "all trainees", count)
    return count


def remind_expiring(days: int = 60, now: datetime | None = None) -> list[Credential]:
    """E-mail each holder whose valid certificate expires within ``days`` (once per certificate)."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Credential).where(
        Credential.state == CredentialState.ACTIVE, Credential.suspended.is_(False), Credential.reminded_at.is_(None),
        Credential.valid_until > now, Credential.valid_until <= now + timedelta(days=days))))
    for cred in due:
        queue_mail(cred.holder.email, "credential_expiring", programme=cred.programme, valid_until=cred.valid_until,
                   credits=cred.programme.cpd.get("credits"),
                   url=_url("credentials.verify_page", public_id=cred.public_id))
        cred.reminded_at = now
    return due


# ---------------------------------------------------------------- issuance as a job after the commit

def check_after_commit(user: User) -> None:
    """Check (and issue) what has become due for ``user`` once the current transaction commits, as a job:
    signing and mailing never slow or fail the request that made the person eligible."""
    if getattr(user, "id", None) is not None:
        after_commit("lms.credentials.services.check_and_issue_for", user.id)


def check_and_issue_for(user_id: int) -> int:
    """The job: :func:`check_and_issue` for one person; the number issued or queued for approval."""
    user = db.session.get(User, user_id)
    return len(check_and_issue(user)) if user is not None else 0


def on_progress(user: User, **_payload) -> None:
    """progress_changed: a lesson, an exam or a course's completion changed."""
    check_after_commit(user)


def on_project_released(project, *, user: User, **_payload) -> None:
    """project_released: the trainee's project results count from now on."""
    check_after_commit(user)
