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

Canonicalization silently drops every property (and every ``type``/``id`` value) that the
contexts do not define, so it would be signed as if absent while still being shown to people.
Digital Bazaar's verifier (jsonld.js "safe mode") rejects such credentials. :func:`undefined_terms`
is the equivalent guard on our side; :func:`sign` refuses to sign when it finds anything.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import base58
from cachetools import LRUCache
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld
from pyld.context_resolver import ContextResolver

CONTEXTS_DIR = Path(__file__).with_name("contexts")

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"

# Multicodec headers (varint-encoded) used by Multikey: ed25519-pub 0xed, ed25519-priv 0x1300.
_ED25519_PUB_HEADER = b"\xed\x01"
_ED25519_PRIV_HEADER = b"\x80\x26"

# The same test pyld and jsonld.js use for "absolute IRI" (a scheme, or "_" for blank nodes).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):\S*$")
# XML Schema dateTimeStamp (a dateTime that must carry a time zone): what VC Data Integrity
# ("Proofs", the ``created`` property) requires.
_DATE_TIME_STAMP = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$"
)

JsonObject = dict[str, Any]
KeyResolver = Callable[[str], Ed25519PublicKey | None]


# --------------------------------------------------------------------------------------------
# Document loader: vendored contexts only
# --------------------------------------------------------------------------------------------


class UnknownContext(ValueError):
    """A JSON-LD document referred to a context URL that is not vendored."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"JSON-LD context {url!r} is not vendored in lms/credentials/contexts; "
            "remote contexts are never fetched"
        )


class ContextLoader:
    """A pyld document loader that serves a fixed set of JSON-LD contexts and nothing else.

    Each loader keeps its own cache of processed contexts, so it never shares pyld's global
    cache (where a loader elsewhere in the process could have put a different document for
    the same URL).
    """

    def __init__(self, contexts: Mapping[str, JsonObject]) -> None:
        self._contexts = {url: copy.deepcopy(doc) for url, doc in contexts.items()}
        self._cache: LRUCache = LRUCache(maxsize=64)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._contexts)

    def with_contexts(self, extra: Mapping[str, JsonObject]) -> ContextLoader:
        """A new loader that also serves ``extra`` (e.g. a test vector's example context)."""
        return ContextLoader({**self._contexts, **extra})

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> JsonObject:
        try:
            document = self._contexts[url]
        except KeyError:
            raise UnknownContext(url) from None
        # "tag: static" lets pyld cache the processed context, in this loader's own cache.
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document),
                "tag": "static"}

    def pyld_options(self) -> JsonObject:
        """Options for pyld's expand/normalize.

        ``base: None`` keeps relative IRIs relative, as jsonld.js does. pyld 3.x otherwise
        resolves them against its placeholder ``http://example.org/base/`` (``DEFAULT_BASE_IRI``),
        so an ``id`` such as ``"42"`` would be signed as ``<http://example.org/base/42>`` while
        other implementations drop it; kept relative, :func:`undefined_terms` can report it.
        """
        return {"documentLoader": self,
                "contextResolver": ContextResolver(self._cache, self),
                "base": None}


@functools.cache
def vendored_contexts() -> dict[str, JsonObject]:
    """URL -> context document, from ``contexts/index.json``."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    return {url: json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
            for url, name in index.items()}


@functools.cache
def default_loader() -> ContextLoader:
    return ContextLoader(vendored_contexts())


def _raise_unknown_context(error: BaseException) -> None:
    """pyld wraps loader errors in JsonLdError; surface our own error if it is in the chain."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UnknownContext):
            raise UnknownContext(cause.url) from error
        cause = cause.__cause__ or cause.__context__


# --------------------------------------------------------------------------------------------
# Canonicalization and the undefined-term guard
# --------------------------------------------------------------------------------------------


def canonize(doc: JsonObject, *, loader: ContextLoader | None = None) -> str:
    """RDF Dataset Canonicalization (URDNA2015 = RDFC-1.0) of ``doc`` as N-Quads.

    pyld's ``normalize`` defaults to the older URGNA2012, so the algorithm is passed explicitly.
    """
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               **(loader or default_loader()).pyld_options()}
    try:
        return jsonld.normalize(doc, options)
    except jsonld.JsonLdError as error:
        _raise_unknown_context(error)
        raise


class _TrackingProcessor(jsonld.JsonLdProcessor):
    """JSON-LD expansion that records where a property was dropped.

    pyld (3.x) calls ``on_property_dropped`` with the expanded term only; to name the place in
    the document we keep a stack of the property names being expanded. ``_expand_object`` is
    internal to pyld (pinned to 3.x in pyproject.toml); tests cover this class.
    """

    def __init__(self) -> None:
        super().__init__(on_property_dropped=self._dropped)
        self._path: list[str] = []
        self.dropped: list[str] = []

    def _expand_object(self, active_ctx: Any, active_property: str | None, *args: Any,
                       **kwargs: Any) -> Any:
        pushed = active_property is not None
        if pushed:
            self._path.append(active_property)
        try:
            return super()._expand_object(active_ctx, active_property, *args, **kwargs)
        finally:
            if pushed:
                self._path.pop()

    def _dropped(self, term: str | None) -> None:
        name = term if term is not None else "(a term the context maps to null)"
        self.dropped.append(".".join([*self._path, name]))


