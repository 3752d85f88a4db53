"""The issuer's public face: its Profile page (HTML or JSON-LD), its logo, and the programmes' badge images.

Routes on the credentials blueprint (registered by importing this module from :mod:`lms.credentials.views`).
Images are drawn on first request and kept in memory by content version: a URL carrying the current version
(``?v=``, as the pages link them) is cached by browsers for a year as immutable; the stable URL that signed
credentials carry is cached for a day and revalidated by its ETag.
"""
from __future__ import annotations

import functools
import hashlib
import json

from flask import Response, abort, render_template, request, url_for
from sqlalchemy import select

from lms.core.negotiation import JSON_LD, wants_json_ld
from lms.credentials import badges, keys, profile
from lms.credentials.models import Programme
from lms.credentials.views import bp
from lms.extensions import db, limiter
from lms.i18n import current_lang

DESIGN = "1"                 # bump when the drawings change: every image gets a new version
MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=86400"


def image_version(*parts: str) -> str:
    """The content version of an image drawn from ``parts``."""
    return hashlib.sha256("\x1f".join((DESIGN, *parts)).encode()).hexdigest()[:12]


def programme_badge_version(prog: Programme) -> str:
    return image_version(prog.level, prog.title_en or "", prog.title_zh or "")


def logo_version() -> str:
    names = profile.issuer_names()
    return image_version("logo", names["en"], names["zh"])


@functools.lru_cache(maxsize=32)
def _programme_image(version: str, ext: str, level: str, title_en: str, title_zh: str) -> bytes:
    shapes = badges.programme_badge(level, title_en, title_zh)
    return badges.to_svg(shapes, f"{title_en} · {title_zh}") if ext == "svg" else badges.to_png(shapes)


@functools.lru_cache(maxsize=8)
def _logo_image(version: str, ext: str, name_en: str, name_zh: str) -> bytes:
    shapes = badges.issuer_logo(name_en, name_zh)
    return badges.to_svg(shapes, f"{name_en} · {name_zh}") if ext == "svg" else badges.to_png(shapes)


def _image(data: bytes, ext: str, version: str) -> Response:
    resp = Response(data, mimetype=MIMETYPES[ext])
    resp.set_etag(version)
    resp.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == version else REVALIDATE
    resp.headers["Access-Control-Allow-Origin"] = "*"          # wallets and previews fetch them from anywhere
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if ext == "svg":      # an SVG opened on its own runs nothing and loads nothing
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp.make_conditional(request)


@bp.get("/programmes/<key>/badge.<any(svg, png):ext>")
@limiter.exempt           # a cached image; the first drawing of each is kept in memory
def badge_image(key: str, ext: str):
    prog = db.session.scalar(select(Programme).where(Programme.key == key))
    if prog is None:
        abort(404)
    version = programme_badge_version(prog)
    data = _programme_image(version, ext, prog.level, prog.title_en or "", prog.title_zh or "")
    return _image(data, ext, version)


@bp.get("/issuer/logo.<any(svg, png):ext>")
@limiter.exempt
def issuer_logo(ext: str):
    names, version = profile.issuer_names(), logo_version()
    return _image(_logo_image(version, ext, names["en"], names["zh"]), ext, version)


@bp.get("/issuer")
def issuer():
    if wants_json_ld():
        body = json.dumps(profile.issuer_document(), ensure_ascii=False, indent=2)
        resp = Response(body, mimetype=JSON_LD if request.accept_mimetypes[JSON_LD] else "application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Cache-Control"] = "public, max-age=300"
        resp.vary.add("Accept")
        return resp
    progs = sorted(db.session.scalars(select(Programme)), key=lambda p: ("FPE".find(p.level), p.key))
    resp = Response(render_template(
        "credentials/issuer.html", profile=profile.issuer_profile(), names=profile.issuer_names(),
        did=keys.did(), description=profile.DESCRIPTION, progs=progs, logo_v=logo_version(),
        badge_v={p.key: programme_badge_version(p) for p in progs}))
    resp.vary.add("Accept")
    return resp


@bp.app_template_global()
def our_issuer() -> dict:
    """The issuer as pages show it: its DID, its name in the reader's language, its logo and its page."""
    return {"did": keys.did(), "name": profile.issuer_names()[current_lang()],
            "logo": url_for("credentials.issuer_logo", ext="svg", v=logo_version()),
            "page": url_for("credentials.issuer")}
