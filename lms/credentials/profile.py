"""The issuer's Open Badges 3.0 ``Profile`` and the programmes' badge images.

Issue 18 splits this between two engineers: the credential builder embeds :func:`issuer_profile` (as
``issuer`` and as the achievement's ``creator``) and :func:`badge_image_url`; the public pages (the issuer's
page at its own URL, the badge images themselves, the DID document's link) are built here.
"""
from __future__ import annotations

from flask import current_app

from lms.credentials import keys

ISSUER_NAME = "TTM Academy — Technology Transfer Manager Certification"


def issuer_profile() -> dict:
    """The issuer as an OB 3.0 ``Profile`` (its ``id`` is the did:web that signs)."""
    return {"id": keys.did(), "type": ["Profile"], "name": ISSUER_NAME, "url": current_app.config["LMS_BASE_URL"]}


def badge_image_url(programme_key: str, ext: str = "png") -> str:
    """The address of a programme's badge image."""
    return f"{current_app.config['LMS_BASE_URL']}/programmes/{programme_key}/badge.{ext}"
