"""A demo partner body for `lms demo`: registered with its key and one rule, and a credential it issued to the
demo trainee, written to the instance folder for the trainee to submit at /recognition (idempotent: a partner
already registered is left as it is)."""
from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lms.credentials import signing
from lms.db import utcnow
from lms.extensions import db
from lms.recognition import registry
from lms.recognition.models import PartnerIssuer

PARTNER_DID = "did:web:partner.example.org"
METHOD = f"{PARTNER_DID}#key-1"
ACHIEVEMENT = "https://partner.example.org/achievements/ip-licensing-fundamentals"
OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
COURSE = "f1-system-policy-ethics"


def _stamp(when) -> str:
    return when.replace(microsecond=0).isoformat() + "Z"


def _credential(email: str, name: str) -> dict:
    now, salt = utcnow(), secrets.token_hex(8)
    return {
        "@context": OB_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": PARTNER_DID, "type": ["Profile"], "name": "Example Partner Institute (demo)"},
        "validFrom": _stamp(now - timedelta(days=30)),
        "validUntil": _stamp(now + timedelta(days=3 * 365)),
        "name": "IP and Licensing Fundamentals",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": salt,
                            "identityHash": "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()},
                           {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}],
            "achievement": {"id": ACHIEVEMENT, "type": ["Achievement"], "achievementType": "Course",
                            "name": "IP and Licensing Fundamentals",
                            "description": "A 12-hour course on the technology-transfer system, IP law and "
                                           "licensing ethics (a demo partner's course).",
                            "criteria": {"narrative": "Attended the course and passed its final exam."}},
        },
    }


def create_demo_partner(admin, trainee, instance_path: str) -> list[str]:
    """Register the demo partner (it exempts from course F1) and write its credential for ``trainee``."""
    if db.session.scalar(select(PartnerIssuer.id).where(PartnerIssuer.identifier == PARTNER_DID)):
        return ["demo partner already registered"]
    key = signing.generate_key()
    partner = registry.save_partner(admin, None, "Example Partner Institute (demo)", "示例合作机构（演示）", "GB",
                                    "https://partner.example.org")
    registry.add_issuer(admin, partner, PARTNER_DID)
    registry.add_key(admin, partner, METHOD, signing.public_multibase(key.public_key()))
    registry.add_rule(admin, partner, "achievement_id", ACHIEVEMENT, "course", COURSE, None, None)
    signed = signing.sign(_credential(trainee.email, trainee.name_latin or trainee.email), key, METHOD,
                          _stamp(utcnow() - timedelta(days=30)))
    path = Path(instance_path) / "demo" / "partner-credential.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(signed, ensure_ascii=False, indent=2), encoding="utf-8")
    return [f"demo partner registered; {trainee.email} can submit its credential at /recognition: {path}"]
