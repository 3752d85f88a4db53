"""A name accepted at entry is drawn on the certificate and copies back out of the PDF as typed."""
import shutil
import subprocess

import pytest

from lms.accounts import names
from lms.credentials import pdf

ACCEPTED = [("欧阳·娜娜", "Zoë O'Brien-Müller"), ("迪丽热巴·迪力木拉提", "José Ñúñez"), ("李四", "Ærøskøbing d'Arc")]


def _certificate(name_zh: str, name_latin: str) -> bytes:
    return pdf.render({
        "name_zh": name_zh, "name_latin": name_latin, "title_en": "Foundation certificate", "title_zh": "初级证书",
        "level": "F", "competencies": [("D1.1", "Technology transfer", "技术转移")], "issued": "2026-12-07",
        "valid_until": "2029-12-07", "credential_id": "0" * 32, "issuer_name": "TTM Academy",
        "issuer_did": "did:web:lms.example.com", "verify_url": "http://lms.example.com/v/" + "0" * 32,
        "linkedin_url": "https://www.linkedin.com/profile/add", "linkedin_short": "linkedin.com", "signed_json": "{}"})


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize(("name_zh", "name_latin"), ACCEPTED)
def test_accepted_names_copy_back_out_of_the_certificate(name_zh, name_latin):
    assert names.problem_zh(name_zh) is None and names.problem_latin(name_latin) is None
    text = subprocess.run(["pdftotext", "-", "-"], input=_certificate(name_zh, name_latin),
                          capture_output=True, check=True).stdout.decode()
    assert f"{name_zh}  {name_latin}" in text or (name_zh in text and name_latin in text)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_a_rare_character_outside_the_bmp_that_the_font_has_is_accepted_and_copies_back_out():
    name_zh = "王\U00020087"                     # 𠂇 U+20087: in Noto Sans SC, outside the BMP
    assert names.problem_zh(name_zh) is None
    certificate = _certificate(name_zh, "Wang")
    text = subprocess.run(["pdftotext", "-", "-"], input=certificate, capture_output=True, check=True).stdout.decode()
    assert name_zh in text
    assert name_zh in pdf.page_text(certificate)  # what the verification page reads out of an uploaded copy
    # 𠮷 U+20BB7 is outside the BMP too, but the font has no glyph for it: refused rather than drawn as a box
    assert names.problem_zh("吉\U00020BB7") == ("font", "\U00020BB7")


def test_a_character_the_font_lacks_is_refused_and_a_character_it_has_is_not():
    # Noto Sans SC has no ł (so a Polish name would print a box) but has é and the middle dot
    assert names.problem_latin("Łukasz Nowak") == ("font", "Ł")
    assert names.problem_latin("Rénée") is None and names.problem_zh("阿卜杜·热合曼") is None


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_a_long_name_shrinks_to_stay_inside_the_frame():
    import re
    name_zh, name_latin = "欧阳娜娜", "Maximilian-Alexander Konstantin von Hohenberg-Schwarzenfeld d'Aubigné"
    bbox = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=_certificate(name_zh, name_latin),
                          capture_output=True, check=True).stdout.decode()
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    words = dict((w, (float(x0), float(x1))) for x0, x1, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', bbox))
    wanted = [name_zh, *name_latin.replace("'", "&apos;").split()]     # pdftotext escapes the apostrophe
    assert all(w in words for w in wanted), [w for w in wanted if w not in words]
    assert all(30 <= words[w][0] and words[w][1] <= page_width - 30 for w in wanted)
