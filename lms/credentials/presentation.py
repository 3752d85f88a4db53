"""W3C Verifiable Presentations (VC Data Model 2.0, "Verifiable Presentations"): the credentials a holder sends
wrapped in a presentation, and what can be said about the presentation itself.

Used by ``/verify``, the employers' ``/api/v1/verify`` and partner-credential uploads: each credential inside is
then checked as a bare credential would be (:func:`lms.credentials.verification.verify_document`).

* :func:`credentials_in`: a bare credential -> ``[it]``; a presentation -> the credentials of its
  ``verifiableCredential`` (one object or a list), at most :data:`MAX_CREDENTIALS`; anything else -> ``[]``.
  An ``EnvelopedVerifiableCredential`` (a JWT or other envelope) is not unwrapped here.
* :func:`presentation_facts`: the holder, whether the presentation carries a proof, and whether that proof
  verifies, which is decided only when the holder is a ``did:key`` Ed25519 key that signed with
  ``eddsa-rdfc-2022`` (proof purpose ``authentication``). The key is read from the DID itself, so no network is
  used; a holder of another DID method is reported, not checked. A verified proof says the holder's key signed
  these contents; without a challenge of ours it does not say when (a replay is possible), and it does not make
  any credential inside authentic: each is checked on its own.

The whole presentation is held to :data:`lms.credentials.signing.LIMITS` before its proof is canonicalised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lms.credentials import signing

MAX_CREDENTIALS = 5                 # credentials checked per presentation
PRESENTATION_PROOF_PURPOSE = "authentication"
DID_KEY_PREFIX = "did:key:z6Mk"     # an Ed25519 public key (multicodec 0xed01, base58btc)


@dataclass(frozen=True)
class PresentationFacts:
    """What a presentation says about itself. ``proof_verified`` is None when not decided (no proof, or a holder
    that is not a did:key); ``count`` is how many credentials it holds, of which at most ``MAX_CREDENTIALS`` are
    checked (``more`` says some were left)."""
    holder: str | None
    has_proof: bool
    proof_verified: bool | None
    count: int
    more: bool = False
    errors: list[str] = field(default_factory=list)


def _types(document: Any) -> list:
    types = document.get("type") if isinstance(document, dict) else None
    return types if isinstance(types, list) else [types]


def is_presentation(document: Any) -> bool:
    return "VerifiablePresentation" in _types(document)


def _held(document: dict) -> list:
    held = document.get("verifiableCredential")
    return [c for c in (held if isinstance(held, list) else [held]) if c is not None]


def credentials_in(document: Any) -> list[dict]:
    """The credentials to check in a document someone sent: itself, or those a presentation holds (at most
    :data:`MAX_CREDENTIALS`, in order). Entries that are not JSON objects, and enveloped ones, are left out."""
    if not isinstance(document, dict):
        return []
    if not is_presentation(document):
        return [document]
    inside = [c for c in _held(document) if isinstance(c, dict) and "EnvelopedVerifiableCredential" not in _types(c)]
    return inside[:MAX_CREDENTIALS]


def _holder(document: dict) -> str | None:
    holder = document.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    return holder[:300] if isinstance(holder, str) and holder else None


def did_key_resolver(holder: str):
    """resolve_key for a presentation signed by ``holder``, a did:key: only ``did:key:z6Mk…#z6Mk…`` of that
    very key resolves, to the key the DID itself encodes."""
    def resolve(method: str):
        did, _, fragment = method.partition("#")
        if did != holder or fragment != did[len("did:key:"):]:
            return None
        return signing.public_key_from_multibase(fragment)
    return resolve


def _proof_check(document: dict, holder: str | None) -> tuple[bool | None, list[str]]:
    if holder is None or not holder.startswith(DID_KEY_PREFIX):
        return None, []
    try:
        signing.check_bounds(document)
    except signing.TooComplex as error:
        return None, [str(error)]
    result = signing.verify(document, did_key_resolver(holder), proof_purpose=PRESENTATION_PROOF_PURPOSE)
    if result.too_complex is not None:
        return None, result.errors
    return result.ok, result.errors


def presentation_facts(document: Any) -> PresentationFacts | None:
    """What a presentation says about itself (None for anything that is not a presentation)."""
    if not isinstance(document, dict) or not is_presentation(document):
        return None
    holder = _holder(document)
    has_proof = document.get("proof") is not None
    verified, errors = _proof_check(document, holder) if has_proof else (None, [])
    count = len(_held(document))
    return PresentationFacts(holder=holder, has_proof=has_proof, proof_verified=verified, count=count,
                             more=count > MAX_CREDENTIALS, errors=errors)
