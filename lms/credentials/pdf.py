"""The certificate as a bilingual A4-landscape PDF that carries its own proof.

reportlab draws the page with Noto Sans SC embedded (subset) so that Chinese renders on any machine; the
signed credential JSON is attached as an embedded file (``credential.json``, attached and read back with
pypdf), so that the PDF alone can be verified by uploading it. The same record always gives the same bytes
(reportlab's invariant mode, and a file identifier derived from the credential).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
from urllib.parse import urlencode

import segno
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject, NameObject
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from lms.fonts import FontMissing  # noqa: F401 - callers catch pdf.FontMissing
from lms.fonts import certificate_font_files as _font_files

BRAND = HexColor("#0b4f8a")
GOLD = HexColor("#b08d3c")
INK = HexColor("#1c2430")
MUTED = HexColor("#5b6676")
ATTACHMENT = "credential.json"
LEVELS = {"F": ("Foundation", "初级"), "P": ("Practitioner", "中级"), "E": ("Expert", "高级")}


def _register_fonts() -> None:
    if "CJK" in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = _font_files()
    for name, path in (("CJK", regular), ("CJK-Bold", bold)):
        pdfmetrics.registerFont(TTFont(name, str(path)))


def linkedin_url(title: str, issuer: str, issued, expires, url: str, cred_id: str) -> str:
    """LinkedIn's "add licence or certification" link, pre-filled."""
    params = {"startTask": "CERTIFICATION_NAME", "name": title, "organizationName": issuer,
              "issueYear": issued.year, "issueMonth": issued.month, "expirationYear": expires.year,
              "expirationMonth": expires.month, "certUrl": url, "certId": cred_id}
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def frame(c: canvas.Canvas, width: float, height: float, outer: float, outer_line: float, inner: float,
          inner_line: float) -> None:
    """The certificate's double frame (a brand-coloured line, a gold one inside), also the transcript's."""
    for colour, margin, line in ((BRAND, outer, outer_line), (GOLD, inner, inner_line)):
        c.setStrokeColor(colour)
        c.setLineWidth(line)
        c.rect(margin, margin, width - 2 * margin, height - 2 * margin)


