"""A trainee's submission of a partner's credential and an administrator's decision on it; what confirmed
recognitions grant (the facts eligibility asks for, and the OB 3.0 ``Evidence`` entries of our credentials).

Confirming writes, for each rule that matches: an evidence row (source "recognised", reference
``recognition:<request>:<rule target>``) for a competency, or an exemption from a requirement. Withdrawing appends
an evidence row with fraction 0 for the same reference (the evidence log is append-only; its latest row for a
reference counts) and stops the exemptions. Services flush, never commit."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.accounts.services import audit
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import evidence as evidence_log
from lms.recognition import checking
from lms.recognition.models import (
    GrantKind,
    RecognitionGrant,
    RecognitionRequest,
    RequestState,
)

EVIDENCE_SOURCE = "recognised"
MAX_PER_DAY = 10                 # submissions per trainee in 24 hours (refused ones count)
MAX_PENDING = 5                  # a trainee's requests waiting for a decision at once
MAX_REASON = 1_000


class RecognitionError(ValueError):
    """Why a submission or a decision cannot be made: a code (the words are made where it is shown)."""


def submissions_left(user) -> int:
    since = utcnow() - timedelta(days=1)
    count = db.session.scalar(select(func.count(RecognitionRequest.id)).where(
        RecognitionRequest.user_id == user.id, RecognitionRequest.submitted_at > since))
    return max(0, MAX_PER_DAY - count)


def submit(user, raw: bytes, status_list: bytes | None = None) -> RecognitionRequest:
    """Check a partner's credential and keep the request: refused at once (``REFUSED_CHECK`` and the reason's code)
    or pending an administrator's decision. Raises :class:`RecognitionError` ("rate", "pending") before any check
    when the trainee submitted too much."""
    if submissions_left(user) <= 0:
        raise RecognitionError("rate")
    pending = db.session.scalar(select(func.count(RecognitionRequest.id)).where(
        RecognitionRequest.user_id == user.id, RecognitionRequest.state == RequestState.PENDING))
    if pending >= MAX_PENDING:
        raise RecognitionError("pending")
    outcome = checking.check(raw, status_list)
    ref = None
    if outcome.credential is not None:
        outcome.facts["email_matches"] = checking.email_matches(outcome.credential, user.email)
        ref = _credential_ref(outcome.facts)
    if outcome.refusal is None and ref is not None and _in_use(ref):
        outcome.refusal = "already_submitted"
    req = RecognitionRequest(user_id=user.id, partner=outcome.partner, facts=outcome.facts, credential_ref=ref,
                             state=RequestState.REFUSED_CHECK if outcome.refusal else RequestState.PENDING,
                             refusal=outcome.refusal, document=None if outcome.refusal else outcome.document)
    db.session.add(req)
    db.session.flush()
    audit(user, "recognition.submit", req.public_id, outcome.refusal or "pending")
    return req


def _credential_ref(facts: dict) -> str | None:
    """One partner credential, whoever submits it: its issuer and id (None when it has no id)."""
    if not facts.get("credential_id"):
        return None
    return hashlib.sha256(f"{facts.get('issuer')}|{facts['credential_id']}".encode()).hexdigest()


def _in_use(ref: str) -> bool:
    """Whether the credential is already waiting or recognised (for this person or anyone else): it counts once."""
    return db.session.scalar(select(RecognitionRequest.id).where(
        RecognitionRequest.credential_ref == ref,
        RecognitionRequest.state.in_((RequestState.PENDING, RequestState.CONFIRMED))).limit(1)) is not None


def would_grant(req: RecognitionRequest) -> list[dict]:
    """What confirming the request would grant now: the partner's rules that still match its achievement."""
    if req.partner is None:
        return []
    rules = checking.matching_rules(req.partner, req.facts.get("achievement") or {})
    until = _until(req)
    return [{"kind": r.grant_kind.value, "target": r.target, "level": r.level, "title": _target_title(r.grant_kind.value,
                                                                                                        r.target),
             "until": min(d for d in (r.valid_until, until) if d) if (r.valid_until or until) else None,
             "rule": r.public_id} for r in rules]


