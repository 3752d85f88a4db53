"""Checking a credential someone sends (an uploaded PDF or JSON, or a document through the employers' API): its
format, that it is a credential of our register, its signature against our published key, its issuer, its status
bits and its dates, and what its signature covers. Canonicalisation is exponential on crafted input, so a document
is bounded before it is canonicalised (see :func:`verify_document`). The report holds facts; the words for them are
made where they are shown (:mod:`lms.credentials.report_words`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lms import signals
from lms.credentials import keys, pdf, presentation, schemas, signing
from lms.credentials.models import Credential
from lms.credentials.services import by_public_id, status_of
from lms.credentials.status_store import state_is_set
from lms.db import utcnow
from lms.urls import absolute_url


@dataclass
class Check:
    """One check of a document: which (``name``: format, signature, issuer, schema, record, revocation,
    suspension, dates), whether it passed, and what was found (``values``: the signature's or the schema's
    ``errors``, the ``issuer``, the register's credential ``id`` it differs from, the status ``reason``, the
    ``until`` date). The schema check (1EdTech's official OB 3.0 JSON schema) informs; it does not decide
    whether a credential is authentic (credentials issued before 2026-12 carry two status entries and fail it)."""
    name: str
    ok: bool
    values: dict = field(default_factory=dict)


@dataclass
class SignedFacts:
    """What the signature covers, as signed: whom and what the credential is about. Shown beside the
    result so that the printed page can be compared with it (the page itself is not signed)."""
    names: list[str]
    achievement: str | None
    level: str | None
    valid_from: str | None
    valid_until: str | None
    issuer_name: str | None
    issuer_id: str | None


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)
    credential: Credential | None = None
    status: str | None = None
    signed: SignedFacts | None = None
    refused: signing.TooComplex | None = None      # past a bound: not checked at all
    names_in_pdf: list[str] | None = None          # the signed names found in the PDF's text (PDFs only)

    @property
    def authentic(self) -> bool:
        return self.refused is None and all(c.ok for c in self.checks
                                            if c.name in ("format", "signature", "issuer", "record"))

    @property
    def verdict(self) -> str:
        if self.refused is not None:
            return "refused"
        if not self.authentic:
            return "tampered"
        return self.status or "valid"

    @property
    def names_missing_from_pdf(self) -> list[str]:
        if self.signed is None or self.names_in_pdf is None:
            return []
        return [n for n in self.signed.names if n not in self.names_in_pdf]


def _text(value, limit: int = 300) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def signed_facts(doc: dict) -> SignedFacts:
    """Whom and what a (verified) credential names: the holder's names, the achievement and its level, the
    dates and the issuer, as signed."""
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, dict) else {}
    names = [_text(subject.get("name"))]
    identifiers = subject.get("identifier")
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(ident, dict) and ident.get("identityType") == "name" and ident.get("hashed") is False:
            names.append(_text(ident.get("identityHash")))
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    issuer = doc.get("issuer")
    issuer = issuer if isinstance(issuer, dict) else {"id": issuer}
    return SignedFacts(names=list(dict.fromkeys(n for n in names if n)), achievement=_text(achievement.get("name")),
                       level=_text(achievement.get("humanCode")), valid_from=_text(doc.get("validFrom")),
                       valid_until=_text(doc.get("validUntil")), issuer_name=_text(issuer.get("name")),
                       issuer_id=_text(issuer.get("id")))


def _single_proof(doc: dict) -> dict:
    """``doc`` with a one-element ``proof`` array written as the object (the same credential)."""
    proof = doc.get("proof")
    return {**doc, "proof": proof[0]} if isinstance(proof, list) and len(proof) == 1 else doc


def _proof_value(doc: dict):
    proof = _single_proof(doc).get("proof")
    return proof.get("proofValue") if isinstance(proof, dict) else None


def registered(doc: dict) -> Credential | None:
    """The issued credential of our register whose id the document carries, if any."""
    prefix = absolute_url("credentials.verify_page", public_id="")
    cred_id = doc.get("id")
    if not isinstance(cred_id, str) or not cred_id.startswith(prefix):
        return None
    cred = by_public_id(cred_id[len(prefix):])
    return cred if cred is not None and cred.signed_json is not None else None


def _record_of(doc: dict) -> tuple[Credential | None, dict | None]:
    """The register's credential a document names and the record to compare it with: the credential's stored
    JSON, or a copy of it issued elsewhere and stored (a wallet's, through ``signals.credential_copy``)."""
    cred = registered(doc)
    if cred is not None:
        return cred, json.loads(cred.signed_json)
    for answer in signals.answers(signals.credential_copy, doc.get("id")):
        if answer is not None:
            return answer[0], json.loads(answer[1])
    return None, None


def _normalised_name(text: str) -> str:
    return "".join(text.split()).casefold()


def read_upload(raw: bytes) -> tuple[dict | None, str | None]:
    """The credential in an uploaded file (a PDF that carries one, or the JSON itself) and, for a PDF, the
    text of its first page; (None, None) when there is none."""
    if raw.startswith(b"%PDF-"):
        doc = pdf.attached_credential(raw)
        return (doc, pdf.page_text(raw) or "") if doc is not None else (None, None)     # unreadable: no name in it
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    return doc, None


def verify_document(doc, page_text: str | None = None) -> VerificationReport:
    """Check a credential someone sent (uploaded, or through the API): format, that it is a credential of our
    register, its signature against our published key, its issuer, its status bits and its dates; and what its
    signature covers (:class:`SignedFacts`). ``page_text`` is the text of the PDF it came in, if any: the
    report says which signed names it contains.

    Canonicalisation is exponential on crafted input, so it never runs on a document before it is bounded:
    one whose content is that of our stored record (key order and a one-element ``proof`` array aside) is
    checked as that record; any other is first held to :data:`signing.LIMITS`, and canonicalised only if
    its estimated work is within :data:`signing.CANONICALISATION_STEPS`. Past a bound the report is ``refused``: nothing was decided."""
    report = VerificationReport()
    if not _is_open_badge(doc):
        report.checks.append(Check("format", False))
        return report
    cred, stored = _record_of(doc)
    same = stored is not None and _single_proof(doc) == _single_proof(stored)
    report.refused = None if same else _past_bounds(doc)
    if report.refused is not None:
        return report
    result = signing.verify(stored if same else doc, keys.resolve)
    if result.too_complex is not None:
        report.refused = result.too_complex
        return report
    report.checks += [Check("format", True), Check("signature", result.ok, {"errors": result.errors}),
                      _issuer_check(doc)]
    # A valid signature of ours with the stored record's proof value signs the stored record's content.
    same = same or (stored is not None and result.ok and _proof_value(doc) == _proof_value(stored))
    if not _is_transcript(doc):         # a CE-point transcript is signed afresh on each download, never kept;
        report.checks += [_schema_check(doc), _record_check(same, cred)]    # OB 3.0's schema is not CLR's
    if result.ok:
        report.signed = signed_facts(stored if same else doc)
        report.signed.achievement = report.signed.achievement or _text(doc.get("name"))
        report.names_in_pdf = _names_in(page_text, report.signed.names)
    if same:
        report.credential, report.status = cred, status_of(cred)
        report.checks += _status_checks(cred)
    return report


@dataclass
class SubmissionReport:
    """A document someone sent, checked: one report per credential in it (a bare credential, or those a
    verifiable presentation holds), and what the presentation says about itself (None for a bare credential)."""
    reports: list[VerificationReport]
    presentation: presentation.PresentationFacts | None = None


def verify_submission(doc, page_text: str | None = None) -> SubmissionReport:
    """:func:`verify_document` for each credential of ``doc`` (:func:`presentation.credentials_in`)."""
    return SubmissionReport([verify_document(c, page_text=page_text) for c in presentation.credentials_in(doc)],
                            presentation.presentation_facts(doc))


def _types(doc) -> list:
    types = doc.get("type") if isinstance(doc, dict) else None
    return types if isinstance(types, list) else [types]


def _is_open_badge(doc) -> bool:
    """An OB 3.0 credential, or a CLR 2.0 transcript (lms/credentials/transcript_clr.py)."""
    return "OpenBadgeCredential" in _types(doc) or _is_transcript(doc)


def _is_transcript(doc) -> bool:
    return "ClrCredential" in _types(doc)


def _past_bounds(doc: dict) -> signing.TooComplex | None:
    try:
        signing.check_bounds(doc)
    except signing.TooComplex as exc:
        return exc
    return None


def _issuer_check(doc: dict) -> Check:
    issuer = doc.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return Check("issuer", issuer_id == keys.did(), {"issuer": issuer_id})


def _schema_check(doc: dict) -> Check:
    """Whether the document passes 1EdTech's official OB 3.0 AchievementCredential schema (the first failures)."""
    errors = schemas.errors(schemas.OB_ACHIEVEMENT_CREDENTIAL, doc, limit=3)
    return Check("schema", not errors, {"errors": errors})


def _record_check(same: bool, cred: Credential | None) -> Check:
    """Whether the document is our register's record; when not, the id of the register's credential it names."""
    return Check("record", same, {"id": cred.public_id if cred is not None and not same else None})


def _names_in(page_text: str | None, names: list[str]) -> list[str] | None:
    """The signed names found in a PDF's text (None when the document did not come in a PDF)."""
    if page_text is None:
        return None
    text = _normalised_name(page_text)
    return [n for n in names if _normalised_name(n) in text]


def _status_checks(cred: Credential) -> list[Check]:
    """Revocation, suspension and dates of a credential of our register."""
    revoked, suspended = state_is_set(cred, "revoked"), state_is_set(cred, "suspended")
    expired = cred.valid_until is not None and cred.valid_until <= utcnow()
    reason = {"reason": cred.status_reason or ""}
    return [Check("revocation", not revoked, reason), Check("suspension", not suspended, reason),
            Check("dates", not expired, {"until": cred.valid_until})]