def render(data: dict) -> bytes:
    """``data``: names, titles, level, competencies [(code, en, zh)], dates, ids, urls, signed JSON."""
    _register_fonts()
    buf = io.BytesIO()
    W, H = landscape(A4)
    # Uncompressed here: the page's drawing is compressed by pypdf below (Flate only: reportlab would add an ASCII85
    # layer, its global ``rl_config.useA85``); the font subsets stay uncompressed, as glyph outlines barely
    # compress (to ~72%) and compressing them was a tenth of the rendering time (the PDF is ~66 kB, target < 150 kB).
    c = canvas.Canvas(buf, pagesize=(W, H), invariant=1, pageCompression=0, initialFontName="CJK", initialFontSize=10)
    c.setTitle(f"{data['title_en']} — {data['name_latin'] or data['name_zh']}")
    c.setAuthor(data["issuer_name"])
    c.setSubject(f"Credential {data['credential_id']}")
    frame(c, W, H, 18, 6, 30, 1.2)
    # header
    c.setFillColor(BRAND)
    c.roundRect(56, H - 96, 34, 34, 6, fill=1, stroke=0)
    c.setFillColor(HexColor("#ffffff"))
    c.setFont("CJK-Bold", 14)
    c.drawCentredString(73, H - 84, "TT")
    c.setFillColor(INK)
    c.setFont("CJK-Bold", 13)
    c.drawString(100, H - 76, "TTM Academy · 技术经理人学院")
    c.setFont("CJK", 8.5)
    c.setFillColor(MUTED)
    c.drawString(100, H - 90, "Technology-transfer manager training and certification · 技术经理人培训与认证")
    level_en, level_zh = LEVELS[data["level"]]
    c.setFillColor(GOLD)
    c.setFont("CJK-Bold", 11)
    c.drawRightString(W - 56, H - 76, f"{level_en.upper()} · {level_zh}")
    c.setFont("CJK", 8.5)
    c.setFillColor(MUTED)
    c.drawRightString(W - 56, H - 90, "Open Badges 3.0 · signed credential attached")
    # title
    c.setFillColor(BRAND)
    c.setFont("CJK-Bold", 30)
    c.drawCentredString(W / 2, H - 150, "证  书")
    c.setFont("CJK-Bold", 13)
    c.drawCentredString(W / 2, H - 170, "CERTIFICATE")
    c.setFillColor(MUTED)
    c.setFont("CJK", 10.5)
    c.drawCentredString(W / 2, H - 198, "兹证明 · This is to certify that")
    # holder
    c.setFillColor(INK)
    names = "  ".join(n for n in (data["name_zh"], data["name_latin"]) if n)
    c.setFont("CJK-Bold", _fit(c, names, "CJK-Bold", 26, W - 160))   # a long name shrinks to stay inside the frame
    c.drawCentredString(W / 2, H - 236, names)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    c.line(W / 2 - 170, H - 246, W / 2 + 170, H - 246)
    c.setFillColor(MUTED)
    c.setFont("CJK", 10.5)
    c.drawCentredString(W / 2, H - 266, "已满足以下认证的全部要求 · has met every requirement of")
    c.setFillColor(BRAND)
    size = _fit(c, data["title_zh"] or "", "CJK-Bold", 19, W - 160)
    c.setFont("CJK-Bold", size)
    c.drawCentredString(W / 2, H - 292, data["title_zh"] or "")
    size = _fit(c, data["title_en"], "CJK-Bold", 15, W - 160)
    c.setFont("CJK-Bold", size)
    c.drawCentredString(W / 2, H - 312, data["title_en"])
    # competencies, in two columns
    c.setFillColor(INK)
    c.setFont("CJK-Bold", 9.5)
    c.drawString(70, H - 344, "认证的能力 · Certified competencies")
    comps = data["competencies"]
    col_w = (W - 140 - 150) / 2
    half = (len(comps) + 1) // 2
    # rows close up so that the last one's English line stays clear of the facts below (top at y = 160)
    pitch = 24 if half < 2 else max(18.0, min(24.0, (H - 360 - 10 - 160) / (half - 1)))
    for i, (code, en, zh) in enumerate(comps):
        x = 70 + (i // half) * (col_w + 10)
        y = H - 360 - (i % half) * pitch
        c.setFont("CJK-Bold", 8.5)
        c.setFillColor(BRAND)
        c.drawString(x, y, code)
        c.setFillColor(INK)
        c.setFont("CJK", _fit(c, zh, "CJK", 8.5, col_w - 34))
        c.drawString(x + 34, y, zh)
        c.setFillColor(MUTED)
        c.setFont("CJK", _fit(c, en, "CJK", 7.5, col_w - 34))
        c.drawString(x + 34, y - 10, en)
    # facts
    facts = [("颁发日期 · Issued", data["issued"]), ("有效期至 · Valid until", data["valid_until"]),
             ("证书编号 · Credential ID", data["credential_id"]), ("颁发机构 · Issuer", data["issuer_did"])]
    y = 142
    for label, value in facts:
        c.setFillColor(MUTED)
        c.setFont("CJK", 8)
        c.drawString(70, y, label)
        c.setFillColor(INK)
        c.setFont("CJK-Bold", 9)
        c.drawString(190, y, value)
        y -= 15
    c.setFillColor(MUTED)
    c.setFont("CJK", 7.5)
    c.drawString(70, y - 4, "在线核验 · Verify online:")
    c.setFillColor(BRAND)
    c.drawString(190, y - 4, data["verify_url"])
    c.linkURL(data["verify_url"], (190, y - 7, 190 + pdfmetrics.stringWidth(data["verify_url"], "CJK", 7.5), y + 5))
    c.setFillColor(MUTED)
    c.drawString(70, y - 17, "添加到领英 · Add to LinkedIn:")
    c.setFillColor(BRAND)
    c.drawString(190, y - 17, data["linkedin_short"])
    c.linkURL(data["linkedin_url"], (190, y - 20, 190 + pdfmetrics.stringWidth(data["linkedin_short"], "CJK", 7.5), y - 8))
    c.setFillColor(MUTED)
    c.setFont("CJK", 7)
    c.drawString(70, 48, "本 PDF 内附已签名的数字证书（credential.json），上传至核验页面即可独立核验，无需信任本文件的外观。")
    c.drawString(70, 38, "This PDF carries the signed credential (credential.json): upload it on the verification page to check it "
                         "without trusting how the page looks.")
    # QR code of the verification URL
    side = 118
    _draw_qr(c, data["verify_url"], W - 70 - side, 62, side)
    c.setFont("CJK", 7.5)
    c.setFillColor(MUTED)
    c.drawCentredString(W - 70 - side / 2, 54, "扫码核验 · Scan to verify")
    c.showPage()
    c.save()
    return _finish(buf.getvalue(), data["signed_json"].encode("utf-8"), data["credential_id"])


def _finish(pdf: bytes, payload: bytes, credential_id: str) -> bytes:
    """reportlab's PDF, rewritten once with pypdf: its page's drawing compressed, ``payload`` attached as
    ``credential.json`` (an /EmbeddedFiles name tree entry, as PDF readers expect), wide ToUnicode entries
    written as surrogate pairs (:func:`_surrogate_pair_text_maps`), and a file identifier that is a digest of the
    credential (reportlab's, in invariant mode, is the same for every document)."""
    reader = PdfReader(io.BytesIO(pdf))
    ident = ByteStringObject(hashlib.md5(credential_id.encode() + payload, usedforsecurity=False).digest())
    reader.trailer[NameObject("/ID")] = ArrayObject([ident, ident])   # a clone copies /Root, /Info and /ID
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        page.compress_content_streams()
        _surrogate_pair_text_maps(page)
    writer.add_attachment(ATTACHMENT, payload)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_WIDE_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{5,6})>")


