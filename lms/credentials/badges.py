"""Badge images: each programme's badge and the issuer's logo, drawn from data, as SVG and as PNG.

One drawing (a list of shapes and text runs, :func:`programme_badge` and :func:`issuer_logo`) is rendered two
ways: :func:`to_svg` writes the text as outlines of the project's own font (Noto Sans SC, which covers Latin and
Chinese), so the SVG needs no font on the reader's machine and fetches nothing; :func:`to_png` paints it with
Pillow from the same font files, drawn at twice the size and reduced for smooth edges. Pure functions: the
views cache the bytes by content version.
"""
from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lms.fonts import certificate_font_files

SIZE = 512
LEVELS = {  # code: (English word, Chinese word, main colour, accent colour, number of chevrons)
    "F": ("FOUNDATION", "初级", "#2e6b5e", "#c98b4a", 1),
    "P": ("PRACTITIONER", "中级", "#1f4e79", "#9fb3c8", 2),
    "E": ("EXPERT", "高级", "#5b1f3a", "#d4af37", 3),
}
PAPER, INK = "#fbfaf6", "#1b2a41"
# fontTools reads a lazily loaded font on first use of each table and glyph, which is not thread-safe: one
# drawing at a time (each image is drawn once per content version, then served from memory)
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str | None = None
    stroke: str | None = None
    width: float = 0


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    fill: str


@dataclass(frozen=True)
class Text:
    """A line of text centred on ``x`` with its baseline at ``y``; shrunk to fit ``max_width``."""
    x: float
    y: float
    text: str
    size: float
    fill: str
    bold: bool = False
    max_width: float = SIZE


# ---------------------------------------------------------------- the drawings

def _chevron(cx: float, top: float, width: float, depth: float, thick: float, fill: str) -> Polygon:
    half = width / 2
    return Polygon(((cx - half, top), (cx, top + depth), (cx + half, top), (cx + half, top + thick),
                    (cx, top + depth + thick), (cx - half, top + thick)), fill)


def _ribbon(top: float, height: float, main: str, dark: str) -> list:
    """A band across the seal with folded, notched tails behind it."""
    bottom, notch = top + height, height / 2
    tails = [Polygon(((8, top + 14), (58, top + 14), (58, bottom + 14), (8, bottom + 14), (26, top + 14 + notch)), dark),
             Polygon(((504, top + 14), (454, top + 14), (454, bottom + 14), (504, bottom + 14),
                      (486, top + 14 + notch)), dark)]
    return [*tails, Polygon(((40, top), (472, top), (472, bottom), (40, bottom)), main)]


def programme_badge(level: str, title_en: str, title_zh: str) -> list:
    """A programme's badge: a seal in the level's colours, the level's mark (one, two or three chevrons), the
    level in both languages, and the programme's title in both languages on a ribbon."""
    word_en, word_zh, main, accent, marks = LEVELS.get(level, (level.upper(), level, INK, "#8a8f98", 0))
    shapes: list = [Circle(256, 256, 246, fill=main), Circle(256, 256, 230, stroke=accent, width=5),
                    Circle(256, 256, 212, fill=PAPER),
                    Text(256, 104, "TTM ACADEMY", 21, main, bold=True), Text(256, 132, "技术经理人学院", 19, INK)]
    top = 150 + (3 - marks) * 14
    shapes += [_chevron(256, top + i * 30, 132, 40, 19, accent if i % 2 else main) for i in range(marks)]
    shapes.append(Text(256, 290, f"{word_en} · {word_zh}", 30, main, bold=True, max_width=360))
    shapes += _ribbon(314, 92, main, INK)
    shapes += [Text(256, 352, title_en or "", 24, PAPER, bold=True, max_width=410),
               Text(256, 390, title_zh or "", 25, PAPER, bold=True, max_width=410),
               Text(256, 440, "CERTIFIED · 认证", 16, main, bold=True)]
    return shapes


