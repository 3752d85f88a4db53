"""The TrueType font the certificate PDF embeds, and the question whether it can draw a given text.

Kept out of ``lms.credentials`` so that the account forms (to the left of credentials) can refuse, at entry,
a name the certificate would print as empty boxes.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from lms.config import REPO_ROOT

FONT_PACKAGE = REPO_ROOT / "node_modules" / "@expo-google-fonts" / "noto-sans-sc"
log = logging.getLogger(__name__)


class FontMissing(RuntimeError):
    pass


def certificate_font_files() -> tuple[Path, Path]:
    """(regular, bold); the bold face falls back to the regular one."""
    regular = os.environ.get("LMS_CJK_FONT") or FONT_PACKAGE / "400Regular" / "NotoSansSC_400Regular.ttf"
    bold = os.environ.get("LMS_CJK_FONT_BOLD") or FONT_PACKAGE / "700Bold" / "NotoSansSC_700Bold.ttf"
    regular, bold = Path(regular), Path(bold)
    if not regular.exists():
        raise FontMissing(f"the CJK font {regular} is missing: run `npm ci` (it comes from the npm registry) "
                          "or set LMS_CJK_FONT to a TrueType font with Chinese glyphs")
    return regular, bold if bold.exists() else regular


@functools.lru_cache(maxsize=4)
def _character_map(path: str) -> frozenset[int]:
    """The code points a font maps to a glyph (its best Unicode cmap subtable, read with fontTools), once per
    font file."""
    from fontTools.ttLib import TTFont
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


def name_font_lacks(text: str) -> list[str]:
    """The characters of ``text`` (other than spaces) that the face the certificate draws names in (bold) has
    no glyph for, in order, each once. Empty when the font is not installed (certificates cannot be printed
    at all then, and the PDF route says so)."""
    try:
        _regular, bold = certificate_font_files()
    except FontMissing as exc:
        log.warning("name not checked against the certificate font: %s", exc)
        return []
    cmap = _character_map(str(bold))
    return list(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in cmap))