def _surrogate_pair_text_maps(page) -> None:
    """Make characters outside the Basic Multilingual Plane (rare Han characters such as 𠂇 U+20087) copy out
    of the PDF as themselves.

    reportlab writes their entries in a font's ToUnicode CMap as the code point in five or six hex digits
    (``<0E> <20087>``), which is not UTF-16BE: readers drop or garble the character. With pypdf, each such
    entry of the page's fonts is rewritten as its surrogate pair (``<0E> <D840DC87>``).
    """
    def pair(match: re.Match) -> bytes:
        offset = int(match.group(2), 16) - 0x10000
        return b"<%s> <%04X%04X>" % (match.group(1), 0xD800 + (offset >> 10), 0xDC00 + (offset & 0x3FF))

    for font in page["/Resources"].get("/Font", {}).values():
        cmap = font.get_object().get("/ToUnicode")
        if cmap is None:
            continue
        stream = cmap.get_object()
        text_map = stream.get_data()
        fixed = _WIDE_BFCHAR.sub(pair, text_map)
        if fixed != text_map:
            stream.set_data(fixed)


def _draw_qr(c: canvas.Canvas, text: str, x: float, y: float, side: float) -> None:
    """A QR code of ``text`` (segno: level M, the smallest version) as one filled vector path of row runs, in
    module units, with a quiet zone of four modules on each side."""
    matrix = segno.make_qr(text, error="m", boost_error=False).matrix
    n = len(matrix)
    runs = []
    for row, modules in enumerate(matrix):
        col, bottom = 0, n + 3 - row           # the module row's bottom edge, from the bottom of the quiet zone
        for is_dark, run in itertools.groupby(modules):
            width = len(list(run))
            if is_dark:
                runs.append(f"{4 + col} {bottom} {width} 1 re")
            col += width
    c.saveState()
    c.setFillColor(INK)
    c.transform(side / (n + 8), 0, 0, side / (n + 8), x, y)
    c.addLiteral("\n".join(runs) + "\nf")
    c.restoreState()


def attached_credential(pdf: bytes) -> dict | None:
    """The credential attached to a PDF, or None."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        files = reader.attachments
    except Exception:
        return None
    for name in (ATTACHMENT, *files):
        if name in files and files[name]:
            try:
                return json.loads(files[name][0].decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return None
    return None


MAX_PAGE_CONTENT = 1_000_000      # bytes of a first page's drawing instructions (a certificate's: about 20 kB)


def page_text(pdf: bytes) -> str | None:
    """The text layer of a PDF's first page (where a certificate prints the holder's name), or None when there
    is none or its drawing instructions are past :data:`MAX_PAGE_CONTENT` (text extraction is slow on them)."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if not reader.pages:
            return None
        page = reader.pages[0]
        contents = page.get_contents()
        if contents is None or len(contents.get_data()) > MAX_PAGE_CONTENT:
            return None
        return page.extract_text()
    except Exception:
        return None
