"""Checking a document someone sends (upload, API, bulk): what the signature covers is shown, an equivalent copy
of a credential is the credential, and a document crafted to make canonicalisation slow is refused quickly."""
import io
import json
import time

import base58
import pytest

from lms.credentials import pdf, signing, verification
from lms.credentials import services as svc
from lms.credentials.profile import ISSUER_NAME
from lms.credentials.views import certificate_pdf_bytes
from lms.extensions import db
from tests.factories import login, make_user

OB = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def crafted(n: int, method: str = "did:web:lms.example.com#key-1", cred_id: str = "urn:uuid:1") -> dict:
    """An OB 3.0 credential of about 2 kB whose ``n`` blank nodes all point at one another: they all look alike,
    and RDF canonicalisation (URDNA2015) tries every ordering of them. With n = 9 pyld takes many minutes.
    ``method``: the verification method its proof names (one of our keys, for the check to go that far)."""
    issuer = method.split("#")[0]
    nodes = [{"id": f"_:n{i}", "https://example.org/knows": [{"id": f"_:n{j}"} for j in range(n) if j != i]}
             for i in range(n)]
    return {"@context": OB, "type": ["VerifiableCredential", "OpenBadgeCredential"], "id": cred_id,
            "issuer": issuer, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                "id": "urn:x", "type": ["Achievement"], "name": "x", "description": "x", "criteria": {"narrative": "x"}}},
            "@included": nodes,
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
                      "verificationMethod": method, "created": "2026-01-01T00:00:00Z",
                      "proofValue": "z" + base58.b58encode(bytes(64)).decode()}}