def _target_title(kind: str, target: str) -> dict | None:
    """The title ({en, zh}) of the course, or the code and name of the competency, that a rule grants."""
    from lms.catalog.models import Course
    if kind == "course":
        course = db.session.scalar(select(Course).where(Course.slug == target))
        return {"en": f"{course.code} {course.title_en or course.title_zh}",
                "zh": f"{course.code} {course.title_zh or course.title_en}"} if course else None
    if kind == "competency":
        from lms.frameworks.loader import current_framework
        from lms.frameworks.models import Competency
        fw = current_framework()
        comp = fw and db.session.scalar(select(Competency).where(Competency.framework_id == fw.id,
                                                                 Competency.code == target))
        return {"en": f"{target} {comp.name_en}", "zh": f"{target} {comp.name_zh}"} if comp else None
    return None


def _until(req: RecognitionRequest) -> date | None:
    text = req.facts.get("valid_until")
    return date.fromisoformat(text) if text else None


def _competency_id(code: str) -> int | None:
    from lms.frameworks.loader import current_framework
    from lms.frameworks.models import Competency
    fw = current_framework()
    query = select(Competency.id).where(Competency.code == code)
    return db.session.scalar(query.where(Competency.framework_id == fw.id) if fw else query.limit(1))


def _reference(req: RecognitionRequest, grant: RecognitionGrant) -> str:
    return f"recognition:{req.public_id}:{grant.target}"[:120]


def confirm(actor, req: RecognitionRequest, reason: str = "") -> list[RecognitionGrant]:
    if req.state != RequestState.PENDING:
        raise RecognitionError("state")
    granted = would_grant(req)
    if not granted:
        raise RecognitionError("no_rule")
    for item in granted:
        grant = RecognitionGrant(request=req, kind=GrantKind(item["kind"]), target=item["target"], level=item["level"],
                                 until=item["until"])
        db.session.add(grant)
        if grant.kind == GrantKind.COMPETENCY and (competency_id := _competency_id(grant.target)):
            row = evidence_log.record(req.user_id, competency_id, grant.level, 1.0, EVIDENCE_SOURCE,
                                      _reference(req, grant))
            db.session.flush()
            grant.evidence_id = row.id
    _decide(actor, req, RequestState.CONFIRMED, reason)
    return req.grants


def refuse(actor, req: RecognitionRequest, reason: str) -> None:
    """Refuse a pending request, with the reason the trainee sees."""
    if req.state != RequestState.PENDING:
        raise RecognitionError("state")
    if not (reason or "").strip():
        raise RecognitionError("reason")
    _decide(actor, req, RequestState.REFUSED, reason)


def withdraw(actor, req: RecognitionRequest, reason: str) -> None:
    """Withdraw a confirmed recognition: its exemptions stop counting and a withdrawal fact (fraction 0) is appended
    to the evidence log for each competency it gave."""
    if req.state != RequestState.CONFIRMED:
        raise RecognitionError("state")
    if not (reason or "").strip():
        raise RecognitionError("reason")
    for grant in req.grants:
        if grant.kind == GrantKind.COMPETENCY and grant.evidence_id is not None:
            row = db.session.get(evidence_log.Evidence, grant.evidence_id)
            evidence_log.record(req.user_id, row.competency_id, row.level, 0.0, EVIDENCE_SOURCE, row.reference)
    _decide(actor, req, RequestState.WITHDRAWN, reason)


def _decide(actor, req: RecognitionRequest, state: RequestState, reason: str) -> None:
    req.state, req.decided_at, req.decided_by_id = state, utcnow(), actor.id
    req.reason = (reason or "").strip()[:MAX_REASON] or None
    db.session.flush()
    audit(actor, f"recognition.{state.value}", req.public_id, req.reason)


