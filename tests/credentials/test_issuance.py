"""Programmes, eligibility, issuance, the PDF, public verification, revocation and suspension — through the
pages employers and holders use, and checked once more by Digital Bazaar's independent verifier."""
import io
import json
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.config import REPO_ROOT
from lms.content import ContentInvalid
from lms.credentials import keys, pdf, signing, statuslist
from lms.credentials import services as svc
from lms.credentials.models import Credential, Programme
from lms.db import utcnow
from lms.extensions import db
from lms.loading import load_all
from tests.factories import client_of as _client
from tests.factories import make_user
from tests.factories.jsverify import js_verifier_missing, run_js_verifier

F1 = "f1-system-policy-ethics"


def test_the_three_programmes_load(app, loaded):
    progs = {p.key: p for p in db.session.scalars(select(Programme))}
    assert set(progs) == {"foundation", "practitioner", "expert"}
    assert progs["practitioner"].requirements["prerequisite"] == "foundation"
    assert progs["expert"].requirements["projects"][0]["min"] == 75
    assert progs["foundation"].approval == "automatic" and progs["expert"].approval == "admin"


def test_a_programme_naming_what_does_not_exist_is_refused_with_file_and_line(app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "courses", root / "courses")
    shutil.copytree(REPO_ROOT / "question_banks", root / "question_banks")
    shutil.copytree(REPO_ROOT / "certificates", root / "certificates")
    path = root / "certificates" / "foundation.yaml"
    text = path.read_text(encoding="utf-8")
    text = (text.replace("courses: [f1-system-policy-ethics]", "courses: [f9-no-such-course]")
            .replace("quiz: final-exam", "quiz: no-such-exam").replace("{code: D7.2, level: F}", "{code: D9.9, level: F}"))
    path.write_text(text, encoding="utf-8")
    (root / "certificates" / "practitioner.yaml").write_text(
        (root / "certificates" / "practitioner.yaml").read_text(encoding="utf-8").replace(
            "prerequisite: foundation", "prerequisite: platinum"), encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        load_all(root)
    errors = [str(e) for e in exc.value.errors]
    lines = text.splitlines()
    line_of = {needle: i + 1 for i, line in enumerate(lines) for needle in ("f9-no-such", "no-such-exam", "D9.9")
               if needle in line}
    assert f"certificates/foundation.yaml:{line_of['f9-no-such']}: requirements: course 'f9-no-such-course' does not exist" in errors
    assert any(e.startswith(f"certificates/foundation.yaml:{line_of['no-such-exam']}: requirements: exam 1: exam "
                            "'no-such-exam' of course 'f1-system-policy-ethics' does not exist") for e in errors)
    assert any(e.startswith(f"certificates/foundation.yaml:{line_of['D9.9']}: competency 4:") for e in errors)
    assert any("practitioner.yaml" in e and "prerequisite 'platinum' is not another programme" in e for e in errors)
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 0


def test_completing_the_requirements_issues_a_signed_credential_once(app, world):
    cred = world["cred"]
    assert cred.state == "active" and cred.programme.key == "foundation"
    doc = json.loads(cred.signed_json)
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["id"] == "did:web:lms.example.com" == keys.did()
    assert [p["cryptosuite"] for p in doc["proof"]] == ["eddsa-rdfc-2022"]      # an array of one proof
    assert signing.verify(doc, keys.resolve).ok
    assert signing.undefined_terms({k: v for k, v in doc.items() if k != "proof"}) == []
    ach = doc["credentialSubject"]["achievement"]
    assert ach["achievementType"] == "Certification"
    codes = [a.get("targetCode") for a in ach["alignment"]]
    assert {"D1.1", "D1.2", "D1.3", "D7.2"} <= set(codes)
    assert any("(provisional)" in a["targetName"] for a in ach["alignment"])      # RTTP alignments say so
    ids = doc["credentialSubject"]["identifier"]
    assert ids[0]["identityType"] == "emailAddress" and ids[0]["hashed"] and "holder" not in json.dumps(ids[0])
    assert {i["identityHash"] for i in ids[1:]} == {"刘洋", "Liu Yang"}
    assert doc["validUntil"][:4] == str(int(doc["validFrom"][:4]) + 3)
    status = doc["credentialStatus"]        # one entry: two bits say revoked and suspended
    assert status["statusPurpose"] == "message" and status["statusSize"] == 2
    assert [m["status"] for m in status["statusMessage"]] == ["0x0", "0x1", "0x2", "0x3"]
    assert status["statusListCredential"] == f"http://lms.example.com/status/message/{cred.status_list}"
    # checking again issues nothing new; the database refuses a second live credential too
    assert svc.check_and_issue(world["holder"]) == []
    db.session.add(Credential(holder_id=world["holder"].id, programme_id=cred.programme_id, state="pending"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_holder_sees_every_requirement_with_its_evidence(app, world):
    page = _client(app, world["holder"]).get("/certificates").get_data(as_text=True)
    assert "4 of 4 requirements met" in page or "3 of 3 requirements met" in page
    assert "Course completed: F1" in page and re.search(r"grade \d+(\.\d+)?%", page)
    assert "Holds the certificate: Technology Transfer Manager — Foundation" in page   # practitioner's prerequisite
    assert "Experience in technology transfer: at least 2 years" in page
    other = make_user(("trainee",), "new@example.com")
    page = _client(app, other).get("/certificates").get_data(as_text=True)
    assert "0 of 3 requirements met" in page and "not enrolled" in page and "not yet taken" in page


def test_public_verification_page_and_json(app, world):
    cred = world["cred"]
    anon = app.test_client()
    page = anon.get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert "This certificate is valid." in page and "Technology Transfer Manager — Foundation" in page
    assert "Liu Yang" not in page                                  # status only by default
    assert anon.get(f"/v/{cred.public_id}/credential.json").status_code == 403
    data = anon.get(f"/v/{cred.public_id}", headers={"Accept": "application/json"}).get_json()
    assert data["status"] == "valid" and data["programme"] == "foundation" and "holder" not in data
    # the holder shares the full record
    _client(app, world["holder"]).post(f"/certificates/{cred.public_id}/sharing", data={"share": "full"})
    page = anon.get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert "Liu Yang" in page and "Exam F1 final exam: at least 60%" in page
    resp = anon.get(f"/v/{cred.public_id}/credential.json")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == cred.signed_json     # byte for byte
    assert anon.get("/v/" + "0" * 32).status_code == 404


def test_the_pdf_carries_the_credential_and_renders_the_same_every_time(app, world, tmp_path):
    cred = world["cred"]
    c = _client(app, world["holder"])
    first = c.get(f"/v/{cred.public_id}/certificate.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == c.get(f"/v/{cred.public_id}/certificate.pdf").data
    assert len(first.data) < 150_000
    assert pdf.attached_credential(first.data) == json.loads(cred.signed_json)
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", "-"], input=first.data, capture_output=True).stdout.decode()
        fonts = [line.split() for line in out.splitlines()[2:]]
        assert fonts and all(row[-5] == "yes" and row[-4] == "yes" for row in fonts), out   # embedded, subset
        assert any("NotoSansSC" in row[0] for row in fonts)
    if shutil.which("pdftoppm") and shutil.which("zbarimg"):      # the QR code scans to the verification page
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-", str(tmp_path / "page")], input=first.data, check=True)
        scanned = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")], capture_output=True,
                                 text=True).stdout.strip()
        assert scanned == f"http://lms.example.com/v/{cred.public_id}"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=first.data, capture_output=True).stdout.decode()
        assert "刘洋" in text and "Liu Yang" in text and "技术经理人（初级）" in text and cred.public_id in text


def test_verify_by_upload_tells_authentic_from_tampered(app, world):
    cred = world["cred"]
    holder = _client(app, world["holder"])
    pdf_bytes = holder.get(f"/v/{cred.public_id}/certificate.pdf").data
    anon = app.test_client()

    def upload(data, name):
        return anon.post("/verify", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data").get_data(as_text=True)
    page = upload(pdf_bytes, "certificate.pdf")
    assert "Authentic and valid." in page and "It is identical to the credential in our register." in page
    doc = json.loads(cred.signed_json)
    doc["validUntil"] = "2099-01-01T00:00:00Z"
    page = upload(json.dumps(doc).encode(), "edited.json")
    assert "Not authentic" in page and "The signature does not verify" in page
    page = upload(b"%PDF-1.4 not a certificate", "other.pdf")
    assert "other.pdf: no signed credential found" in page


def test_revocation_and_suspension_show_everywhere_with_the_reason(app, world):
    cred = world["cred"]
    admin = _client(app, world["admin"])
    holder = _client(app, world["holder"])
    pdf_bytes = holder.get(f"/v/{cred.public_id}/certificate.pdf").data
    admin.post(f"/admin/credentials/{cred.public_id}/suspend", data={"reason": "Audit of CPD evidence", "confirm": "yes"})
    db.session.refresh(cred)
    assert svc.status_of(cred) == "suspended"
    listing = app.test_client().get(f"/status/message/{cred.status_list}").get_json()
    assert statuslist.entry_value(listing["credentialSubject"]["encodedList"], cred.status_index, 2) == 0b01  # suspended
    assert signing.verify(listing, keys.resolve).ok
    page = app.test_client().get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert "This certificate is suspended." in page and "Audit of CPD evidence" in page
    admin.post(f"/admin/credentials/{cred.public_id}/unsuspend", data={"reason": "audit passed"})
    listing = app.test_client().get(f"/status/message/{cred.status_list}").get_json()
    assert statuslist.entry_value(listing["credentialSubject"]["encodedList"], cred.status_index, 2) == 0b00  # valid
    resp = admin.post(f"/admin/credentials/{cred.public_id}/revoke", data={"reason": ""}, follow_redirects=True)
    assert "Give the reason" in resp.get_data(as_text=True)
    admin.post(f"/admin/credentials/{cred.public_id}/revoke", data={"reason": "Exam misconduct established",
                                                                  "confirm": "yes"})
    page = app.test_client().get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert "This certificate has been revoked." in page and "Exam misconduct established" in page
    page = app.test_client().post("/verify", data={"file": (io.BytesIO(pdf_bytes), "c.pdf")},
                                  content_type="multipart/form-data").get_data(as_text=True)
    assert "Authentic, but revoked." in page and "Revoked: Exam misconduct established" in page
    assert json.loads(db.session.get(Credential, cred.id).signed_json) == json.loads(cred.signed_json)  # never re-signed
    from lms.accounts.models import AuditEvent
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == cred.public_id)))
    assert {"credential.suspend", "credential.unsuspend", "credential.revoke"} <= actions
    subjects = [p.read_text(errors="ignore") for p in sorted(app.config["LMS_OUTBOX"].glob("*.eml"))]
    assert any("revoked" in s and "holder@example.com" in s for s in subjects)