def _upload(client, data: bytes, name: str = "credential.json"):
    return client.post("/verify", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("claimed_id", [False, True])
def test_a_crafted_document_is_answered_within_a_second_or_two(app, world, claimed_id):  # noqa: F811
    doc = crafted(9, signing.the_proof(json.loads(world["cred"].signed_json))["verificationMethod"])
    if claimed_id:          # carrying the id of one of our credentials does not make it ours
        doc["id"] = f"http://lms.example.com/v/{world['cred'].public_id}"
    data = json.dumps(doc).encode()
    assert len(data) < 3_000
    start = time.monotonic()
    resp = _upload(app.test_client(), data)
    assert time.monotonic() - start < 2.0
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Not checked: this document is too large or too complex." in page
    assert "Checking its signature would take too long" in page and "Authentic" not in page


def test_documents_past_the_bounds_are_refused_before_any_canonicalisation(app, world, monkeypatch):  # noqa: F811
    from lms.credentials import signing

    def no_canonicalisation(*args, **kwargs):
        raise AssertionError("canonicalised")
    for name in ("canonize", "canonical_nquads", "checked_expansion"):
        monkeypatch.setattr(signing, name, no_canonicalisation)
    anon = app.test_client()
    page = _upload(anon, json.dumps(crafted(20)).encode()).get_data(as_text=True)      # 400 objects without an id
    assert "It holds more than 200 objects without an identifier." in page
    deep = crafted(1)
    deep["credentialSubject"]["achievement"]["description"] = json.loads("[" * 40 + "]" * 40)
    assert "It is nested more than 16 levels deep." in _upload(anon, json.dumps(deep).encode()).get_data(as_text=True)
    big = crafted(1)
    big["name"] = "x" * 200_000
    assert "It is larger than 131,072 bytes." in _upload(anon, json.dumps(big).encode()).get_data(as_text=True)
    # JSON nested deeper than the parser goes is not a credential (and not a server error)
    resp = _upload(anon, b"[" * 200_000)
    assert resp.status_code == 200 and "no signed credential found" in resp.get_data(as_text=True)


def test_our_own_credential_is_matched_without_canonicalising_the_upload(app, world, monkeypatch):  # noqa: F811
    """The upload is compared with the stored record first; the stored record is what gets verified."""
    from lms.credentials import signing
    seen = []
    real = signing.verify

    def spy(doc, *args, **kwargs):
        seen.append(doc)
        return real(doc, *args, **kwargs)
    monkeypatch.setattr(signing, "verify", spy)
    cred = world["cred"]
    upload = json.loads(cred.signed_json)
    report = verification.verify_document(upload)
    assert report.verdict == "valid" and len(seen) == 1 and seen[0] is not upload and seen[0] == upload


def test_anonymous_uploads_are_rate_limited_but_employers_are_not(app, world):  # noqa: F811
    app.config["ANONYMOUS_CHECK_LIMIT"] = "2 per hour"
    data = world["cred"].signed_json.encode()
    anon = app.test_client()
    assert [_upload(anon, data).status_code for _ in range(3)] == [200, 200, 429]
    assert anon.get("/verify").status_code == 200                      # the form itself is not limited
    employer = app.test_client()
    login(employer, make_user(("employer",), "hr@example.com").email)
    db.session.commit()
    assert [_upload(employer, data).status_code for _ in range(3)] == [200, 200, 200]


def _signed_section(page: str) -> str:
    return page[page.index("What the signature covers"):]


def test_the_result_shows_whom_and_what_the_signature_covers(app, world):  # noqa: F811
    cred = world["cred"]
    page = _upload(app.test_client(), certificate_pdf_bytes(cred), "certificate.pdf").get_data(as_text=True)
    assert "Authentic and valid." in page
    signed = _signed_section(page)
    for fact in ("刘洋", "Liu Yang", "Technology Transfer Manager — Foundation", "Foundation",
                 cred.valid_from.strftime("%Y-%m-%d"), cred.valid_until.strftime("%Y-%m-%d"),
                 ISSUER_NAME, "did:web:lms.example.com"):
        assert fact in signed, fact
    assert "Compare the name printed on the certificate with the holder's name above" in signed
    assert "Warning" not in signed


def test_a_pdf_whose_printed_name_was_changed_is_flagged(app, world, monkeypatch):  # noqa: F811
    """The attachment is genuine, the page shows another name: the result shows the signed name and warns
    that the PDF's text does not contain it."""
    cred = world["cred"]
    real = pdf.render
    forged = {}

    def render(data):
        forged.update(data, name_zh="王芳", name_latin="Wang Fang")
        return real(forged)
    monkeypatch.setattr(pdf, "render", render)
    data = certificate_pdf_bytes(cred)
    monkeypatch.undo()
    assert pdf.attached_credential(data) == json.loads(cred.signed_json) and "Wang Fang" in pdf.page_text(data)
    page = _upload(app.test_client(), data, "certificate.pdf").get_data(as_text=True)
    assert "Authentic and valid." in page           # the signed credential is genuine ...
    signed = _signed_section(page)
    assert "刘洋" in signed and "Liu Yang" in signed and "Wang Fang" not in signed
    assert "the text of this PDF does not contain the signed name 刘洋 · Liu Yang" in signed   # ... the page is not


def test_an_equivalent_copy_is_the_same_credential(app, world):  # noqa: F811
    cred = world["cred"]
    anon = app.test_client()
    doc = json.loads(cred.signed_json)
    # proof as an object (issued as a one-element array), keys in another order
    copy = {k: doc[k] for k in reversed(list(doc))}
    copy["proof"] = dict(reversed(list(doc["proof"][0].items())))
    page = _upload(anon, json.dumps(copy, ensure_ascii=False).encode()).get_data(as_text=True)
    assert "Authentic and valid." in page and "It is identical to the credential in our register." in page
    # the same signed content written differently (RDF types are a set): matched on proof value and content
    copy = json.loads(cred.signed_json)
    copy["type"] = list(reversed(copy["type"]))
    report = verification.verify_document(copy)
    assert report.verdict == "valid" and report.credential.id == cred.id and report.signed.names == ["刘洋", "Liu Yang"]
    # an altered copy is not
    copy["validUntil"] = "2099-01-01T00:00:00Z"
    page = _upload(anon, json.dumps(copy).encode()).get_data(as_text=True)
    assert "Not authentic" in page and f"It differs from the credential {cred.public_id} in our register." in page
    assert "What the signature covers" not in page


def test_the_api_checks_documents_and_urls_as_the_upload_does(app, world):  # noqa: F811
    from lms.employers.services import create_key
    cred = world["cred"]
    _key, secret = create_key(make_user(("employer",), "hr@example.com"), "ERP")
    db.session.commit()
    api = app.test_client()
    genuine = json.loads(cred.signed_json)
    genuine["proof"] = genuine["proof"][0]          # the proof as an object: the same credential
    altered = json.loads(cred.signed_json)
    altered["credentialSubject"]["identifier"][1]["identityHash"] = "王芳"
    bomb = crafted(9, genuine["proof"]["verificationMethod"])
    start = time.monotonic()
    resp = api.post("/api/v1/verify", headers={"Authorization": f"Bearer {secret}"}, json={
        "ids": [f"http://lms.example.com/v/{cred.public_id}"], "credentials": [genuine, altered, bomb, {"a": 1}]})
    assert time.monotonic() - start < 3.0
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["results"][0]["id"] == cred.public_id and data["results"][0]["status"] == "valid"
    ok, bad, refused, other = data["documents"]
    assert ok["verdict"] == "valid" and ok["authentic"] and ok["id"] == cred.public_id and ok["status"] == "valid"
    assert ok["signed"]["names"] == ["刘洋", "Liu Yang"] and ok["signed"]["level"] == "TTM-F"
    assert ok["signed"]["issuer"] == {"id": "did:web:lms.example.com", "name": ISSUER_NAME}
    assert ok["signed"]["validUntil"] == svc.stamp(cred.valid_until)
    assert {c["check"]: c["ok"] for c in ok["checks"]}["record"] is True
    assert bad["verdict"] == "tampered" and "signed" not in bad
    assert {c["check"]: c["ok"] for c in bad["checks"]} == {"format": True, "signature": False, "issuer": True,
                                                            "schema": True, "record": False}   # altered, still well-formed
    assert refused["verdict"] == "refused" and refused["refused"]["bound"] == "steps" and not refused["authentic"]
    assert other["verdict"] == "tampered" and other["checks"][0]["check"] == "format"
    assert data["counts"] == {"valid": 2, "tampered": 2, "refused": 1}
    too_many = api.post("/api/v1/verify", headers={"Authorization": f"Bearer {secret}"},
                        json={"credentials": [genuine] * 21})
    assert too_many.status_code == 400 and "at most 20 credentials" in too_many.get_json()["error"]
    assert api.post("/api/v1/verify", headers={"Authorization": f"Bearer {secret}"}, json={}).status_code == 400


def test_a_pdf_page_too_large_to_read_is_not_read_and_gets_the_warning(app, world, monkeypatch):  # noqa: F811
    """Text extraction is slow on huge pages: past the bound the page is not read, and its text cannot vouch
    for the name."""
    monkeypatch.setattr(pdf, "MAX_PAGE_CONTENT", 1_000)              # a certificate's page is about 20 kB
    data = certificate_pdf_bytes(world["cred"])
    assert pdf.page_text(data) is None
    page = _upload(app.test_client(), data, "certificate.pdf").get_data(as_text=True)
    assert "Authentic and valid." in page
    assert "the text of this PDF does not contain the signed name 刘洋 · Liu Yang" in page


def test_a_report_holds_facts_worded_in_the_reader_s_language(app, world):  # noqa: F811
    """The checks say what was found; the words are made where they are shown: one report reads in English and in
    Chinese, and the API gives its messages in the language the request asks for."""
    from flask_babel import force_locale

    from lms.credentials.report_words import check_message
    cred = world["cred"]
    altered = json.loads(cred.signed_json)
    altered["validUntil"] = "2099-01-01T00:00:00Z"
    report = verification.verify_document(altered)
    record = next(c for c in report.checks if c.name == "record")
    assert not record.ok and record.values["id"] == cred.public_id
    with force_locale("en"):
        assert check_message(record) == f"It differs from the credential {cred.public_id} in our register."
    with force_locale("zh_Hans"):
        assert check_message(record) == f"与本中心证书登记簿中的数字证书 {cred.public_id} 不一致。"
    for language, words in (("en", "It differs from the credential"), ("zh-CN", "不一致")):
        resp = app.test_client().post("/api/v1/verify", headers={"Accept-Language": language},
                                      json={"credentials": [altered]})
        messages = {c["check"]: c["message"] for c in resp.get_json()["documents"][0]["checks"]}
        assert words in messages["record"] and cred.public_id in messages["record"]
