"""The certificate PDF: the QR code (segno's) scans back to its text, and the credential is attached with pypdf's
public ``add_attachment`` (an /EmbeddedFiles entry that pypdf and poppler read). (The canonical form of signed credentials is compared with pyld's in test_canonical_form.py.)
"""
from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import string
import subprocess

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from lms.credentials import pdf
from tests.factories.vectors import OB_CREDENTIAL

# --------------------------------------------------------------------------------------------- the PDF


def test_the_qr_code_scans_to_its_text_at_every_size(tmp_path):
    """segno encodes, the certificate draws the modules as one vector path: zbar reads each code back."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("poppler-utils and zbar-tools are not installed")
    rnd = random.Random(5)
    texts = ["http://lms.example.com/v/" + "".join(rnd.choice("0123456789abcdef") for _ in range(32)),
             "https://certificates.example.org/v/" + "".join(rnd.choice(string.ascii_letters) for _ in range(120)),
             "https://example.org/?" + "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(400))]
    for i, text in enumerate(texts):
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=(300, 300))
        pdf._draw_qr(c, text, 20, 20, 260)
        c.showPage()
        c.save()
        (tmp_path / f"{i}.pdf").write_bytes(buf.getvalue())
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(tmp_path / f"{i}.pdf"), str(tmp_path / f"{i}")], check=True)
        png = next(tmp_path.glob(f"{i}-*.png"))
        scanned = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout
        assert scanned.strip() == text


def _render_data(signed_json: str) -> dict:
    return {"name_zh": "刘洋", "name_latin": "Liu Yang", "title_en": "Technology Transfer Manager — Foundation",
            "title_zh": "技术经理人（初级）", "level": "F", "issued": "2026-11-25", "valid_until": "2029-11-25",
            "credential_id": "0123456789abcdef0123456789abcdef", "issuer_did": "did:web:lms.example.com",
            "issuer_name": "TTM Academy", "verify_url": "http://lms.example.com/v/0123456789abcdef0123456789abcdef",
            "linkedin_short": "http://lms.example.com/v/0123456789abcdef0123456789abcdef/linkedin",
            "linkedin_url": "https://www.linkedin.com/profile/add?name=x",
            "competencies": [("D1.1", "Policy and law", "科技成果转化政策法规"), ("D1.2", "Ecosystem", "创新生态与主体分析")],
            "signed_json": signed_json}


def test_the_pdf_attaches_the_credential_in_the_embedded_files_name_tree(tmp_path):
    try:
        pdf._font_files()
    except pdf.FontMissing:
        pytest.skip("the CJK font is not installed")
    signed_json = json.dumps({**OB_CREDENTIAL, "name": "徽章 badge"}, ensure_ascii=False, indent=2)
    data = _render_data(signed_json)
    first = pdf.render(data)
    assert first == pdf.render(data)                                       # deterministic
    reader = PdfReader(io.BytesIO(first))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == pdf.ATTACHMENT and len(names) == 2
    filespec = names[1].get_object()
    assert filespec["/Type"] == "/Filespec" and filespec["/F"] == pdf.ATTACHMENT
    assert filespec["/EF"]["/F"].get_object()["/Type"] == "/EmbeddedFile"
    assert reader.attachments == {pdf.ATTACHMENT: [signed_json.encode("utf-8")]}
    assert pdf.attached_credential(first) == json.loads(signed_json)
    ident = hashlib.md5(data["credential_id"].encode() + signed_json.encode(), usedforsecurity=False).digest()
    assert [bytes(i.original_bytes) for i in reader.trailer["/ID"]] == [ident, ident]
    filters = reader.pages[0]["/Contents"].get_object()["/Filter"]
    assert (filters if isinstance(filters, list) else [filters]) == ["/FlateDecode"]  # compressed, no ASCII85 layer
    other = pdf.render({**data, "signed_json": signed_json.replace("徽章", "奖章")})
    assert pdf.attached_credential(other)["name"] == "奖章 badge"
    if shutil.which("pdfdetach"):
        (tmp_path / "c.pdf").write_bytes(first)
        listed = subprocess.run(["pdfdetach", "-list", str(tmp_path / "c.pdf")], capture_output=True, text=True).stdout
        assert pdf.ATTACHMENT in listed
        subprocess.run(["pdfdetach", "-save", "1", "-o", str(tmp_path / "out.json"), str(tmp_path / "c.pdf")],
                       check=True, capture_output=True)
        assert (tmp_path / "out.json").read_text(encoding="utf-8") == signed_json
