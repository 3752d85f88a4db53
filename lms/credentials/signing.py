"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite, for Open Badges 3.0 credentials.

Pure functions: no Flask, no database, no network. JSON-LD contexts are served only from the
copies vendored in ``lms/credentials/contexts`` (see its README); any other context URL is an error.

Specifications followed (cited by section title, which is stable across W3C drafts):

* W3C "Data Integrity EdDSA Cryptosuites v1.0", https://www.w3.org/TR/vc-di-eddsa/, the
  ``eddsa-rdfc-2022`` algorithms:
  - "Create Proof" and "Verify Proof (eddsa-rdfc-2022)",
  - "Transformation": RDF Dataset Canonicalization (RDFC-1.0; pyld calls it ``URDNA2015``),
    output as N-Quads,
  - "Proof Configuration": the proof options plus the document's ``@context``, canonicalized
    the same way,
  - "Hashing": ``SHA-256(canonical proof configuration) || SHA-256(canonical document)``,
  - "Proof Serialization": pure Ed25519 over those 64 bytes; ``proofValue`` is multibase
    base58btc (``"z"`` + base58).
* "Multikey" (vc-di-eddsa and W3C Controlled Identifiers v1.0): an Ed25519 public key is
  ``"z"`` + base58btc(0xed 0x01 || 32-byte key), i.e. ``z6Mk…``; a secret key uses 0x80 0x26.

The contexts, the undefined-term guard, canonicalization and its bounds are in :mod:`lms.credentials.rdfc`
(re-exported here for callers); signing and verifying both canonicalise with :func:`canonical_nquads`;
:func:`sign` refuses to sign when the guard finds anything.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.credentials.rdfc import (  # noqa: F401  (re-exported: the public names callers use)
    CANONICALISATION_STEPS,
    CONTEXTS_DIR,
    LIMITS,
    ContextLoader,
    JsonObject,
    TooComplex,
    UndefinedTerms,
    UnknownContext,
    canonical_nquads,
    canonize,
    check_bounds,
    checked_expansion,
    default_loader,
    undefined_terms,
    vendored_contexts,
)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"

# Multicodec headers (varint-encoded) used by Multikey: ed25519-pub 0xed, ed25519-priv 0x1300.
_ED25519_PUB_HEADER = b"\xed\x01"
_ED25519_PRIV_HEADER = b"\x80\x26"

# XML Schema dateTimeStamp (a dateTime that must carry a time zone): what VC Data Integrity
# ("Proofs", the ``created`` property) requires.
_DATE_TIME_STAMP = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$"
)

KeyResolver = Callable[[str], Ed25519PublicKey | None]


# --------------------------------------------------------------------------------------------
# Keys (Multikey, PEM, raw seeds)
# --------------------------------------------------------------------------------------------


def stamp(when: datetime) -> str:
    """A UTC time (naive, as the database keeps it) in the form credentials and proofs carry: seconds, ``Z``."""
    return when.replace(microsecond=0).isoformat() + "Z"


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_multibase(public_key: Ed25519PublicKey) -> str:
    """Multikey ``publicKeyMultibase``: ``"z"`` + base58btc(0xed01 || key) -> ``"z6Mk…"``."""
    return "z" + base58.b58encode(_ED25519_PUB_HEADER + _raw_public(public_key)).decode("ascii")