def test_an_expired_certificate_shows_as_expired_not_invalid(app, world):
    cred = world["cred"]
    cred.valid_until = utcnow() - timedelta(days=1)
    db.session.commit()
    page = app.test_client().get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert "This certificate has expired." in page and "was genuine" in page


def test_a_programme_needing_approval_waits_for_an_administrator(app, world):
    prog = db.session.scalar(select(Programme).where(Programme.key == "foundation"))
    prog.approval = "admin"
    other = make_user(("trainee",), "second@example.com", name_latin="Second Holder")
    from lms.catalog import services as catalog
    from lms.demo import certified_holder
    certified_holder(other, world["teacher"], catalog.course_by_slug(F1))
    db.session.commit()
    cred = db.session.scalar(select(Credential).where(Credential.holder_id == other.id))
    assert cred.state == "pending" and cred.signed_json is None
    admin = _client(app, world["admin"])
    assert "Approve and issue" in admin.get("/admin/credentials").get_data(as_text=True)
    admin.post(f"/admin/credentials/{cred.public_id}/approve", data={})
    db.session.refresh(cred)
    assert cred.state == "active" and signing.verify(json.loads(cred.signed_json), keys.resolve).ok


def test_key_rotation_keeps_older_credentials_verifiable(app, world, runner):
    cred = world["cred"]
    result = runner.invoke(args=["keys", "create"])
    assert "created key-" in result.output
    did_doc = app.test_client().get("/.well-known/did.json").get_json()
    assert len(did_doc["verificationMethod"]) == 2 and did_doc["assertionMethod"] == [
        m["id"] for m in did_doc["verificationMethod"]]
    assert all(m["controller"] == did_doc["id"] for m in did_doc["verificationMethod"])
    assert signing.verify(json.loads(cred.signed_json), keys.resolve).ok
    kid, _ = keys.active_key()
    assert signing.the_proof(json.loads(cred.signed_json))["verificationMethod"] != keys.verification_method(kid)
    key_files = list(keys.keys_dir().glob("*.pem"))
    assert all((p.stat().st_mode & 0o077) == 0 for p in key_files)
    listing = runner.invoke(args=["credentials", "list"]).output
    assert listing.strip() == f"{cred.public_id}\tholder@example.com\tfoundation\tvalid"


