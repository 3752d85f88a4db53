"""The issuer's signing keys and its did:web identity.

Keys live in ``<instance>/keys/<key-id>.pem`` (PKCS#8, mode 0600), or the active key comes from the
environment (``LMS_SIGNING_KEY``, a PEM). ``lms keys create`` adds a key and makes it the active one;
older keys stay in the DID document so that credentials they signed still verify.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from lms.credentials import signing
from lms.urls import absolute_url


class NoSigningKey(RuntimeError):
    pass


def keys_dir() -> Path:
    return Path(current_app.config["LMS_KEYS_DIR"])


def did() -> str:
    """did:web of the base URL: the host (a port written %3A) and any path, colons for slashes."""
    parts = urlsplit(current_app.config["LMS_BASE_URL"])
    host = parts.netloc.replace(":", "%3A")
    path = ":".join(p for p in parts.path.split("/") if p)
    return f"did:web:{host}" + (f":{path}" if path else "")


def create_key() -> str:
    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    kid = "key-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    fd = os.open(folder / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(signing.private_key_to_pem(signing.generate_key()))
    return kid


def _file_keys() -> dict[str, Ed25519PrivateKey]:
    folder = keys_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: signing.private_key_from_pem(p.read_bytes()) for p in sorted(folder.glob("key-*.pem"))}


def all_keys() -> dict[str, Ed25519PrivateKey]:
    """Every key, oldest first; the last is the active one."""
    keys = _file_keys()
    env = current_app.config.get("LMS_SIGNING_KEY")
    if env:
        keys["key-env"] = signing.private_key_from_pem(env.encode())
    return keys


def active_key() -> tuple[str, Ed25519PrivateKey]:
    keys = all_keys()
    if not keys:
        raise NoSigningKey("no signing key: run `lms keys create` (or set LMS_SIGNING_KEY)")
    kid = list(keys)[-1]
    return kid, keys[kid]


def public_keys() -> dict[str, Ed25519PublicKey]:
    return {kid: k.public_key() for kid, k in all_keys().items()}


def verification_method(kid: str) -> str:
    return f"{did()}#{kid}"


def resolve(method: str) -> Ed25519PublicKey | None:
    """The public key for a verification method of this issuer, or None."""
    prefix = did() + "#"
    if not isinstance(method, str) or not method.startswith(prefix):
        return None
    return public_keys().get(method[len(prefix):])


def did_document() -> dict:
    me = did()
    methods = [{"id": f"{me}#{kid}", "type": "Multikey", "controller": me,
                "publicKeyMultibase": signing.public_multibase(pub)} for kid, pub in public_keys().items()]
    # alsoKnownAs (DID Core §5.1.3): the issuer's Open Badges Profile at /issuer identifies the same subject
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": me,
            "alsoKnownAs": [absolute_url("credentials.issuer")],
            "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}
