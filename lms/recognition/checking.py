"""The automatic check of a partner's credential, offline against the registry: nothing is ever fetched from the
network. A key is trusted only if an administrator registered it for the partner whose issuer identifier the
credential names; a status list only if it was given (with the submission, or before) and its own proof checks
against the same partner's keys.

Steps, each of which may refuse (the reason is a code; the words are made where it is shown):
read (OB 3.0 JSON, a PDF with ``credential.json`` embedded, or a VC-JWT) → issuer in the registry → proof
(eddsa-rdfc-2022 through :mod:`lms.credentials.signing`, or VC-JWT ES256/RS256 through ``joserfc``) → dates
(validFrom/validUntil, nbf/exp) → status (revoked or suspended refuse; an unknown list is "not checked") → the
partner's rules. The outcome holds facts only."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from lms.credentials import pdf, presentation, signing
from lms.db import utcnow
from lms.extensions import db
from lms.recognition.models import (
    KeyKind,
    MatchKind,
    Partner,
    PartnerIssuer,
    PartnerStatusList,
    RecognitionRule,
)

MAX_DOCUMENT_BYTES = 256_000           # a credential as JSON or a JWT (a partner's is a few kB)
MAX_PDF_BYTES = 5_000_000              # a PDF certificate with its credential embedded
MAX_STATUS_LIST_BYTES = 256_000        # a status list credential
MAX_STATUS_BITS = 8 * 2_000_000        # the largest bitstring we expand (16 million entries)
JWT_ALGORITHMS = ("ES256", "RS256")    # what OB 3.0 VC-JWT and 1EdTech's validator accept
_COMPACT_JWS = re.compile(rb"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")

# the reasons a submission is refused at once, in the order the checks run
REFUSALS = ("unreadable", "too_complex", "unknown_issuer", "bad_signature", "not_yet_valid", "expired", "revoked",
            "suspended", "no_rule", "already_submitted")


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Outcome:
    """What the check found: ``refusal`` (a code of :data:`REFUSALS`) or None; the facts shown to the trainee and
    the administrator; the partner and the rules that match."""
    refusal: str | None = None
    facts: dict = field(default_factory=dict)
    partner: Partner | None = None
    rules: list[RecognitionRule] = field(default_factory=list)
    credential: dict | None = None          # the credential as checked (the JWT's payload for a VC-JWT)
    document: str | None = None             # what was submitted, as text (the JSON or the JWT)


# ---------------------------------------------------------------- reading

def read(raw: bytes) -> tuple[dict | str, str]:
    """The credential in what a trainee sent, and its format: ``(dict, "json" | "pdf")`` or ``(jwt text, "jwt")``.
    Raises :class:`Refused` ("unreadable") when there is none."""
    raw = raw.strip()
    if raw.startswith(b"%PDF-"):
        doc = pdf.attached_credential(raw) if len(raw) <= MAX_PDF_BYTES else None
        fmt = "pdf"
    elif len(raw) > MAX_DOCUMENT_BYTES:
        raise Refused("unreadable")
    elif _COMPACT_JWS.match(raw):
        return raw.decode("ascii"), "jwt"
    else:
        try:
            doc, fmt = json.loads(raw.decode("utf-8")), "json"
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise Refused("unreadable") from None
    found = presentation.credentials_in(doc) if doc is not None else []     # a bare credential, or a presentation's
    if len(found) != 1:
        raise Refused("unreadable")
    one = found[0]
    if isinstance(one, str) and _COMPACT_JWS.match(one.encode("ascii", "replace")):
        return one, "jwt"
    if not _is_credential(one):
        raise Refused("unreadable")
    return one, fmt


def _is_credential(doc) -> bool:
    types = doc.get("type") if isinstance(doc, dict) else None
    types = types if isinstance(types, list) else [types]
    return "VerifiableCredential" in types and ("OpenBadgeCredential" in types or "AchievementCredential" in types)


def _text(value, limit: int = 300) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _issuer_id(doc: dict) -> str | None:
    issuer = doc.get("issuer")
    return _text(issuer.get("id") if isinstance(issuer, dict) else issuer, 500)


def _partner_of(issuer_id: str | None) -> Partner:
    row = db.session.scalar(select(PartnerIssuer).where(PartnerIssuer.identifier == issuer_id)) if issuer_id else None
    if row is None:
        raise Refused("unknown_issuer")
    return row.partner


# ---------------------------------------------------------------- proofs

def multikey_resolver(partner: Partner):
    """The Ed25519 keys registered for ``partner``, by verification method (the registry, never the network)."""
    known = {k.method: k.material for k in partner.keys if k.kind == KeyKind.MULTIKEY}

    def resolve(method: str):
        material = known.get(method)
        return signing.public_key_from_multibase(material) if material else None
    return resolve


def _check_eddsa(doc: dict, partner: Partner, facts: dict) -> None:
    try:
        signing.check_bounds(doc)
    except signing.TooComplex:
        raise Refused("too_complex") from None
    result = signing.verify(doc, multikey_resolver(partner))
    proof = doc.get("proof")
    proof = proof[0] if isinstance(proof, list) and proof else proof
    facts["proof"] = "eddsa-rdfc-2022"
    facts["method"] = _text(proof.get("verificationMethod"), 500) if isinstance(proof, dict) else None
    if result.too_complex is not None:
        raise Refused("too_complex")
    if not result.ok:
        facts["errors"] = [e[:300] for e in result.errors[:5]]
        raise Refused("bad_signature")


def _jwt_payload(token: str) -> tuple[dict, dict]:
    """The (unverified) header and payload of a compact JWS; Refused when it is not one."""
    from joserfc import jws
    from joserfc.errors import JoseError
    try:
        obj = jws.extract_compact(token.encode("ascii"))
        header, payload = dict(obj.protected), json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeDecodeError, RecursionError):
        raise Refused("unreadable") from None
    if not isinstance(payload, dict):
        raise Refused("unreadable")
    return header, payload


def _jwt_credential(payload: dict) -> dict:
    """The credential of a VC-JWT's payload: OB 3.0 puts it at the top (with iss, jti, sub, nbf, exp); the VC 1.1
    form nests it under ``vc``."""
    return payload["vc"] if isinstance(payload.get("vc"), dict) else payload


def _check_jwt(token: str, header: dict, claims: dict, partner: Partner, facts: dict) -> None:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import JWKRegistry
    facts["proof"], facts["method"] = _text(header.get("alg"), 20), _text(header.get("kid"), 500)
    if header.get("alg") not in JWT_ALGORITHMS:
        facts["errors"] = ["algorithm"]
        raise Refused("bad_signature")
    if claims.get("iss") not in (None, facts.get("issuer")):      # OB 3.0: iss is the issuer's id
        facts["errors"] = ["iss"]
        raise Refused("bad_signature")
    keys = [k for k in partner.keys if k.kind == KeyKind.JWK and (header.get("kid") in (None, k.method))]
    for key in keys:
        try:
            jwt.decode(token, JWKRegistry.import_key(json.loads(key.material)), algorithms=list(JWT_ALGORITHMS))
        except (JoseError, ValueError, TypeError):
            continue
        facts["method"] = key.method
        return
    facts["errors"] = ["no trusted key" if not keys else "signature"]
    raise Refused("bad_signature")


# ---------------------------------------------------------------- dates and status

def _instant(value) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None) if 0 <= value < 10**11 else None
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value[:40])
    except ValueError:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _check_dates(doc: dict, claims: dict, facts: dict) -> None:
    starts = [t for t in (_instant(doc.get("validFrom")), _instant(claims.get("nbf"))) if t]
    ends = [t for t in (_instant(doc.get("validUntil")), _instant(claims.get("exp"))) if t]
    facts["valid_from"] = max(starts).strftime("%Y-%m-%d") if starts else None
    facts["valid_until"] = min(ends).strftime("%Y-%m-%d") if ends else None
    now = utcnow()
    if starts and max(starts) > now:
        raise Refused("not_yet_valid")
    if ends and min(ends) <= now:
        raise Refused("expired")


def bits_of(encoded) -> bytes:
    """A status list's bitstring, expanded within :data:`MAX_STATUS_BITS` (a GZIP bomb is refused)."""
    if not isinstance(encoded, str) or not encoded.startswith("u") or len(encoded) > MAX_STATUS_LIST_BYTES:
        raise ValueError("not a multibase base64url list")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=31)
        raw = inflater.decompress(compressed, MAX_STATUS_BITS // 8 + 1)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError("not GZIP data") from exc
    if len(raw) > MAX_STATUS_BITS // 8 or inflater.unconsumed_tail:
        raise ValueError("too large")
    return raw


def accept_status_list(raw: bytes | None, partner: Partner) -> PartnerStatusList | None:
    """A status list credential given with a submission: kept (the newest per URL) if its proof checks against the
    partner's keys and its issuer is the partner's; None (and nothing kept) otherwise."""
    try:
        doc = json.loads(raw.decode("utf-8")) if raw and len(raw) <= MAX_STATUS_LIST_BYTES else None
        subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
        if not isinstance(subject, dict) or _issuer_id(doc) not in {i.identifier for i in partner.issuers}:
            return None
        signing.check_bounds(doc)
        bits_of(subject.get("encodedList"))
    except (ValueError, UnicodeDecodeError, RecursionError, signing.TooComplex):
        return None
    url = _text(doc.get("id"), 500)
    if not url or not signing.verify(doc, multikey_resolver(partner)).ok:
        return None
    row = db.session.scalar(select(PartnerStatusList).where(PartnerStatusList.url == url))
    if row is not None and (row.partner_id != partner.id or (row.valid_from or "") > (doc.get("validFrom") or "")):
        return row if row.partner_id == partner.id else None
    row = row or PartnerStatusList(partner_id=partner.id, url=url)
    row.purpose, row.encoded = str(subject.get("statusPurpose"))[:20], subject["encodedList"]
    row.valid_from, row.stored_at = _text(doc.get("validFrom"), 40), utcnow()
    db.session.add(row)
    db.session.flush()
    return row


def _entry_state(entry, partner: Partner) -> str:
    """``ok``, ``revoked``, ``suspended`` or ``not_checked`` (no list known, or an entry we cannot read)."""
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return "not_checked"
    row = db.session.scalar(select(PartnerStatusList).where(
        PartnerStatusList.url == _text(entry.get("statusListCredential"), 500),
        PartnerStatusList.partner_id == partner.id))
    try:
        index = int(entry.get("statusListIndex"))
        bits = bits_of(row.encoded) if row is not None else None
    except (TypeError, ValueError):
        return "not_checked"
    if bits is None or not 0 <= index < len(bits) * 8:
        return "not_checked"
    if not bits[index // 8] & (0x80 >> (index % 8)):
        return "ok"
    return "suspended" if entry.get("statusPurpose") == "suspension" else "revoked"


def _check_status(doc: dict, partner: Partner, facts: dict) -> None:
    entries = doc.get("credentialStatus")
    entries = [] if entries is None else entries if isinstance(entries, list) else [entries]
    states = [_entry_state(e, partner) for e in entries[:4]]
    facts["status"] = ("none" if not states else next((s for s in ("revoked", "suspended") if s in states), None)
                       or ("not_checked" if "not_checked" in states else "ok"))
    if facts["status"] in ("revoked", "suspended"):
        raise Refused(facts["status"])


# ---------------------------------------------------------------- rules

def achievement_facts(doc: dict) -> dict:
    """What a partner's credential says was achieved: the achievement's id, name, type and alignments."""
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    alignments = achievement.get("alignment") if isinstance(achievement.get("alignment"), list) else []
    name = achievement.get("name")
    if isinstance(name, dict):             # the multi-language form
        name = name.get("en") or next((v for v in name.values() if isinstance(v, str)), None)
    return {"id": _text(achievement.get("id"), 500), "name": _text(name), "type": _text(achievement.get("achievementType"), 100),
            "alignments": [v for a in alignments[:50] if isinstance(a, dict)
                           for v in (_text(a.get("targetCode"), 200), _text(a.get("targetUrl"), 500)) if v]}


def matching_rules(partner: Partner, achievement: dict, on: date | None = None) -> list[RecognitionRule]:
    """The partner's rules, still valid ``on`` (today), that the achievement meets."""
    on = on or utcnow().date()

    def meets(rule: RecognitionRule) -> bool:
        if rule.match_kind == MatchKind.ACHIEVEMENT_ID:
            return rule.match_value == achievement.get("id")
        if rule.match_kind == MatchKind.ACHIEVEMENT_TYPE:
            return rule.match_value == achievement.get("type")
        return rule.match_value in achievement.get("alignments", [])
    return [r for r in partner.rules if (r.valid_until is None or r.valid_until >= on) and meets(r)]


# ---------------------------------------------------------------- the whole check

def check(raw: bytes, status_list: bytes | None = None) -> Outcome:
    """The automatic check of a submitted credential (and of a status list given with it)."""
    out = Outcome()
    try:
        _run(raw, status_list, out)
    except Refused as refused:
        out.refusal = refused.code
    return out


def _run(raw: bytes, status_list: bytes | None, out: Outcome) -> None:
    found, fmt = read(raw)
    out.facts["format"] = fmt
    header, claims = _jwt_payload(found) if fmt == "jwt" else ({}, {})
    doc = _jwt_credential(claims) if fmt == "jwt" else found
    if not _is_credential(doc):
        raise Refused("unreadable")
    out.credential, out.document = doc, found if fmt == "jwt" else json.dumps(doc)
    issuer = _issuer_id(doc) or _text(claims.get("iss"), 500)
    out.facts.update(issuer=issuer, credential_id=_text(doc.get("id"), 500), achievement=achievement_facts(doc),
                     names=_subject_names(doc))
    out.partner = _partner_of(issuer)
    out.facts["partner"] = out.partner.public_id
    if fmt == "jwt":
        _check_jwt(found, header, claims, out.partner, out.facts)
    else:
        _check_eddsa(doc, out.partner, out.facts)
    _check_dates(doc, claims, out.facts)
    if status_list:
        out.facts["status_list_given"] = accept_status_list(status_list, out.partner) is not None
    _check_status(doc, out.partner, out.facts)
    out.rules = matching_rules(out.partner, out.facts["achievement"])
    out.facts["rules"] = [r.public_id for r in out.rules]
    if not out.rules:
        raise Refused("no_rule")


def email_matches(doc: dict, email: str) -> bool | None:
    """Whether the credential's e-mail identifier (OB 3.0 ``IdentityObject``, hashed ``sha256$…`` with its salt, or
    plain) is ``email``; None when it carries none."""
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    found = None
    for ident in identifiers[:10] if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(ident, dict) or ident.get("identityType") != "emailAddress":
            continue
        value, salt = str(ident.get("identityHash", "")), str(ident.get("salt") or "")
        mine = email.strip().lower()
        if ident.get("hashed"):
            mine = "sha256$" + hashlib.sha256((mine + salt).encode()).hexdigest()
            value = value.lower()
        found = found or value == mine
    return found


def _subject_names(doc: dict) -> list[str]:
    from lms.credentials.verification import signed_facts
    return signed_facts(doc).names[:5]
