"""CPD: holders log activities, the programme's rules turn them into credits, administrators approve or
reject them (a configured share is picked at random for an evidence audit), and renewal issues a new
credential once the credits are met."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from lms.accounts.models import User
from lms.accounts.services import audit
from lms.credentials.models import CpdActivity, Credential, CredentialState, ReviewState
from lms.db import utcnow
from lms.extensions import db
from lms.projects import uploads


class CpdError(ValueError):
    pass


def rules(cred: Credential) -> dict[str, dict]:
    return {a["type"]: a for a in cred.programme.cpd.get("activities", [])}


def needed(cred: Credential) -> float:
    return float(cred.programme.cpd.get("credits") or 0)


@dataclass
class CpdTotal:
    approved: float
    pending: float
    needed: float

    @property
    def met(self) -> bool:
        return self.approved >= self.needed

    @property
    def fraction(self) -> float:
        return min(1.0, self.approved / self.needed) if self.needed else 1.0


def credits(cred: Credential, activities: list[CpdActivity]) -> float:
    """Credits of ``activities`` under the programme's rules: credits × quantity, then each type's caps
    (an absolute ``cap`` and a ``cap_share`` of the credits needed)."""
    by_type: dict[str, float] = {}
    table = rules(cred)
    for a in activities:
        rule = table.get(a.kind)
        if rule is not None:
            by_type[a.kind] = by_type.get(a.kind, 0.0) + float(rule["credits"]) * a.quantity
    total = 0.0
    for kind, value in by_type.items():
        rule = table[kind]
        if rule.get("cap") is not None:
            value = min(value, float(rule["cap"]))
        if rule.get("cap_share") is not None:
            value = min(value, float(rule["cap_share"]) * needed(cred))
        total += value
    return round(total, 1)


def activities(cred: Credential) -> list[CpdActivity]:
    return list(db.session.scalars(select(CpdActivity).where(CpdActivity.credential_id == cred.id)
                                   .order_by(CpdActivity.done_on.desc())))


def total(cred: Credential) -> CpdTotal:
    acts = activities(cred)
    return CpdTotal(credits(cred, [a for a in acts if a.state == ReviewState.APPROVED]),
                    credits(cred, [a for a in acts if a.state == ReviewState.PENDING]), needed(cred))


def can_log(cred: Credential) -> bool:
    """CPD is logged for a valid certificate, or an expired one that can still be renewed; not for one that
    is suspended, revoked or superseded."""
    from lms.credentials.services import status_of
    return status_of(cred) in ("valid", "expired")


@dataclass
class EvidenceRoom:
    files: int          # evidence files attached to this certificate's CPD
    max_files: int
    storage: uploads.Storage


def evidence_room(cred: Credential) -> EvidenceRoom:
    files = db.session.scalar(select(func.count()).select_from(CpdActivity).where(
        CpdActivity.credential_id == cred.id, CpdActivity.evidence_stored.is_not(None)))
    return EvidenceRoom(files, current_app.config["CPD_MAX_EVIDENCE"], uploads.storage(cred.holder_id))


def evidence_bytes(user_id: int) -> int:
    """Bytes of CPD evidence the person has uploaded (for the storage quota shared with project deliverables)."""
    return db.session.scalar(select(func.coalesce(func.sum(CpdActivity.evidence_size), 0))
                             .join(Credential, CpdActivity.credential_id == Credential.id)
                             .where(Credential.holder_id == user_id))


def _attach_evidence(holder: User, cred: Credential, act: CpdActivity, name: str, data: bytes) -> None:
    """Check the file, the certificate's evidence count and the holder's storage, then store it."""
    try:
        act.evidence_kind = uploads.check_upload(name, data, current_app.config["UPLOAD_MAX_BYTES"])
        _room_for(cred, name, len(data))                 # refuse before writing anything...
        act.evidence_stored, _sha = uploads.store(data)
        uploads.take_person(holder.id)                   # ...and count again once the holder's other uploads wait
        _room_for(cred, name, len(data))
    except uploads.UploadRejected as exc:
        raise CpdError(str(exc)) from None
    act.evidence_name, act.evidence_size = name, len(data)


def _room_for(cred: Credential, name: str, size: int) -> None:
    room = evidence_room(cred)
    if room.files >= room.max_files:
        raise CpdError(_("%(name)s: refused, this certificate already has %(n)d evidence files, the most "
                         "allowed.", name=name, n=room.max_files))
    uploads.check_storage(cred.holder_id, size)


def log_activity(holder: User, cred: Credential, *, kind: str, quantity: str, done_on: date | None,
                 description: str, evidence: tuple[str, bytes] | None) -> CpdActivity:
    if cred.holder_id != holder.id:
        raise CpdError(_("Only the holder logs CPD for a certificate."))
    if not can_log(cred):
        raise CpdError(_("CPD is logged for a valid certificate, or for an expired one that can still be "
                         "renewed; not for a suspended, revoked or replaced one."))
    if kind not in rules(cred):
        raise CpdError(_("Choose the kind of activity."))
    try:
        amount = float(quantity)
        if not 0 < amount <= 1000:
            raise ValueError
    except ValueError:
        raise CpdError(_("Give the amount as a number above 0.")) from None
    if done_on is None or done_on > date.today() or (cred.valid_from and done_on < cred.valid_from.date()):
        raise CpdError(_("The date must fall within the certificate's validity, and not in the future."))
    if len(description.strip()) < 10:
        raise CpdError(_("Describe the activity: what, where, with whom."))
    act = CpdActivity(credential_id=cred.id, kind=kind, quantity=amount, done_on=done_on,
                      description=description.strip()[:3000])
    if evidence and evidence[1]:
        _attach_evidence(holder, cred, act, *evidence)
    share = float(cred.programme.cpd.get("audit_share") or 0)
    act.audit = secrets.randbelow(1_000_000) < share * 1_000_000
    db.session.add(act)
    db.session.flush()
    return act


def review(actor: User, act: CpdActivity, approve: bool, note: str = "") -> None:
    if act.state != ReviewState.PENDING:
        raise CpdError(_("This activity has been reviewed."))
    if act.audit and approve and not act.evidence_stored:
        raise CpdError(_("This activity was picked for audit: it can be approved only with its evidence file."))
    if not approve and not note.strip():
        raise CpdError(_("Give the reason."))
    act.state = ReviewState.APPROVED if approve else ReviewState.REJECTED
    act.reviewed_by_id, act.reviewed_at, act.note = actor.id, utcnow(), note.strip() or None
    audit(actor, f"cpd.{act.state}", act.public_id, note.strip() or None)


def renew(holder: User, cred: Credential) -> Credential:
    """A new credential (new dates, the same awarded date) linked to this one, which is superseded."""
    from lms.credentials.services import issue
    if cred.holder_id != holder.id or cred.state != CredentialState.ACTIVE or cred.suspended:
        raise CpdError(_("Only an active certificate of yours can be renewed."))
    t = total(cred)
    if not t.met:
        raise CpdError(_("Renewal needs %(n)s approved CPD credits; %(a)s so far.", n=f"{t.needed:g}",
                         a=f"{t.approved:g}"))
    # Superseded only if still active now: of two renewals at the same moment, one renews and the other is told
    claimed = db.session.execute(update(Credential).where(
        Credential.id == cred.id, Credential.state == CredentialState.ACTIVE, Credential.suspended.is_(False))
        .values(state=CredentialState.SUPERSEDED))
    if claimed.rowcount != 1:
        raise CpdError(_("This certificate has just been renewed, or its status has changed: see your certificates."))
    new = Credential(holder_id=holder.id, programme_id=cred.programme_id, state=CredentialState.PENDING, previous_id=cred.id,
                     share_full=cred.share_full, evidence_summary=cred.evidence_summary)
    db.session.add(new)
    db.session.flush()
    issue(new)
    audit(holder, "credential.renew", new.public_id, f"renews {cred.public_id}")
    return new
