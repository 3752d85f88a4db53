"""A partner body's credentials, signed in the test: an Ed25519 key (eddsa-rdfc-2022) or a P-256 / RSA key
(VC-JWT), an OB 3.0 AchievementCredential, its status list credential, and the partner registered with rules."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from lms.credentials import signing, statuslist

OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
PARTNER_DID = "did:web:partner.example.org"
METHOD = f"{PARTNER_DID}#key-1"
ACHIEVEMENT = "https://partner.example.org/achievements/licensing-101"
LIST_URL = "https://partner.example.org/status/1"


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def credential(issuer: str = PARTNER_DID, achievement: str = ACHIEVEMENT, days_valid: int | None = 365,
               status_index: int | None = None, name: str = "Licensing Fundamentals",
               purpose: str = "revocation") -> dict:
    """An unsigned OB 3.0 credential of the partner for a person (valid from yesterday)."""
    now = datetime.now(UTC)
    doc = {
        "@context": OB_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Partner Body"},
        "validFrom": _stamp(now - timedelta(days=1)),
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": "Liu Yang"}],
            "achievement": {"id": achievement, "type": ["Achievement"], "name": name,
                            "achievementType": "Course", "description": "Licensing basics.",
                            "criteria": {"narrative": "Passed the course."},
                            "alignment": [{"type": ["Alignment"], "targetName": "Licensing",
                                           "targetUrl": "https://partner.example.org/framework/LIC",
                                           "targetCode": "LIC"}]},
        },
    }
    if days_valid is not None:
        doc["validUntil"] = _stamp(now + timedelta(days=days_valid))
    if status_index is not None:
        doc["credentialStatus"] = statuslist.entry(LIST_URL, purpose, status_index)
    return doc


def signed(doc: dict, key, method: str = METHOD) -> dict:
    return signing.sign(doc, key, method, _stamp(datetime.now(UTC) - timedelta(hours=1)))


def status_list(key, revoked: tuple[int, ...] = (), method: str = METHOD, purpose: str = "revocation") -> dict:
    doc = statuslist.status_list_credential(LIST_URL, PARTNER_DID, purpose, statuslist.encode(set(revoked)),
                                            _stamp(datetime.now(UTC) - timedelta(hours=2)))
    return signed(doc, key, method)


def vc_jwt(doc: dict, key, kid: str = f"{PARTNER_DID}#jwt-1", alg: str = "ES256") -> str:
    """The OB 3.0 VC-JWT of ``doc``: the credential as the payload, with iss, jti, nbf and exp."""
    from joserfc import jwt
    claims = {**doc, "iss": doc["issuer"]["id"], "jti": doc["id"],
              "nbf": int(datetime.fromisoformat(doc["validFrom"]).timestamp())}
    if "validUntil" in doc:
        claims["exp"] = int(datetime.fromisoformat(doc["validUntil"]).timestamp())
    return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key)


def jwk_key(kind: str = "EC"):
    from joserfc.jwk import ECKey, RSAKey
    return ECKey.generate_key("P-256") if kind == "EC" else RSAKey.generate_key(2048)


def public_jwk(key) -> str:
    return json.dumps(key.as_dict(private=False))


def register_partner(admin, key, *, rules=(("achievement_id", ACHIEVEMENT, "course", "f1-system-policy-ethics", None),),
                     jwt_key=None):
    """The partner registered by ``admin`` with its DID, ``key`` (Ed25519) and the ``rules``
    ((match kind, value, grant kind, target, level), ...)."""
    from lms.recognition import registry
    partner = registry.save_partner(admin, None, "Partner Body", "合作机构", "GB", "https://partner.example.org")
    registry.add_issuer(admin, partner, PARTNER_DID)
    registry.add_key(admin, partner, METHOD, signing.public_multibase(key.public_key()))
    if jwt_key is not None:
        registry.add_key(admin, partner, f"{PARTNER_DID}#jwt-1", public_jwk(jwt_key))
    for match_kind, value, grant_kind, target, level in rules:
        registry.add_rule(admin, partner, match_kind, value, grant_kind, target, level, None)
    return partner