def _relative_iris(expanded: Any) -> list[str]:
    """``@type`` and ``@id`` values of the expanded document that are not absolute IRIs.

    A ``type`` the contexts do not define (a typo such as ``"Achievment"``) and an ``id`` that is
    not a URL both expand to relative IRIs, which canonicalization then drops from the N-Quads.
    jsonld.js safe mode rejects them as "relative @type reference" / "relative @id reference".
    """
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
            return
        if not isinstance(value, dict):
            return
        if "@value" in value:
            datatype = value.get("@type")
            if isinstance(datatype, str) and datatype != "@json" and not _ABSOLUTE_IRI.match(datatype):
                found.append(f"@type {datatype!r} (datatype)")
            return
        node_id = value.get("@id")
        if isinstance(node_id, str) and not _ABSOLUTE_IRI.match(node_id):
            found.append(f"@id {node_id!r}")
        for node_type in value.get("@type", []):
            if isinstance(node_type, str) and not _ABSOLUTE_IRI.match(node_type):
                found.append(f"@type {node_type!r}")
        for key, item in value.items():
            if key in ("@id", "@type"):
                continue
            visit(list(item.values()) if key == "@reverse" and isinstance(item, dict) else item)

    visit(expanded)
    return found


def undefined_terms(doc: JsonObject, *, loader: ContextLoader | None = None) -> list[str]:
    """What canonicalization would silently lose from ``doc`` (no duplicates; empty when safe).

    * properties the active contexts do not define, as dotted paths of property names
      (array positions are not shown), e.g. ``credentialSubject.achievement.gradeX``;
    * ``type`` values the contexts do not define and ``id`` values that are not absolute IRIs,
      as ``@type 'Name'`` / ``@id 'value'``.

    Dropped properties come first, in pyld's traversal order (keys sorted), then IRIs.
    Uses pyld expansion with the same contexts as :func:`canonize`, so it sees exactly what the
    canonicalizer sees (type-scoped and property-scoped contexts included). This mirrors the
    checks of jsonld.js "safe mode" that matter for credentials ("invalid property",
    "relative @type reference", "relative @id reference").
    Raises :class:`UnknownContext` for a context that is not vendored.
    """
    return _checked_expansion(doc, loader)[1]


def _checked_expansion(doc: JsonObject, loader: ContextLoader | None) -> tuple[Any, list[str]]:
    """The expanded document and what :func:`undefined_terms` reports, from one expansion."""
    processor = _TrackingProcessor()
    try:
        expanded = processor.expand(doc, (loader or default_loader()).pyld_options())
    except jsonld.JsonLdError as error:
        _raise_unknown_context(error)
        raise
    return expanded, list(dict.fromkeys(processor.dropped + _relative_iris(expanded)))


class UndefinedTerms(ValueError):
    """The document uses terms its contexts do not define; it was not signed."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        super().__init__(
            "refusing to sign: these terms are not defined by the credential's JSON-LD contexts "
            "and would be left out of the signature: " + ", ".join(terms)
        )


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
    # The guard's expansions are canonicalised directly: expanding again would give the same
    # expanded form (no context is left in it), so the N-Quads are the same and half the JSON-LD
    # work is saved. The published test vectors, reproduced in the tests, check this.
    expanded_doc, terms = _checked_expansion(doc, loader)
    expanded_config, config_terms = _checked_expansion({**proof_options, "@context": doc["@context"]}, loader)
    terms += [f"proof: {t}" for t in config_terms]
    if terms:
        raise UndefinedTerms(terms)
    signature = private_key.sign(hashlib.sha256(canonize(expanded_config, loader=loader).encode("utf-8")).digest()
                                 + hashlib.sha256(canonize(expanded_doc, loader=loader).encode("utf-8")).digest())
    secured = copy.deepcopy(doc)
    secured["proof"] = {**proof_options,
                        "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return secured


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    errors: list[str] = field(default_factory=list)


def verify(doc: Any, resolve_key: KeyResolver, *, loader: ContextLoader | None = None) -> VerifyResult:
    """Check the embedded ``eddsa-rdfc-2022`` proof of ``doc`` (vc-di-eddsa "Verify Proof").

    ``resolve_key(verification_method)`` returns the Ed25519 public key the issuer publishes for
    that verification method (and authorises for ``assertionMethod``), or None if unknown.
    Only the proof is checked: validity dates and credential status are the caller's business.
    Never raises: every problem is reported in ``errors``, in plain English.
    """
    try:
        errors = _verify(doc, resolve_key, loader or default_loader())
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


def _verify(doc: Any, resolve_key: KeyResolver, loader: ContextLoader) -> list[str]:
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

    terms = undefined_terms(unsecured, loader=loader)
    if terms:
        errors.append("the credential uses terms its contexts do not define, which the signature "
                      "does not cover: " + ", ".join(terms))
    terms = undefined_terms({**proof_options, "@context": unsecured["@context"]}, loader=loader)
    if terms:
        errors.append("the proof uses terms the contexts do not define: " + ", ".join(terms))

    assert signature is not None
    try:
        public_key.verify(signature, signing_input(unsecured, proof_options, loader=loader))
    except InvalidSignature:
        errors.append("the signature does not match the content")
    return errors
