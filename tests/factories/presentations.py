"""Verifiable presentations for tests: credentials wrapped by a holder, signed by a did:key Ed25519 key."""
from __future__ import annotations

from lms.credentials import signing

CREATED = "2026-12-01T09:00:00Z"


def holder_key():
    """(private key, did:key, verification method) of a new holder."""
    key = signing.generate_key()
    multibase = signing.public_multibase(key.public_key())
    return key, f"did:key:{multibase}", f"did:key:{multibase}#{multibase}"


def presentation(credentials: list[dict], *, sign: bool = True, holder: str | None = None, key=None) -> dict:
    """A VC Data Model 2.0 presentation of ``credentials``; signed (proof purpose authentication) by a new
    did:key holder unless ``sign`` is False, or by ``key`` for ``holder``."""
    new_key, did, method = holder_key()
    if holder is not None:
        did, method = holder, f"{holder}#{holder.removeprefix('did:key:')}"
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
          "holder": did, "verifiableCredential": credentials}
    if not sign:
        return vp
    return signing.sign(vp, key or new_key, method, CREATED, proof_purpose="authentication")