# ---------------------------------------------------------------- what confirmed recognitions grant

def _live_grants(user_id: int):
    today = utcnow().date()
    return db.session.execute(select(RecognitionGrant, RecognitionRequest).join(RecognitionRequest).where(
        RecognitionRequest.user_id == user_id, RecognitionRequest.state == RequestState.CONFIRMED,
        (RecognitionGrant.until.is_(None)) | (RecognitionGrant.until >= today))
        .order_by(RecognitionGrant.id)).all()


def exemptions(user) -> list[dict]:
    """The requirements a person is exempted from by confirmed recognitions still in force: ``kind`` (course, exam,
    prerequisite), ``code`` (the course's slug, "<course slug>/<quiz key>", the programme's key), the ``partner``'s
    name ({"en", "zh"}), the ``achievement``'s name, the request's ``request`` id and the ``until`` date."""
    out = []
    for grant, req in _live_grants(user.id):
        if grant.kind == GrantKind.COMPETENCY:
            continue
        out.append({"kind": grant.kind.value, "code": grant.target,
                    "partner": req.partner.name if req.partner else None,
                    "achievement": (req.facts.get("achievement") or {}).get("name"), "request": req.public_id,
                    "until": grant.until.isoformat() if grant.until else None})
    return out


def evidence_entries(user, lang: str = "en") -> list[dict]:
    """OB 3.0 ``Evidence`` objects for the person's confirmed recognitions still in force, in the credential's
    edition language ``lang`` ("en" or "zh"), for the credential's ``evidence`` beside the graded projects."""
    seen, out = set(), []
    for _grant, req in _live_grants(user.id):
        if req.id in seen:
            continue
        seen.add(req.id)
        partner = (req.partner.name if req.partner else {}).get(lang) or ""
        achievement = (req.facts.get("achievement") or {}).get("name") or ""
        credential_id = req.facts.get("credential_id") or ""
        decided = f"{req.decided_at:%Y-%m-%d}"
        if lang == "zh":
            name = f"承认{partner}的{achievement}"
            narrative = f"{partner}的证书 {credential_id} 已按登记的合作方密钥核验，并由管理员于 {decided} 确认承认。"
        else:
            name = f"Recognition of {partner}'s {achievement}".strip()
            narrative = (f"{partner}'s credential {credential_id} was checked against the partner's registered keys "
                         f"and confirmed by an administrator on {decided}.")
        out.append({"id": f"urn:uuid:{_uuid(req.public_id)}", "type": ["Evidence"], "name": name,
                    "narrative": narrative})
    return out


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"


def requests_of(user) -> list[RecognitionRequest]:
    return list(db.session.scalars(select(RecognitionRequest).where(RecognitionRequest.user_id == user.id)
                                   .order_by(RecognitionRequest.submitted_at.desc()).limit(50)))


def queue() -> list[RecognitionRequest]:
    """Pending requests first (oldest first), then the last decided ones."""
    pending = list(db.session.scalars(select(RecognitionRequest).where(
        RecognitionRequest.state == RequestState.PENDING).order_by(RecognitionRequest.submitted_at).limit(100)))
    decided = list(db.session.scalars(select(RecognitionRequest).where(RecognitionRequest.state.in_(
        (RequestState.CONFIRMED, RequestState.REFUSED, RequestState.WITHDRAWN)))
        .order_by(RecognitionRequest.decided_at.desc()).limit(50)))
    return pending + decided


def by_public_id(public_id: str) -> RecognitionRequest | None:
    return db.session.scalar(select(RecognitionRequest).where(RecognitionRequest.public_id == public_id))


def connect_signals() -> None:
    from lms import signals
    signals.exemptions.connect(_answer_exemptions)
    signals.credential_evidence.connect(_answer_evidence)


def _answer_exemptions(user, **_payload) -> list[dict]:
    return exemptions(user)


def _answer_evidence(user, lang: str = "en", **_payload) -> list[dict]:
    return evidence_entries(user, lang)
