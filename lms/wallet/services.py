"""OpenID for Verifiable Credential Issuance 1.0 (final), pre-authorized code flow: the issuer's metadata, the
holder's credential offer, the token, nonce and credential endpoints' logic, and the wallet copies.

The flow: the holder makes an offer on their certificate's wallet page (a pre-authorized code and a PIN, shown
once, valid :data:`OFFER_MINUTES`); the wallet exchanges the code and the PIN at the token endpoint for an
access token (valid :data:`TOKEN_SECONDS`, single use); asks the nonce endpoint for a ``c_nonce``; and sends a
credential request with a proof JWT over that nonce, signed with its own key. The copy it receives is our
credential (whatever :func:`lms.credentials.services.build_document` builds, signed by
:func:`lms.credentials.signing.sign`) with ``credentialSubject.id`` = the wallet's DID, its own ``id``
(``urn:uuid:``) and the register credential's status entries.

Services return facts; :class:`OAuthError` carries the OAuth error code the endpoints answer.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from lms.accounts.models import User
from lms.accounts.services import audit
from lms.credentials import keys, signing
from lms.credentials import services as credentials
from lms.credentials.models import Credential
from lms.db import utcnow
from lms.extensions import db
from lms.urls import absolute_url
from lms.wallet.models import OfferState, WalletCredential, WalletOffer
from lms.wallet.proof import ALGORITHMS, ProofError, verify_proof

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION_ID = "OpenBadgeCredential"
OFFER_SCHEME = "openid-credential-offer://"
OFFER_MINUTES = 10           # a pre-authorized code is redeemed within this time, or never
TOKEN_SECONDS = 300          # an access token is used within this time, or never
NONCE_SECONDS = 300          # a c_nonce is used within this time
PIN_DIGITS = 6
WRONG_PINS = 5               # wrong PINs after which the offer is closed
MAX_CODE = 200               # characters of a pre-authorized code, an access token or a PIN sent to us


class OAuthError(Exception):
    """An OAuth / OID4VCI error response: ``code`` (e.g. invalid_grant), ``status`` and a description."""

    def __init__(self, code: str, description: str, status: int = 400):
        super().__init__(description)
        self.code, self.description, self.status = code, description, status


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issuer() -> str:
    return current_app.config["LMS_BASE_URL"]


# ---------------------------------------------------------------- metadata

def _display(lang_en: str, lang_zh: str, **extra) -> list[dict]:
    return [{"name": lang_en, "locale": "en", **extra.get("en", {})},
            {"name": lang_zh, "locale": "zh-Hans", **extra.get("zh", {})}]


def issuer_metadata() -> dict:
    """``/.well-known/openid-credential-issuer`` (OID4VCI 1.0 §12.2): one configuration, our Open Badges 3.0
    credential as ``ldp_vc`` secured with ``eddsa-rdfc-2022``, bound to a did:key or did:jwk by a jwt proof."""
    programme_en = "Technology Transfer Manager certificate"
    programme_zh = "技术经理人证书"
    return {
        "credential_issuer": issuer(),
        "credential_endpoint": absolute_url("oid4vci.credential"),
        "nonce_endpoint": absolute_url("oid4vci.nonce"),
        "display": _display("Technology Transfer Manager Certification Centre", "技术经理人认证中心"),
        "credential_configurations_supported": {CONFIGURATION_ID: {
            "format": "ldp_vc",
            "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
            "credential_signing_alg_values_supported": [signing.CRYPTOSUITE],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(ALGORITHMS)}},
            "credential_definition": {"@context": list(credentials.OB_CONTEXT),
                                      "type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "credential_metadata": {"display": _display(
                programme_en, programme_zh,
                en={"description": "Open Badges 3.0 credential, signed by the centre"},
                zh={"description": "由认证中心签名的 Open Badges 3.0 凭证"})},
        }},
    }


def authorization_server_metadata() -> dict:
    """``/.well-known/oauth-authorization-server`` (RFC 8414, with OID4VCI 1.0's pre-authorized grant)."""
    return {"issuer": issuer(), "token_endpoint": absolute_url("oid4vci.token"),
            "grant_types_supported": [PRE_AUTHORIZED_GRANT], "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["none"],
            "pre-authorized_grant_anonymous_access_supported": True}


# ---------------------------------------------------------------- the offer

@dataclass(frozen=True)
class Offer:
    """What the holder is shown once: the offer URI (for the QR code and the link), its PIN and expiry."""
    uri: str
    pin: str
    expires_at: datetime
    offer: dict


def in_force(cred: Credential) -> bool:
    return cred.signed_json is not None and credentials.status_of(cred) == "valid"


def _code_for(offer_id: str) -> str:
    """The pre-authorized code of an offer: derived from the offer's secret id with the app's secret key, so that
    the offer can be served by reference (a short QR code) while the database keeps only the code's hash."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"lms.wallet.offer:" + offer_id.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _offer_object(code: str) -> dict:
    return {"credential_issuer": issuer(), "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code, "tx_code": {
                "input_mode": "numeric", "length": PIN_DIGITS,
                "description": "PIN shown beside the QR code / 二维码旁显示的 PIN"}}}}


def make_offer(holder: User, cred: Credential) -> Offer:
    """A new offer of ``cred`` to a wallet; earlier offers of it that were not redeemed are closed. Only the
    holder's own credential, and only while it is in force. The offer is passed by reference
    (``credential_offer_uri``): the QR code stays small enough for any phone."""
    if cred.holder_id != holder.id or not in_force(cred):
        raise OAuthError("invalid_request", "only a valid credential of its holder is offered", 403)
    db.session.execute(update(WalletOffer).where(WalletOffer.credential_id == cred.id,
                                                 WalletOffer.state == OfferState.OFFERED)
                       .values(state=OfferState.CLOSED).execution_options(synchronize_session=False))
    offer_id = secrets.token_urlsafe(24)
    code = _code_for(offer_id)
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    row = WalletOffer(credential_id=cred.id, code_hash=_hash(code), tx_code_hash=_hash(code + pin),
                      expires_at=utcnow() + timedelta(minutes=OFFER_MINUTES))
    db.session.add(row)
    db.session.flush()
    audit(holder, "wallet.offer", cred.public_id, None)
    uri = OFFER_SCHEME + "?credential_offer_uri=" + quote(absolute_url("oid4vci.offer_object", offer_id=offer_id), safe="")
    return Offer(uri=uri, pin=pin, expires_at=row.expires_at, offer=_offer_object(code))


def offer_by_reference(offer_id: str) -> dict | None:
    """The credential offer served at its ``credential_offer_uri`` while it waits for a wallet, else None."""
    if not isinstance(offer_id, str) or not 16 <= len(offer_id) <= 64:
        return None
    code = _code_for(offer_id)
    row = db.session.scalar(select(WalletOffer).where(WalletOffer.code_hash == _hash(code)))
    if row is None or row.state != OfferState.OFFERED or row.expires_at <= utcnow():
        return None
    return _offer_object(code)


# ---------------------------------------------------------------- the token endpoint

def _bounded(value, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_CODE:
        raise OAuthError("invalid_request", f"{what} is missing or too long")
    return value


def redeem(form) -> dict:
    """The token response for a pre-authorized code and its PIN (OID4VCI 1.0 §6): the code is single use,
    short-lived and closed after :data:`WRONG_PINS` wrong PINs."""
    if form.get("grant_type") != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", "only the pre-authorized code grant is supported")
    code = _bounded(form.get("pre-authorized_code"), "pre-authorized_code")
    row = db.session.scalar(select(WalletOffer).where(WalletOffer.code_hash == _hash(code)).with_for_update())
    if row is None or row.state != OfferState.OFFERED or row.expires_at <= utcnow():
        raise OAuthError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    if row.tx_code_hash is not None:
        pin = _bounded(form.get("tx_code"), "tx_code")
        if not hmac.compare_digest(_hash(code + pin), row.tx_code_hash):
            row.wrong_codes += 1
            if row.wrong_codes >= WRONG_PINS:
                row.state = OfferState.CLOSED
            raise OAuthError("invalid_grant", "the transaction code (PIN) is wrong")
    token = secrets.token_urlsafe(32)
    row.state, row.token_hash = OfferState.REDEEMED, _hash(token)
    row.token_expires_at = utcnow() + timedelta(seconds=TOKEN_SECONDS)
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}


# ---------------------------------------------------------------- nonces

def _nonces() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms.wallet.c_nonce")


def new_nonce() -> dict:
    """A ``c_nonce`` (OID4VCI 1.0 §7): a random value signed with its time, so any app server checks it
    without shared state; replaying a proof needs the access token, which is single use."""
    return {"c_nonce": _nonces().dumps(secrets.token_hex(16)), "c_nonce_expires_in": NONCE_SECONDS}


def _check_nonce(nonce: str) -> None:
    try:
        _nonces().loads(nonce, max_age=NONCE_SECONDS)
    except SignatureExpired as error:
        raise OAuthError("invalid_nonce", "the c_nonce has expired: ask the nonce endpoint again") from error
    except BadSignature as error:
        raise OAuthError("invalid_nonce", "the c_nonce is not one of ours") from error


# ---------------------------------------------------------------- the credential endpoint

def _offer_for_token(authorization: str | None) -> WalletOffer:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        raise OAuthError("invalid_token", "a Bearer access token is required", 401)
    token = token.strip()
    if not token or len(token) > MAX_CODE:
        raise OAuthError("invalid_token", "the access token is missing or too long", 401)
    row = db.session.scalar(select(WalletOffer).where(WalletOffer.token_hash == _hash(token)).with_for_update())
    if row is None or row.state != OfferState.REDEEMED or row.token_expires_at <= utcnow():
        raise OAuthError("invalid_token", "the access token is unknown, used or expired", 401)
    return row


def _the_proof(body) -> str:
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "the request is not a JSON object")
    if body.get("credential_configuration_id") != CONFIGURATION_ID:
        raise OAuthError("unknown_credential_configuration", f"the configuration offered is {CONFIGURATION_ID}")
    proofs = body.get("proofs")
    jwts = proofs.get("jwt") if isinstance(proofs, dict) else None
    if not isinstance(jwts, list) or len(jwts) != 1:
        raise OAuthError("invalid_proof", "send exactly one proof in proofs.jwt")
    return jwts[0]


def issue_to_wallet(authorization: str | None, body) -> dict:
    """The credential response (OID4VCI 1.0 §8.3) for a credential request with a valid access token and
    proof: a new wallet copy, signed and stored once."""
    offer = _offer_for_token(authorization)
    try:
        holder = verify_proof(_the_proof(body), issuer(), int(time.time()))
    except ProofError as error:
        raise OAuthError(error.code, str(error)) from error
    _check_nonce(holder.nonce)
    cred = offer.credential
    if not in_force(cred):
        raise OAuthError("credential_request_denied", "the credential is no longer in force")
    copy = _sign_copy(cred, holder.did)
    offer.state = OfferState.ISSUED
    row = WalletCredential(credential_id=cred.id, offer_id=offer.id, document_id=copy["id"],
                           subject_did=holder.did, signed_json=json.dumps(copy, ensure_ascii=False, indent=2))
    db.session.add(row)
    db.session.flush()
    audit(cred.holder, "wallet.issue", cred.public_id, holder.did[:200])
    return {"credentials": [{"credential": copy}]}


def _sign_copy(cred: Credential, did: str) -> dict:
    now = utcnow().replace(microsecond=0)
    with db.session.no_autoflush:
        doc = credentials.build_document(cred, now)
        doc["id"] = f"urn:uuid:{uuid.uuid4()}"
        doc["credentialSubject"]["id"] = did
        kid, key = keys.active_key()
        return signing.sign(doc, key, keys.verification_method(kid), credentials.stamp(now))


# ---------------------------------------------------------------- the holder's copies; the verifier's question

def copies_of(cred: Credential) -> list[WalletCredential]:
    return list(db.session.scalars(select(WalletCredential).where(WalletCredential.credential_id == cred.id)
                                   .order_by(WalletCredential.issued_at.desc())))


def stored_copy(document_id, **_payload):
    """signals.credential_copy: (the register's credential, the copy's stored signed JSON) of a wallet copy
    whose ``id`` is ``document_id``, or None."""
    if not isinstance(document_id, str) or not document_id.startswith("urn:uuid:") or len(document_id) > 100:
        return None
    row = db.session.scalar(select(WalletCredential).where(WalletCredential.document_id == document_id))
    return (row.credential, row.signed_json) if row is not None else None
