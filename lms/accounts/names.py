"""What a person's name may contain: the rules behind the name fields of registration, the profile and the
administrator's user page. Functions return a cleaned name and a problem code; the forms make the words.

The certificate prints both names in its embedded font, so a character that font cannot draw is refused
here rather than printed as an empty box. A rare Han character outside the Basic Multilingual Plane (𠂇
U+20087) is accepted when the font has it: the certificate maps it to text as a UTF-16 surrogate pair, so it
copies out of the PDF as typed.
"""
from __future__ import annotations

import re
import unicodedata

from lms.fonts import name_font_lacks

MIDDLE_DOT = "\u00b7"
# look-alikes typed for the dot between the parts of a transcribed name (Katakana, hyphenation, bullet ...)
_DOT_LOOKALIKES = dict.fromkeys(map(ord, "\u30fb\uff65\u2027\u2022\u2219\u22c5\u0387"), MIDDLE_DOT)
_MARKUP = set("<>&\"`{}[]\\/=;")
_LATIN_PUNCTUATION = {" ", "-", "'", "\u2019"}


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.category(ch) in ("So", "Cs", "Co") or cp in (0x200D, 0xFE0F, 0xFE0E, 0x20E3)
            or 0x1F000 <= cp <= 0x1FAFF or 0xE0000 <= cp <= 0xE007F)


def _is_han(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def _is_latin_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and "LATIN" in unicodedata.name(ch, "")


def _common_problem(name: str) -> tuple[str, str] | None:
    """Markup, emoji and control characters: (code, offending characters)."""
    if found := [ch for ch in name if ch in _MARKUP]:
        return "markup", "".join(dict.fromkeys(found))
    if found := [ch for ch in name if _is_emoji(ch)]:
        return "emoji", "".join(dict.fromkeys(found))
    if found := [ch for ch in name if unicodedata.category(ch).startswith("C")]:
        return "control", ""
    return None


def clean_zh(value: str | None) -> str:
    """NFC, outer spaces dropped, look-alike dots made the middle dot."""
    return unicodedata.normalize("NFC", (value or "").strip()).translate(_DOT_LOOKALIKES)


def clean_latin(value: str | None) -> str:
    """NFKC (é typed as e + accent becomes é; full-width Ｌｉ typed with a Chinese input method becomes Li),
    runs of spaces made one."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value or "")).strip()


def problem_zh(name: str) -> tuple[str, str] | None:
    """None when ``name`` (cleaned) is a Chinese name the certificate can print, else (code, characters):
    markup, emoji, control, script (not Chinese characters), dots (misplaced middle dot), font."""
    if not name:
        return None
    if problem := _common_problem(name):
        return problem
    if found := [ch for ch in name if not (_is_han(ch) or ch == MIDDLE_DOT)]:
        return "script", "".join(dict.fromkeys(found))
    if name.startswith(MIDDLE_DOT) or name.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in name:
        return "dots", MIDDLE_DOT
    if lacking := name_font_lacks(name):
        return "font", "".join(lacking)
    return None


def problem_latin(name: str) -> tuple[str, str] | None:
    """As :func:`problem_zh` for the Latin-script name: letters (accented ones too), spaces, hyphens and
    apostrophes, at least one letter."""
    if not name:
        return None
    if problem := _common_problem(name):
        return problem
    found = [ch for i, ch in enumerate(name)
             if not (_is_latin_letter(ch) or ch in _LATIN_PUNCTUATION
                     or (unicodedata.category(ch) == "Mn" and i and _is_latin_letter(name[i - 1])))]
    if found:
        return "script", "".join(dict.fromkeys(found))
    if not any(_is_latin_letter(ch) for ch in name):
        return "script", ""
    if lacking := name_font_lacks(name):
        return "font", "".join(lacking)
    return None
