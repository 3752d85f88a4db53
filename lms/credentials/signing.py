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

The contexts, the undefined-term guard and canonicalization are in :mod:`lms.credentials.rdfc` (re-exported
here for callers); :func:`sign` refuses to sign when the guard finds anything.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.credentials import rdfc
from lms.credentials.rdfc import (  # noqa: F401  (re-exported: the public names callers use)
    CONTEXTS_DIR,
    LIMITS,
    ContextLoader,
    JsonObject,
    Steps,
    TooComplex,
    UndefinedTerms,
    UnknownContext,
    _canonize_expanded,
    _checked_expansion,
    _copy_json,
    canonize,
    check_bounds,
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


def _proof_config_hash(proof_config: JsonObject, loader: ContextLoader,
                       steps: Steps | None = None) -> tuple[list[str], bytes]:
    """What the guard reports for the proof configuration, and the SHA-256 of its canonical form.

    Both depend only on the configuration (and the loader's contexts), so they are cached in the
    loader, keyed by the configuration's JSON text (the values are plain JSON).
    """
    try:
        key: str | None = json.dumps(proof_config, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):       # not plain JSON: not cached
        key = None
    cached = loader._proof_configs.get(key) if key is not None else None
    if cached is None:
        expanded, terms = _checked_expansion(proof_config, loader)
        digest = hashlib.sha256(_canonize_expanded(expanded, loader, steps).encode("utf-8")).digest()
        cached = (tuple(terms), digest)
        if key is not None:
            loader._proof_configs[key] = cached
    return list(cached[0]), cached[1]


def sign(doc: JsonObject, private_key: Ed25519PrivateKey, verification_method: str, created: str,
         *, loader: ContextLoader | None = None) -> JsonObject:
    """A copy of ``doc`` with an embedded ``eddsa-rdfc-2022`` DataIntegrityProof.

    ``created`` is an XML Schema dateTimeStamp such as ``"2026-01-15T09:00:00Z"``.
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
        "proofPurpose": PROOF_PURPOSE,
    }
    # The guard's expansion is canonicalised directly (see _canonize_expanded), and the proof
    # configuration's hash is computed once per configuration (see _proof_config_hash). The
    # published test vectors, reproduced in the tests, check the result.
    loader = loader or default_loader()
    expanded_doc, terms = _checked_expansion(doc, loader)
    config_terms, config_hash = _proof_config_hash({**proof_options, "@context": doc["@context"]}, loader)
    terms += [f"proof: {t}" for t in config_terms]
    if terms:
        raise UndefinedTerms(terms)
    signature = private_key.sign(
        config_hash + hashlib.sha256(_canonize_expanded(expanded_doc, loader).encode("utf-8")).digest())
    secured = _copy_json(doc)
    secured["proof"] = {**proof_options,
                        "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return secured


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    too_complex: TooComplex | None = None     # canonicalisation was stopped: nothing was decided


def verify(doc: Any, resolve_key: KeyResolver, *, loader: ContextLoader | None = None,
           steps: int = rdfc.CANONICALISATION_STEPS) -> VerifyResult:
    """Check the embedded ``eddsa-rdfc-2022`` proof of ``doc`` (vc-di-eddsa "Verify Proof").

    ``resolve_key(verification_method)`` returns the Ed25519 public key the issuer publishes for
    that verification method (and authorises for ``assertionMethod``), or None if unknown.
    Only the proof is checked: validity dates and credential status are the caller's business.
    Never raises: every problem is reported in ``errors``, in plain English. Canonicalisation (of the
    document and of the proof configuration together) takes at most ``steps`` steps of Hash N-Degree
    Quads; past them ``too_complex`` says so. Bound what a document may contain first
    (:func:`check_bounds`): the expansion before canonicalisation is not counted.
    """
    try:
        errors = _verify(doc, resolve_key, loader or default_loader(), Steps(steps))
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


def _verify(doc: Any, resolve_key: KeyResolver, loader: ContextLoader, steps: Steps) -> list[str]:
    if not isinstance(doc, dict):
        return ["the credential is not a JSON object"]
    proof = doc.get("proof")
    if proof is None:
        return ["no proof"]
    if isinstance(proof, list):
        if len(proof) != 1:
            return [f"the credential carries {len(proof)} proofs; exactly one is supported"]
        proof = proof[0]
    if not isinstance(proof, dict):
        return ["the proof is not a JSON object"]
    if "@context" not in doc:
        return ["the credential has no @context"]

    errors: list[str] = []
    if proof.get("type") != PROOF_TYPE:
        errors.append(f"the proof's type is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        errors.append(f"the proof's cryptosuite is not {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        errors.append(f"the proof's purpose is not {PROOF_PURPOSE}")
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _DATE_TIME_STAMP.match(created)):
        errors.append("the proof's created date is not a valid date-time")
    verification_method = proof.get("verificationMethod")
    if not isinstance(verification_method, str) or not verification_method:
        errors.append("the proof has no verificationMethod")
    signature, problem = _proof_value_bytes(proof.get("proofValue"))
    if problem:
        errors.append(problem)

    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    # "Verify Proof": a proof that carries its own @context must be a prefix of the document's
    # @context (otherwise PROOF_VERIFICATION_ERROR); the document's @context is then used.
    if "@context" in proof_options:
        proof_context = proof_options.pop("@context")
        doc_context = doc["@context"] if isinstance(doc["@context"], list) else [doc["@context"]]
        proof_context = proof_context if isinstance(proof_context, list) else [proof_context]
        if doc_context[:len(proof_context)] != proof_context:
            errors.append("the proof's @context does not match the credential's @context")
    if errors:
        return errors

    try:
        public_key = resolve_key(verification_method)
    except Exception as error:
        return [f"could not look up key {verification_method}: {error}"]
    if public_key is None:
        return [f"unknown key {verification_method}"]
    if not isinstance(public_key, Ed25519PublicKey):
        return [f"key {verification_method} is not an Ed25519 key"]

    # The same steps as :func:`sign` (one expansion for the guard and canonicalisation, the proof
    # configuration's hash cached), and the same result as :func:`signing_input`.
    expanded, terms = _checked_expansion(unsecured, loader)
    if terms:
        errors.append("the credential uses terms its contexts do not define, which the signature "
                      "does not cover: " + ", ".join(terms))
    terms, config_hash = _proof_config_hash({**proof_options, "@context": unsecured["@context"]}, loader, steps)
    if terms:
        errors.append("the proof uses terms the contexts do not define: " + ", ".join(terms))

    assert signature is not None
    digest = hashlib.sha256(_canonize_expanded(expanded, loader, steps).encode("utf-8")).digest()
    try:
        public_key.verify(signature, config_hash + digest)
    except InvalidSignature:
        errors.append("the signature does not match the content")
    return errors
