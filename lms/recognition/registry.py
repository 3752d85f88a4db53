"""The partner registry, kept by administrators: partner bodies, their issuer identifiers, the keys we trust
(entered as a Multikey or a JWK, or read from a DID document file) and the recognition rules. Every change is
written to the audit log. Services flush, never commit."""
from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import func, select

from lms.accounts.services import audit
from lms.credentials import signing
from lms.extensions import db
from lms.recognition.models import (
    GrantKind,
    KeyKind,
    MatchKind,
    Partner,
    PartnerIssuer,
    PartnerKey,
    PartnerStatusList,
    RecognitionRule,
)

MAX_PARTNERS = 500
MAX_ISSUERS = 20                 # per partner
MAX_KEYS = 50                    # per partner
MAX_RULES = 200                  # per partner
MAX_DID_DOCUMENT_BYTES = 64_000
MAX_KEY_TEXT = 4_000             # a JWK of an RSA 4096 key is about 800 characters
_ISSUER = re.compile(r"^(did:web:[A-Za-z0-9.%:_-]+|did:key:z[1-9A-HJ-NP-Za-km-z]+|https://[^\s]+)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
LEVELS = ("F", "P", "E")


class RegistryError(ValueError):
    """What is wrong with an administrator's entry: a code (the words are made where it is shown)."""


def _clean(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def save_partner(actor, partner: Partner | None, name_en: str, name_zh: str, country: str, website: str) -> Partner:
    name_en, country, website = _clean(name_en, 200), _clean(country, 10).upper(), _clean(website, 300)
    if not name_en:
        raise RegistryError("name")
    if not _COUNTRY.match(country):
        raise RegistryError("country")
    if website and not website.startswith("https://"):
        raise RegistryError("website")
    if partner is None:
        if db.session.scalar(select(func.count(Partner.id))) >= MAX_PARTNERS:
            raise RegistryError("too_many")
        partner = Partner()
        db.session.add(partner)
    partner.name_en, partner.name_zh, partner.country = name_en, _clean(name_zh, 200) or None, country
    partner.website = website or None
    db.session.flush()
    audit(actor, "partner.save", partner.public_id, f"{name_en} ({country})")
    return partner


def add_issuer(actor, partner: Partner, identifier: str) -> PartnerIssuer:
    identifier = _clean(identifier, 500)
    if not _ISSUER.match(identifier):
        raise RegistryError("issuer")
    if db.session.scalar(select(PartnerIssuer.id).where(PartnerIssuer.identifier == identifier)):
        raise RegistryError("issuer_taken")
    if len(partner.issuers) >= MAX_ISSUERS:
        raise RegistryError("too_many")
    row = PartnerIssuer(partner=partner, identifier=identifier)
    db.session.add(row)
    db.session.flush()
    audit(actor, "partner.issuer.add", partner.public_id, identifier)
    return row


def _key_kind(material: str) -> tuple[KeyKind, str]:
    """A public key as entered: a Multikey ``z6Mk…`` (Ed25519) or a public JWK (EC P-256 or RSA) as JSON."""
    material = material.strip()
    if material.startswith("z"):
        signing.public_key_from_multibase(material)          # ValueError when it is not an Ed25519 Multikey
        return KeyKind.MULTIKEY, material
    jwk = json.loads(material)
    if not isinstance(jwk, dict) or jwk.get("kty") not in ("EC", "RSA") or "d" in jwk or "p" in jwk:
        raise ValueError("a public EC or RSA JWK")
    if jwk.get("kty") == "EC" and jwk.get("crv") != "P-256":
        raise ValueError("P-256 only")
    from joserfc.jwk import JWKRegistry
    key = JWKRegistry.import_key(jwk)
    if jwk["kty"] == "RSA" and key.raw_value.key_size < 2048:
        raise ValueError("an RSA key of at least 2048 bits")
    public = {k: jwk[k] for k in ("kty", "crv", "x", "y", "n", "e") if k in jwk}
    return KeyKind.JWK, json.dumps(public, sort_keys=True)


def add_key(actor, partner: Partner, method: str, material: str) -> PartnerKey:
    """A key we trust for the partner, named by the verification method (or JWT ``kid``) that points at it."""
    method = _clean(method, 500)
    if not method or len(material or "") > MAX_KEY_TEXT:
        raise RegistryError("key")
    try:
        kind, material = _key_kind(material)
    except Exception:
        raise RegistryError("key") from None
    if len(partner.keys) >= MAX_KEYS:
        raise RegistryError("too_many")
    if any(k.method == method for k in partner.keys):
        raise RegistryError("key_taken")
    row = PartnerKey(partner=partner, method=method, kind=kind, material=material)
    db.session.add(row)
    db.session.flush()
    audit(actor, "partner.key.add", partner.public_id, f"{kind.value} {method}")
    return row


def _did_methods(doc: dict) -> list[tuple[str, str]]:
    """(verification method id, key text) of a DID document's Multikey and JWK methods."""
    did = doc.get("id")
    out = []
    methods = doc.get("verificationMethod")
    for vm in methods[:MAX_KEYS] if isinstance(methods, list) else []:
        if not isinstance(vm, dict) or not isinstance(vm.get("id"), str):
            continue
        vm_id = f"{did}{vm['id']}" if vm["id"].startswith("#") else vm["id"]
        if isinstance(vm.get("publicKeyMultibase"), str):
            out.append((vm_id, vm["publicKeyMultibase"]))
        elif isinstance(vm.get("publicKeyJwk"), dict):
            out.append((vm_id, json.dumps(vm["publicKeyJwk"])))
    return out


def import_did_document(actor, partner: Partner, raw: bytes) -> int:
    """The keys of an uploaded DID document file (its ``verificationMethod``s), and its DID as an issuer
    identifier: how many keys were added. Nothing is fetched: the administrator downloads the file."""
    if not raw or len(raw) > MAX_DID_DOCUMENT_BYTES:
        raise RegistryError("did_document")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RegistryError("did_document") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"].startswith("did:"):
        raise RegistryError("did_document")
    if doc["id"] not in {i.identifier for i in partner.issuers}:
        add_issuer(actor, partner, doc["id"])
    added = 0
    for method, material in _did_methods(doc):
        try:
            add_key(actor, partner, method, material)
            added += 1
        except RegistryError as exc:
            if str(exc) == "too_many":
                break
    if not added:
        raise RegistryError("did_document")
    return added


def add_rule(actor, partner: Partner, match_kind: str, match_value: str, grant_kind: str, target: str,
             level: str | None, valid_until: date | None) -> RecognitionRule:
    match_value, target = _clean(match_value, 500), _clean(target, 200)
    if match_kind not in set(MatchKind) or grant_kind not in set(GrantKind) or not match_value:
        raise RegistryError("rule")
    if not _target_exists(grant_kind, target):
        raise RegistryError("target")
    if grant_kind == GrantKind.COMPETENCY and level not in LEVELS:
        raise RegistryError("level")
    if len(partner.rules) >= MAX_RULES:
        raise RegistryError("too_many")
    rule = RecognitionRule(partner=partner, match_kind=MatchKind(match_kind), match_value=match_value,
                           grant_kind=GrantKind(grant_kind),
                           target=target, level=level if grant_kind == GrantKind.COMPETENCY else None,
                           valid_until=valid_until)
    db.session.add(rule)
    db.session.flush()
    audit(actor, "partner.rule.add", partner.public_id,
          f"{match_kind}={match_value} -> {grant_kind} {target} {rule.level or ''} until {valid_until or '-'}")
    return rule


def _target_exists(grant_kind: str, target: str) -> bool:
    """Whether the rule's target is one of ours: a competency code, a course's slug, an exam
    ("<course slug>/<quiz key>") or a programme's key."""
    from lms.assessment.models import Quiz
    from lms.catalog.models import Course
    from lms.credentials.models import Programme
    from lms.frameworks.models import Competency
    if grant_kind == GrantKind.COMPETENCY:
        return db.session.scalar(select(Competency.id).where(Competency.code == target).limit(1)) is not None
    if grant_kind == GrantKind.COURSE:
        return db.session.scalar(select(Course.id).where(Course.slug == target)) is not None
    if grant_kind == GrantKind.EXAM:
        slug, _, key = target.partition("/")
        return db.session.scalar(select(Quiz.id).join(Course).where(Course.slug == slug, Quiz.key == key)) is not None
    return db.session.scalar(select(Programme.id).where(Programme.key == target)) is not None


def remove(actor, partner: Partner, what: str, public_id: str) -> bool:
    """Remove an issuer identifier, a key or a rule of the partner (what a confirmed recognition granted stays:
    it is withdrawn, not removed)."""
    model = {"issuer": PartnerIssuer, "key": PartnerKey, "rule": RecognitionRule}.get(what)
    row = db.session.scalar(select(model).where(model.public_id == public_id,
                                                model.partner_id == partner.id)) if model else None
    if row is None:
        return False
    label = getattr(row, "identifier", None) or getattr(row, "method", None) or f"{row.match_value} -> {row.target}"
    db.session.delete(row)
    db.session.flush()
    audit(actor, f"partner.{what}.remove", partner.public_id, label)
    return True


def store_status_list(actor, partner: Partner, raw: bytes | None) -> None:
    """Keep a status list credential of the partner (downloaded by the administrator: never fetched), checked
    against the partner's registered keys; later submissions use it (the newest per list URL)."""
    from lms.recognition.checking import accept_status_list
    row = accept_status_list(raw, partner) if raw else None
    if row is None:
        raise RegistryError("status_list")
    audit(actor, "partner.status_list", partner.public_id, row.url)


def status_lists(partner: Partner) -> list[PartnerStatusList]:
    return list(db.session.scalars(select(PartnerStatusList).where(PartnerStatusList.partner_id == partner.id)
                                   .order_by(PartnerStatusList.url).limit(100)))


def partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(Partner.name_en)))


def by_public_id(public_id: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(Partner.public_id == public_id))
