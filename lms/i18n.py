"""Language choice and bilingual content.

The interface language is, in order: an explicit choice from the switch in the header
(kept in the session and saved as a signed-in user's preference), the signed-in user's
saved preference, the browser's ``Accept-Language``, English.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

LANGUAGES = {"en": "English", "zh_Hans": "简体中文"}
# how content files name the two languages
CONTENT_LANG = {"en": "en", "zh_Hans": "zh"}


def select_locale() -> str:
    if not has_request_context():        # commands and background work: English
        return "en"
    user = current_user
    return _locale(lambda: user.locale if getattr(user, "is_authenticated", False) else None)


def _locale(saved) -> str:
    """The session's choice, else the saved preference (``saved()``, asked only when needed), else the browser."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    preference = saved()
    if preference in LANGUAGES:
        return preference
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-SG"], default="en")
    return "zh_Hans" if best and best.startswith("zh") else "en"


def content_lang_for(saved_locale: str | None) -> str:
    """The content language this request's page would be in, for a person whose saved interface language is
    ``saved_locale``: for a hot path that read the preference in its own query instead of loading the user."""
    return CONTENT_LANG.get(_locale(lambda: saved_locale), "en")


def current_lang() -> str:
    """'en' or 'zh': the content language matching the interface language."""
    return CONTENT_LANG.get(str(get_locale()), "en")


def html_lang() -> str:
    return "zh-Hans" if current_lang() == "zh" else "en"


@dataclass(frozen=True)
class Localized:
    text: str
    lang: str          # 'en' or 'zh' — the language actually shown
    fallback: bool     # True when the reader's language was missing


def pick(en: str | None, zh: str | None, lang: str | None = None) -> Localized:
    lang = lang or current_lang()
    first, second = (zh, en) if lang == "zh" else (en, zh)
    other = "en" if lang == "zh" else "zh"
    if first:
        return Localized(first, lang, False)
    if second:
        return Localized(second, other, True)
    return Localized("", lang, False)


def localized(obj, field: str, lang: str | None = None) -> Localized:
    return pick(getattr(obj, f"{field}_en", None), getattr(obj, f"{field}_zh", None), lang)


def tr_filter(obj, field: str) -> Markup | str:
    """Jinja: ``{{ course|tr('title') }}`` — the text in the reader's language, marked when it falls back."""
    loc = localized(obj, field)
    if loc.fallback:
        code = "zh-Hans" if loc.lang == "zh" else "en"
        return Markup('<span lang="{}">{}</span>').format(code, loc.text)
    return loc.text


def tr_dict(pair: dict | None) -> Markup | str:
    """Jinja: ``{{ band.label|trd }}`` — a ``{en: ..., zh: ...}`` pair from a content file, in the reader's language."""
    pair = pair or {}
    loc = pick(pair.get("en"), pair.get("zh"))
    if loc.fallback and loc.text:
        code = "zh-Hans" if loc.lang == "zh" else "en"
        return Markup('<span lang="{}">{}</span>').format(code, loc.text)
    return loc.text or ""


def moment(value) -> str:
    """A stored (UTC) time in the platform's time zone (``LMS_TIMEZONE``) with the offset, e.g. "2026-12-01 09:00
    UTC+08:00": for times a person must act by (an exam's opening, closing), where a reader in another zone must
    not guess. Other dates stay in UTC, as the certificates and their JSON give them."""
    if value is None:
        return ""
    local = value.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config.get("LMS_TIMEZONE", "UTC")))
    offset = local.utcoffset()
    if not offset:
        return f"{local:%Y-%m-%d %H:%M} UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{local:%Y-%m-%d %H:%M} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def at_line(line: int | None, reason: str) -> str:
    """An error in a text the person wrote or sent, with its line when known, in the reader's language."""
    return _("line %(n)d: %(reason)s", n=line, reason=reason) if line else reason