@pytest.mark.skipif(js_verifier_missing() is not None, reason=js_verifier_missing() or "")
def test_issued_credentials_and_status_lists_pass_the_independent_verifier(app, world):
    cred = world["cred"]
    client = app.test_client()
    did_doc = client.get("/.well-known/did.json").get_json()
    good = json.loads(cred.signed_json)
    tampered = json.loads(cred.signed_json)
    tampered["credentialSubject"]["achievement"]["name"] = "Technology Transfer Manager — Expert"
    # every template the platform issues: one credential of each programme
    others = []
    for key in ("practitioner", "expert"):
        prog = db.session.scalar(select(Programme).where(Programme.key == key))
        other = Credential(holder=world["holder"], programme=prog, state="pending")
        db.session.add(other)
        db.session.flush()
        others.append(json.loads(svc.issue(other).signed_json))
    db.session.commit()
    lists = [client.get(f"/status/message/{cred.status_list}").get_json()]
    results = run_js_verifier(did_doc, lists, [good, tampered, *others])
    assert results[0]["verified"] and not results[0]["revoked"] and not results[0]["suspended"], results[0]
    assert not results[1]["verified"]
    assert all(r["verified"] and not r["revoked"] for r in results[2:]), results[2:]
    svc.revoke(world["admin"], cred, "test")
    db.session.commit()
    lists = [client.get(f"/status/message/{cred.status_list}").get_json()]
    (revoked,) = run_js_verifier(did_doc, lists, [good])
    assert revoked["verified"] and revoked["revoked"], revoked
    # an unknown key: the same credential checked against a DID document without our key
    stranger = keys.did_document()
    stranger["verificationMethod"][0]["publicKeyMultibase"] = signing.public_multibase(signing.generate_key().public_key())
    (unknown,) = run_js_verifier(stranger, lists, [good])
    assert not unknown["verified"]
    assert re.match(r"^did:web:", did_doc["id"])