def issuer_logo(name_en: str, name_zh: str) -> list:
    """The issuer's logo: a navy and gold seal with the monogram and the name in both languages."""
    gold = "#c9a227"
    return [Circle(256, 256, 246, fill=INK), Circle(256, 256, 230, stroke=gold, width=5),
            Circle(256, 256, 212, fill=PAPER),
            Polygon(((256, 92), (300, 150), (212, 150)), gold),
            Text(256, 262, "TTM", 104, INK, bold=True),
            Polygon(((150, 292), (362, 292), (362, 298), (150, 298)), gold),
            Text(256, 340, "技术经理人学院", 34, INK, bold=True, max_width=340),
            Text(256, 378, "TTM ACADEMY", 22, INK, bold=True),
            Text(256, 412, name_en.split("—")[-1].strip() if name_en else "", 13, "#4a5566", max_width=300)]


# ---------------------------------------------------------------- fonts

@functools.lru_cache(maxsize=2)
def _font(bold: bool):
    from fontTools.ttLib import TTFont
    regular, heavy = certificate_font_files()
    return TTFont(str(heavy if bold else regular), lazy=True)


def _advance(text: str, bold: bool) -> float:
    """The width of ``text`` in font units."""
    font = _font(bold)
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    return sum(hmtx[cmap.get(ord(ch), ".notdef")][0] for ch in text)


def _fitted_size(t: Text) -> float:
    upem = _font(t.bold)["head"].unitsPerEm
    width = _advance(t.text, t.bold) * t.size / upem
    return t.size if width <= t.max_width else t.size * t.max_width / width


# ---------------------------------------------------------------- SVG

def _text_path(t: Text) -> str:
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    font = _font(t.bold)
    glyphs, cmap, upem = font.getGlyphSet(), font.getBestCmap(), font["head"].unitsPerEm
    size = _fitted_size(t)
    scale = size / upem
    x = t.x - _advance(t.text, t.bold) * scale / 2
    pen = SVGPathPen(glyphs)
    for ch in t.text:
        name = cmap.get(ord(ch), ".notdef")
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, round(x, 2), t.y)))
        x += glyphs[name].width * scale
    return f'<path d="{pen.getCommands()}" fill="{t.fill}"/>'


def _svg_shape(shape) -> str:
    if isinstance(shape, Circle):
        paint = f'fill="{shape.fill}"' if shape.fill else 'fill="none"'
        if shape.stroke:
            paint += f' stroke="{shape.stroke}" stroke-width="{shape.width}"'
        return f'<circle cx="{shape.cx}" cy="{shape.cy}" r="{shape.r}" {paint}/>'
    if isinstance(shape, Polygon):
        return f'<polygon points="{" ".join(f"{x},{y}" for x, y in shape.points)}" fill="{shape.fill}"/>'
    return _text_path(shape)


def to_svg(shapes: list, title: str) -> bytes:
    """The drawing as a standalone SVG, its text as outlines; ``title`` is its accessible name."""
    with _DRAWING:
        body = "".join(_svg_shape(s) for s in shapes)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}" '
            f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}"><title>{escape(title)}</title>{body}</svg>'
            ).encode()


# ---------------------------------------------------------------- PNG

def _pil_font(bold: bool, size: float):
    from PIL import ImageFont
    regular, heavy = certificate_font_files()
    return ImageFont.truetype(str(heavy if bold else regular), max(1, round(size)))


def _png_shape(draw, shape, k: int) -> None:
    if isinstance(shape, Circle):
        box = [(shape.cx - shape.r) * k, (shape.cy - shape.r) * k, (shape.cx + shape.r) * k, (shape.cy + shape.r) * k]
        draw.ellipse(box, fill=shape.fill, outline=shape.stroke, width=round(shape.width * k))
    elif isinstance(shape, Polygon):
        draw.polygon([(x * k, y * k) for x, y in shape.points], fill=shape.fill)
    else:
        font = _pil_font(shape.bold, _fitted_size(shape) * k)
        draw.text((shape.x * k, shape.y * k), shape.text, font=font, fill=shape.fill, anchor="ms")


def to_png(shapes: list, size: int = SIZE) -> bytes:
    """The drawing as a ``size``×``size`` PNG with a transparent background."""
    from PIL import Image, ImageDraw
    k = 2 * size / SIZE
    canvas = Image.new("RGBA", (round(SIZE * k), round(SIZE * k)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    with _DRAWING:
        for shape in shapes:
            _png_shape(draw, shape, k)
    out = io.BytesIO()
    canvas.resize((size, size), Image.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()
