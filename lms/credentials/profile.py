"""The issuer's Open Badges 3.0 ``Profile`` and the programmes' badge images.

Issue 18 splits this between two engineers: the credential builder embeds :func:`issuer_profile` (as
``issuer`` and as the achievement's ``creator``) and :func:`badge_image_url`; the public pages (the issuer's
page at its own URL, the badge images themselves, the DID document's link) are built here.

Languages. OB 3.0's JSON schema types a Profile's ``name`` and ``description`` as one string, so the Profile
names the issuer in English in ``name`` (what every wallet and verifier shows), gives its Chinese name as an
``otherIdentifier`` entry of the schema's own ``identifierType`` ``name``, and writes ``description`` in both
languages. The issuer's page (``/issuer``) shows each reader the name in their language.
"""
from __future__ import annotations

from flask import current_app

from lms.credentials import keys
from lms.urls import absolute_url

# the defaults of LMS_ISSUER_NAME_EN / LMS_ISSUER_NAME_ZH
ISSUER_NAME = "TTM Academy — Technology Transfer Manager Certification"
ISSUER_NAME_ZH = "技术经理人学院 · 技术经理人资格认证"
IMAGE_EXTS = ("svg", "png")
OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
DESCRIPTION = {
    "en": "Trains and certifies technology-transfer managers on a published competency framework (Foundation, "
          "Practitioner, Expert), and issues Open Badges 3.0 certificates signed with the key in its DID document.",
    "zh": "依据公开的能力框架（初级、中级、高级）培训并认证技术经理人，签发以其 DID 文档中的密钥签名的 "
          "Open Badges 3.0 证书。",
}


def issuer_names() -> dict[str, str]:
    """The issuer's name by language (``en``, ``zh``), from the settings."""
    cfg = current_app.config
    return {"en": cfg.get("ISSUER_NAME_EN") or ISSUER_NAME, "zh": cfg.get("ISSUER_NAME_ZH") or ISSUER_NAME_ZH}


def issuer_name(locale: str | None) -> str:
    """The issuer's name in a reader's language (Chinese for any ``zh`` locale, English otherwise)."""
    return issuer_names()["zh" if (locale or "").startswith("zh") else "en"]


def issuer_email() -> str | None:
    """The issuer's contact address: LMS_ISSUER_EMAIL, else the sender of the platform's mail (unless that is
    the placeholder of an unconfigured machine)."""
    cfg = current_app.config
    email = cfg.get("ISSUER_EMAIL") or cfg.get("MAIL_SENDER") or ""
    return email if "@" in email and not email.endswith("@localhost") else None


def issuer_url() -> str:
    """The issuer's home page: LMS_ISSUER_URL, else the platform's public address."""
    return current_app.config.get("ISSUER_URL") or current_app.config["LMS_BASE_URL"]


def issuer_profile() -> dict:
    """The issuer as an OB 3.0 ``Profile`` (its ``id`` is the did:web that signs, as a proof's controller must
    equal it); valid against the official schema's ``Profile``."""
    names = issuer_names()
    profile = {"id": keys.did(), "type": ["Profile"], "name": names["en"], "url": issuer_url(),
               "description": f"{DESCRIPTION['en']} / {names['zh']}：{DESCRIPTION['zh']}",
               "image": {"id": logo_url("png"), "type": "Image", "caption": f"{names['en']} · {names['zh']}"},
               "otherIdentifier": [{"type": "IdentifierEntry", "identifier": names["zh"], "identifierType": "name"},
                                   {"type": "IdentifierEntry", "identifier": absolute_url("credentials.issuer"),
                                    "identifierType": "identifier"}]}
    email = issuer_email()
    if email:
        profile["email"] = email
    return profile


def issuer_document() -> dict:
    """The Profile as the JSON-LD document ``/issuer`` answers (with its contexts)."""
    return {"@context": OB_CONTEXT, **issuer_profile()}


def badge_image_url(programme_key: str, ext: str = "png") -> str:
    """The stable address of a programme's badge image (``svg`` or ``png``)."""
    return absolute_url("credentials.badge_image", key=programme_key, ext=ext)


def logo_url(ext: str = "png") -> str:
    """The stable address of the issuer's logo (``svg`` or ``png``)."""
    return absolute_url("credentials.issuer_logo", ext=ext)