def test_evidence_issued_during_a_chinese_request_reads_in_the_readers_language(app, world):
    """What met each requirement is stored as facts: a certificate issued while the holder browsed in Chinese
    shows English words to an English reader and Chinese words to a Chinese one."""
    holder = world["holder"]
    db.session.delete(world["cred"])
    db.session.commit()
    from flask_babel import force_locale, gettext
    with app.test_request_context("/certificates/check"), force_locale("zh_Hans"):
        assert gettext("not enrolled") != "not enrolled"          # the request does speak Chinese
        (cred,) = svc.check_and_issue(holder)
        cred.share_full = True
    db.session.commit()
    anon = app.test_client()
    english = anon.get(f"/v/{cred.public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Course completed: F1" in english and "Exam F1 final exam: at least 60%" in english
    assert re.search(r"completed on \d{4}-\d{2}-\d{2}", english) and re.search(r"grade \d+(\.\d+)?%", english)
    chinese = app.test_client().get(f"/v/{cred.public_id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    with app.test_request_context(), force_locale("zh_Hans"):
        course_done = gettext("Course completed: %(c)s %(t)s", c="F1", t="")
    assert course_done.strip() in chinese and "Course completed" not in chinese
    stored = cred.evidence_summary["requirements"]
    assert {r["kind"] for r in stored} >= {"course", "exam"} and all("label" not in r for r in stored)
    data = anon.get(f"/v/{cred.public_id}", headers={"Accept": "application/json"}).get_json()
    assert data["evidence"] == stored                                       # the API gives the facts


def test_evidence_stored_in_words_before_facts_is_still_shown_as_it_was(app, world):
    """A certificate issued before evidence was kept as facts holds the words of its issuing request: its
    public page still shows them (as they were written) rather than losing them."""
    cred = world["cred"]
    cred.share_full = True
    cred.evidence_summary = {"requirements": [{"label": "课程已完成：F1", "detail": "完成于 2026-01-02"}]}
    db.session.commit()
    page = app.test_client().get(f"/v/{cred.public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "How the requirements were met" in page and "课程已完成：F1 — 完成于 2026-01-02" in page
