"""The certificate as a bilingual A4-landscape PDF that carries its own proof.

reportlab draws the page with Noto Sans SC embedded (subset) so that Chinese renders on any machine; the
signed credential JSON is attached as an embedded file (``credential.json``), so that the PDF alone can
be verified by uploading it. The same record always gives the same bytes (reportlab's invariant mode, and
a file identifier derived from the credential).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
from pathlib import Path
from urllib.parse import urlencode

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from lms.config import REPO_ROOT

BRAND = HexColor("#0b4f8a")
GOLD = HexColor("#b08d3c")
INK = HexColor("#1c2430")
MUTED = HexColor("#5b6676")
FONT_PACKAGE = REPO_ROOT / "node_modules" / "@expo-google-fonts" / "noto-sans-sc"
ATTACHMENT = "credential.json"
LEVELS = {"F": ("Foundation", "初级"), "P": ("Practitioner", "中级"), "E": ("Expert", "高级")}


class FontMissing(RuntimeError):
    pass


def _font_files() -> tuple[Path, Path]:
    regular = os.environ.get("LMS_CJK_FONT") or FONT_PACKAGE / "400Regular" / "NotoSansSC_400Regular.ttf"
    bold = os.environ.get("LMS_CJK_FONT_BOLD") or FONT_PACKAGE / "700Bold" / "NotoSansSC_700Bold.ttf"
    regular, bold = Path(regular), Path(bold)
    if not regular.exists():
        raise FontMissing(f"the CJK font {regular} is missing: run `npm ci` (it comes from the npm registry) "
                          "or set LMS_CJK_FONT to a TrueType font with Chinese glyphs")
    return regular, bold if bold.exists() else regular


def _register_fonts() -> None:
    if "CJK" in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = _font_files()
    pdfmetrics.registerFont(TTFont("CJK", str(regular)))
    pdfmetrics.registerFont(TTFont("CJK-Bold", str(bold)))


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


def render(data: dict) -> bytes:
    """``data``: names, titles, level, competencies [(code, en, zh)], dates, ids, urls, signed JSON."""
    _register_fonts()
    buf = io.BytesIO()
    W, H = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(W, H), invariant=1, pageCompression=1, initialFontName="CJK", initialFontSize=10)
    c.setTitle(f"{data['title_en']} — {data['name_latin'] or data['name_zh']}")
    c.setAuthor(data["issuer_name"])
    c.setSubject(f"Credential {data['credential_id']}")
    # frame
    c.setStrokeColor(BRAND)
    c.setLineWidth(6)
    c.rect(18, 18, W - 36, H - 36)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    c.rect(30, 30, W - 60, H - 60)
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
    names = [n for n in (data["name_zh"], data["name_latin"]) if n]
    c.setFont("CJK-Bold", 26)
    c.drawCentredString(W / 2, H - 236, "  ".join(names))
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
    for i, (code, en, zh) in enumerate(comps):
        x = 70 + (i // half) * (col_w + 10)
        y = H - 360 - (i % half) * 24
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
    return _attach(buf.getvalue(), data["signed_json"].encode("utf-8"), data["credential_id"])


def _draw_qr(c: canvas.Canvas, text: str, x: float, y: float, side: float) -> None:
    """A QR code as one filled path of row runs (reportlab's widget draws one rectangle per module and
    encodes twice, which is most of the page's rendering time)."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)      # None: the smallest version that fits
    qr.addData(text)
    qr.make()
    n = qr.getModuleCount()
    cell = side / (n + 8)                      # a quiet zone of four modules on each side
    path = c.beginPath()
    for row, modules in enumerate(qr.modules):
        col = 0
        for dark, run in itertools.groupby(bool(m) for m in modules):
            width = len(list(run))
            if dark:
                path.rect(x + (4 + col) * cell, y + side - (5 + row) * cell, width * cell, cell)
            col += width
    c.setFillColor(INK)
    c.drawPath(path, stroke=0, fill=1)


def _attach(pdf: bytes, payload: bytes, credential_id: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(ATTACHMENT, payload)
    ident = ByteStringObject(hashlib.md5(credential_id.encode() + payload, usedforsecurity=False).digest())
    writer._ID = ArrayObject([ident, ident])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