def _decode_multikey(value: str, header: bytes, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError(f"{what} must be a base58btc multibase string starting with 'z'")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as error:
        raise ValueError(f"{what} is not valid base58btc") from error
    if len(raw) != len(header) + 32 or not raw.startswith(header):
        raise ValueError(f"{what} is not an Ed25519 Multikey (header {header.hex()} + 32 bytes)")
    return raw[len(header):]


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(
        _decode_multikey(value, _ED25519_PUB_HEADER, "publicKeyMultibase"))


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    """Multikey ``secretKeyMultibase`` (header 0x8026 + 32-byte seed), as in the W3C vectors."""
    return Ed25519PrivateKey.from_private_bytes(
        _decode_multikey(value, _ED25519_PRIV_HEADER, "secretKeyMultibase"))


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The 32-byte Ed25519 seed (RFC 8032 "private key")."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_seed(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())


def private_key_to_pem(private_key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: protect the file (or the secret store) that holds it."""
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def private_key_from_pem(pem: bytes | str) -> Ed25519PrivateKey:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the PEM key is not an Ed25519 private key")
    return key


# --------------------------------------------------------------------------------------------
# Sign and verify
# --------------------------------------------------------------------------------------------


def signing_input(unsecured_doc: JsonObject, proof_options: JsonObject, *,
                  loader: ContextLoader | None = None) -> bytes:
    """The 64 bytes that are signed (vc-di-eddsa "Proof Configuration" and "Hashing").

    The proof configuration is the proof options (everything in the proof but ``proofValue``)
    with the document's ``@context``: the proof's terms (``DataIntegrityProof``,
    ``cryptosuite``…) come from the credentials v2 context the credential already uses.
    """
    proof_config = {**proof_options, "@context": unsecured_doc["@context"]}
    return (hashlib.sha256(canonize(proof_config, loader=loader).encode("utf-8")).digest()
            + hashlib.sha256(canonize(unsecured_doc, loader=loader).encode("utf-8")).digest())


def _digest(expanded: Any) -> bytes:
    return hashlib.sha256(canonical_nquads(expanded).encode("utf-8")).digest()


@dataclass(frozen=True)
class _Checked:
    """A document and its proof configuration, expanded once for the guard and for canonicalisation."""
    doc: Any
    doc_terms: list[str]
    config: Any
    config_terms: list[str]

    @classmethod
    def of(cls, unsecured: JsonObject, proof_options: JsonObject, loader: ContextLoader) -> _Checked:
        doc, doc_terms = checked_expansion(unsecured, loader)
        config, config_terms = checked_expansion({**proof_options, "@context": unsecured["@context"]}, loader)
        return cls(doc, doc_terms, config, config_terms)

    def signing_input(self) -> bytes:
        """The same 64 bytes as :func:`signing_input`, from the expansions already made."""
        return _digest(self.config) + _digest(self.doc)


def sign(doc: JsonObject, private_key: Ed25519PrivateKey, verification_method: str, created: str,
         *, loader: ContextLoader | None = None, proof_purpose: str = PROOF_PURPOSE) -> JsonObject:
    """A copy of ``doc`` with an embedded ``eddsa-rdfc-2022`` DataIntegrityProof, as an array of that one
    proof: 1EdTech's OB 3.0 JSON schema wants ``proof`` to be an array (VC Data Integrity allows either form;
    :func:`verify` accepts both, and credentials issued before hold an object).

    ``created`` is an XML Schema dateTimeStamp such as ``"2026-01-15T09:00:00Z"``. ``proof_purpose`` is
    ``assertionMethod`` (an issuer's credential) unless a holder signs a presentation (``authentication``).
    Raises :class:`UndefinedTerms` (a ValueError) before signing if the guard finds anything.
    """
    if not isinstance(doc, dict) or "@context" not in doc:
        raise ValueError("the document must be a JSON object with an @context")
    if "proof" in doc:
        raise ValueError("the document already has a proof; sign the unsecured document")
    if not isinstance(created, str) or not _DATE_TIME_STAMP.match(created):
        raise ValueError(f"created must be an XML Schema dateTimeStamp with a time zone: {created!r}")
    proof_options: JsonObject = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    loader = loader or default_loader()
    checked = _Checked.of(doc, proof_options, loader)
    terms = checked.doc_terms + [f"proof: {t}" for t in checked.config_terms]
    if terms:
        raise UndefinedTerms(terms)
    signature = private_key.sign(checked.signing_input())
    secured = json.loads(json.dumps(doc))
    secured["proof"] = [{**proof_options,
                         "proofValue": "z" + base58.b58encode(signature).decode("ascii")}]
    return secured


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    too_complex: TooComplex | None = None     # canonicalisation was refused: nothing was decided


def verify(doc: Any, resolve_key: KeyResolver, *, loader: ContextLoader | None = None,
           proof_purpose: str = PROOF_PURPOSE) -> VerifyResult:
    """Check the embedded ``eddsa-rdfc-2022`` proof of ``doc`` (vc-di-eddsa "Verify Proof").

    ``resolve_key(verification_method)`` returns the Ed25519 public key the issuer publishes for
    that verification method (and authorises for ``assertionMethod``), or None if unknown.
    Only the proof is checked: validity dates and credential status are the caller's business.
    Never raises: every problem is reported in ``errors``, in plain English. A document whose
    canonicalisation would take too much work (:data:`CANONICALISATION_STEPS`) is not canonicalised: ``too_complex``
    says so. Bound what a document may contain first (:func:`check_bounds`): the expansion is not bounded here.
    """
    try:
        errors = _verify(doc, resolve_key, loader or default_loader(), proof_purpose)
    except TooComplex as error:
        return VerifyResult(ok=False, errors=[str(error)], too_complex=error)
    except Exception as error:  # a verifier must not crash on hostile input
        errors = [f"the credential could not be checked: {error}"]
    return VerifyResult(ok=not errors, errors=errors)


def _proof_value_bytes(proof_value: Any) -> tuple[bytes | None, str | None]:
    if not isinstance(proof_value, str) or not proof_value:
        return None, "the proof has no proofValue"
    if not proof_value.startswith("z"):
        return None, "the proofValue is not base58btc multibase (it must start with 'z')"
    try:
        signature = base58.b58decode(proof_value[1:])
    except ValueError:
        return None, "the proofValue is not valid base58btc"
    if len(signature) != 64:
        return None, f"the proofValue is {len(signature)} bytes long; an Ed25519 signature is 64"
    return signature, None


def the_proof(doc: Any) -> Any:
    """The one proof of a secured document, whether written as an object or as a one-element array."""
    proof = doc.get("proof") if isinstance(doc, dict) else None
    return proof[0] if isinstance(proof, list) and len(proof) == 1 else proof


def _the_proof(doc: Any) -> tuple[JsonObject | None, str | None]:
    """The one proof of a secured document, or what is wrong with its shape."""
    if not isinstance(doc, dict):
        return None, "the credential is not a JSON object"
    proof = doc.get("proof")
    if proof is None:
        return None, "no proof"
    if isinstance(proof, list):
        if len(proof) != 1:
            return None, f"the credential carries {len(proof)} proofs; exactly one is supported"
        proof = proof[0]
    if not isinstance(proof, dict):
        return None, "the proof is not a JSON object"
    if "@context" not in doc:
        return None, "the credential has no @context"
    return proof, None


# The proof options that must have one value: (name, value).
_FIXED_OPTIONS = (("type", PROOF_TYPE), ("cryptosuite", CRYPTOSUITE), ("proofPurpose", PROOF_PURPOSE))
_FIXED_OPTION_ERRORS = {"type": f"the proof's type is not {PROOF_TYPE}",
                        "cryptosuite": f"the proof's cryptosuite is not {CRYPTOSUITE}",
                        "proofPurpose": f"the proof's purpose is not {PROOF_PURPOSE}"}


def _proof_option_errors(proof: JsonObject, proof_purpose: str = PROOF_PURPOSE) -> list[str]:
    """What is wrong with the proof's options (everything but its value and @context). ``proof_purpose`` is
    ``assertionMethod`` for a credential, ``authentication`` for a holder's presentation."""
    fixed = {**dict(_FIXED_OPTIONS), "proofPurpose": proof_purpose}
    errors = [_FIXED_OPTION_ERRORS[name] if name != "proofPurpose" or value == PROOF_PURPOSE
              else f"the proof's purpose is not {value}"
              for name, value in fixed.items() if proof.get(name) != value]
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _DATE_TIME_STAMP.match(created)):
        errors.append("the proof's created date is not a valid date-time")
    verification_method = proof.get("verificationMethod")
    if not isinstance(verification_method, str) or not verification_method:
        errors.append("the proof has no verificationMethod")
    return errors


def _proof_context_matches(proof: JsonObject, doc: JsonObject) -> bool:
    """"Verify Proof": a proof that carries its own @context must be a prefix of the document's @context
    (otherwise PROOF_VERIFICATION_ERROR); the document's @context is then used."""
    if "@context" not in proof:
        return True
    doc_context = doc["@context"] if isinstance(doc["@context"], list) else [doc["@context"]]
    proof_context = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
    return doc_context[:len(proof_context)] == proof_context


def _public_key(verification_method: str, resolve_key: KeyResolver) -> tuple[Ed25519PublicKey | None, str | None]:
    try:
        public_key = resolve_key(verification_method)
    except Exception as error:
        return None, f"could not look up key {verification_method}: {error}"
    if public_key is None:
        return None, f"unknown key {verification_method}"
    if not isinstance(public_key, Ed25519PublicKey):
        return None, f"key {verification_method} is not an Ed25519 key"
    return public_key, None


def _signature_errors(checked: _Checked, signature: bytes, public_key: Ed25519PublicKey) -> list[str]:
    """What the guard finds in the document and its proof configuration, and whether the signature matches."""
    errors = []
    if checked.doc_terms:
        errors.append("the credential uses terms its contexts do not define, which the signature "
                      "does not cover: " + ", ".join(checked.doc_terms))
    if checked.config_terms:
        errors.append("the proof uses terms the contexts do not define: " + ", ".join(checked.config_terms))
    try:
        public_key.verify(signature, checked.signing_input())
    except InvalidSignature:
        errors.append("the signature does not match the content")
    return errors


def _verify(doc: Any, resolve_key: KeyResolver, loader: ContextLoader, proof_purpose: str = PROOF_PURPOSE) -> list[str]:
    proof, problem = _the_proof(doc)
    if proof is None:
        return [problem or "no proof"]
    errors = _proof_option_errors(proof, proof_purpose)
    signature, problem = _proof_value_bytes(proof.get("proofValue"))
    if problem:
        errors.append(problem)
    if not _proof_context_matches(proof, doc):
        errors.append("the proof's @context does not match the credential's @context")
    if errors:
        return errors
    public_key, problem = _public_key(proof["verificationMethod"], resolve_key)
    if public_key is None:
        return [problem or "no key"]
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    proof_options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    assert signature is not None
    return _signature_errors(_Checked.of(unsecured, proof_options, loader), signature, public_key)
