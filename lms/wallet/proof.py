"""The wallet's proof of possession in a credential request (OpenID4VCI 1.0, appendix "Proof Types", ``jwt``).

A JWT with header ``typ: openid4vci-proof+jwt``, ``alg`` ES256 or EdDSA, and the wallet's key either as a DID
URL in ``kid`` (did:key or did:jwk) or as a public ``jwk``; claims ``aud`` (the credential issuer), ``iat`` and
``nonce`` (a ``c_nonce`` from our nonce endpoint). Verified with joserfc. The wallet's DID, which becomes the
copy's ``credentialSubject.id``, is the DID of the ``kid``, or the did:jwk of the ``jwk``.

Pure functions: no Flask, no database.
"""
from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

PROOF_TYPE = "openid4vci-proof+jwt"
ALGORITHMS = ("ES256", "EdDSA")
MAX_JWT = 8_000           # characters of a proof JWT
MAX_DID = 1_000           # characters of a wallet's DID
IAT_SKEW = 300            # seconds a proof's iat may lie from now, either way
_ED25519 = b"\xed\x01"    # multicodec ed25519-pub
_P256 = b"\x80\x24"       # multicodec p256-pub (compressed point)


class ProofError(ValueError):
    """Why a proof is refused: ``code`` is the OAuth error (invalid_proof or invalid_nonce)."""

    def __init__(self, message: str, code: str = "invalid_proof"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Holder:
    did: str             # the wallet's DID: credentialSubject.id of its copy
    nonce: str           # the c_nonce the proof carries (its freshness is the caller's to check)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_jwk(jwk: dict) -> dict:
    """The public members of an Ed25519 or P-256 JWK; ProofError for anything else (a private key too)."""
    if not isinstance(jwk, dict) or "d" in jwk:
        raise ProofError("the proof's key must be a public JWK")
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and isinstance(jwk.get("x"), str):
        return {"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256" and all(isinstance(jwk.get(k), str) for k in "xy"):
        return {"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    raise ProofError("the proof's key is neither Ed25519 nor P-256")


def did_jwk(jwk: dict) -> str:
    return "did:jwk:" + _b64url(json.dumps(_public_jwk(jwk), separators=(",", ":")).encode())


def _did_key_jwk(method_id: str) -> dict:
    value = method_id[len("did:key:"):]
    try:
        raw = base58.b58decode(value[1:]) if value.startswith("z") else b""
    except ValueError:
        raw = b""
    if raw[:2] == _ED25519 and len(raw) == 34:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw[2:])}
    if raw[:2] == _P256 and len(raw) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:]).public_numbers()
        except ValueError as error:
            raise ProofError("the did:key is not a P-256 point") from error
        return {"kty": "EC", "crv": "P-256", "x": _b64url(point.x.to_bytes(32, "big")),
                "y": _b64url(point.y.to_bytes(32, "big"))}
    raise ProofError("the did:key is not an Ed25519 or P-256 key")


def key_of_did(did_url: str) -> tuple[str, dict]:
    """(the DID, its public JWK) of a did:key or did:jwk DID URL."""
    if not isinstance(did_url, str) or len(did_url) > MAX_DID:
        raise ProofError("the proof's kid is not a DID of at most 1000 characters")
    did = did_url.split("#", 1)[0]
    if did.startswith("did:key:"):
        return did, _did_key_jwk(did)
    if did.startswith("did:jwk:"):
        try:
            jwk = json.loads(_unb64url(did[len("did:jwk:"):]))
        except ValueError as error:
            raise ProofError("the did:jwk does not hold a JWK") from error
        return did, _public_jwk(jwk)
    raise ProofError("the proof's kid must be a did:key or did:jwk")


def _unverified_header(token: str) -> dict:
    try:
        header = json.loads(_unb64url(token.split(".", 1)[0]))
    except ValueError as error:
        raise ProofError("the proof is not a JWT") from error
    if not isinstance(header, dict):
        raise ProofError("the proof is not a JWT")
    return header


def _holder_key(header: dict) -> tuple[str, dict]:
    if header.get("typ") != PROOF_TYPE:
        raise ProofError(f"the proof's typ is not {PROOF_TYPE}")
    if header.get("alg") not in ALGORITHMS:
        raise ProofError("the proof's alg is not ES256 or EdDSA")
    if ("kid" in header) == ("jwk" in header):
        raise ProofError("the proof names its key either as a DID in kid or as a jwk")
    if "kid" in header:
        did, jwk = key_of_did(header["kid"])
    else:
        jwk = _public_jwk(header["jwk"])
        did = did_jwk(jwk)
    if len(did) > MAX_DID:
        raise ProofError("the wallet's DID is longer than 1000 characters")
    return did, jwk


def _checked_claims(token: str, header: dict, jwk: dict) -> dict:
    if (header["alg"] == "EdDSA") != (jwk["kty"] == "OKP"):
        raise ProofError("the proof's alg does not fit its key")
    try:
        key = OKPKey.import_key(jwk) if jwk["kty"] == "OKP" else ECKey.import_key(jwk)
    except (JoseError, ValueError, TypeError) as error:
        raise ProofError("the proof's key is not a valid public key") from error
    try:
        with warnings.catch_warnings():            # joserfc marks "EdDSA" deprecated (RFC 9864); wallets still send it
            warnings.simplefilter("ignore")
            decoded = jwt.decode(token, key, algorithms=[header["alg"]])
    except (JoseError, ValueError, TypeError) as error:
        raise ProofError("the proof's signature does not verify") from error
    if not isinstance(decoded.claims, dict):
        raise ProofError("the proof's claims are not a JSON object")
    return decoded.claims


def verify_proof(token, issuer: str, now: int) -> Holder:
    """The wallet's DID and the proof's nonce, once the proof JWT is checked (its type, algorithm, key,
    signature, ``aud`` = ``issuer`` and ``iat`` within :data:`IAT_SKEW` of ``now``); ProofError otherwise."""
    if not isinstance(token, str) or not token or len(token) > MAX_JWT:
        raise ProofError("the proof is not a JWT of at most 8000 characters")
    header = _unverified_header(token)
    did, jwk = _holder_key(header)
    claims = _checked_claims(token, header, jwk)
    audience = claims.get("aud")
    if audience != issuer and not (isinstance(audience, list) and issuer in audience):
        raise ProofError("the proof's aud is not this credential issuer")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or abs(now - iat) > IAT_SKEW:
        raise ProofError("the proof's iat is missing or not recent")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProofError("the proof carries no nonce", "invalid_nonce")
    return Holder(did=did, nonce=nonce)
