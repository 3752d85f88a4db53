"""The pages: an administrator registers a partner through the forms; a trainee submits credentials and reads the
reason of a refusal in their language; an administrator confirms; the eligibility page says by what a requirement
is met."""
import io
import json

import pytest
from sqlalchemy import select

from lms.accounts.models import AuditEvent
from lms.credentials import signing
from lms.extensions import db
from lms.recognition.models import Partner, RecognitionRequest, RequestState
from tests.factories import login, make_user
from tests.factories import partners as pf
from tests.factories.content import F1


@pytest.fixture
def people(app, loaded):
    return {"admin": make_user(("admin",), "admin@example.com"), "trainee": make_user(("trainee",), "t@example.com")}


def _register_through_the_forms(client, key) -> Partner:
    assert client.post("/admin/partners", data={"name_en": "Partner Body", "name_zh": "合作机构", "country": "GB",
                                                "website": "https://partner.example.org"}).status_code == 302
    partner = db.session.scalar(select(Partner))
    url = f"/admin/partners/{partner.public_id}"
    did_document = {"id": pf.PARTNER_DID, "verificationMethod": [
        {"id": "#key-1", "type": "Multikey", "publicKeyMultibase": signing.public_multibase(key.public_key())}]}
    client.post(url, data={"what": "did", "did_document": (io.BytesIO(json.dumps(did_document).encode()), "did.json")},
                content_type="multipart/form-data")
    client.post(url, data={"what": "rule", "match_kind": "achievement_id", "match_value": pf.ACHIEVEMENT,
                           "grant_kind": "course", "target": F1, "level": "", "valid_until": "2099-12-31"})
    page = client.get(url).get_data(as_text=True)
    assert pf.PARTNER_DID in page and pf.METHOD in page and F1 in page
    return partner


def test_registering_submitting_confirming_and_the_eligibility_page(app, people):
    admin, trainee = app.test_client(), app.test_client()
    login(admin, "admin@example.com")
    key = signing.generate_key()
    partner = _register_through_the_forms(admin, key)
    assert {a.action for a in db.session.scalars(select(AuditEvent))} >= {
        "partner.save", "partner.issuer.add", "partner.key.add", "partner.rule.add"}

    login(trainee, "t@example.com")
    stranger = pf.signed(pf.credential(issuer="did:web:stranger.example.com"), signing.generate_key(),
                         "did:web:stranger.example.com#k")
    trainee.post("/recognition", data={"text": json.dumps(stranger)})
    page = trainee.get("/recognition").get_data(as_text=True)
    assert "Its issuer is not one of our registered partners." in page
    trainee.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    assert "其颁发者不是本平台登记的合作机构。" in trainee.get("/recognition").get_data(as_text=True)

    upload = (io.BytesIO(json.dumps(pf.signed(pf.credential(), key)).encode()), "badge.json")
    trainee.post("/recognition", data={"file": upload}, content_type="multipart/form-data")
    pending = db.session.scalar(select(RecognitionRequest).where(RecognitionRequest.state == RequestState.PENDING))
    assert pending is not None and pending.partner_id == partner.id
    queue = admin.get("/admin/recognition").get_data(as_text=True)
    assert "exemption from the course" in queue and "Licensing Fundamentals" in queue

    assert admin.post(f"/admin/recognition/{pending.public_id}/decide", data={"decision": "confirm"}).status_code == 302
    db.session.refresh(pending)
    assert pending.state == RequestState.CONFIRMED
    page = trainee.get("/certificates").get_data(as_text=True)
    assert "已通过认可合作机构的“Licensing Fundamentals”满足" in page
    trainee.post("/lang", data={"lang": "en", "next": "/"})
    page = trainee.get("/certificates").get_data(as_text=True)
    assert "met by recognition of Partner Body's Licensing Fundamentals" in page.replace("&#39;", "'"), page[page.find("requirements"):][:3000]


def test_a_refusal_needs_a_reason_and_the_trainee_reads_it(app, people):
    admin, trainee = app.test_client(), app.test_client()
    login(admin, "admin@example.com")
    key = signing.generate_key()
    pf.register_partner(people["admin"], key)
    db.session.commit()
    login(trainee, "t@example.com")
    trainee.post("/recognition", data={"text": json.dumps(pf.signed(pf.credential(), key))})
    req = db.session.scalar(select(RecognitionRequest))
    admin.post(f"/admin/recognition/{req.public_id}/decide", data={"decision": "refuse", "reason": ""})
    db.session.refresh(req)
    assert req.state == RequestState.PENDING
    admin.post(f"/admin/recognition/{req.public_id}/decide",
               data={"decision": "refuse", "reason": "The name differs from your account's."})
    assert "The name differs from your account&#39;s." in trainee.get("/recognition").get_data(as_text=True)


def test_a_partners_rule_can_be_removed_and_only_by_its_partner(app, people):
    admin = app.test_client()
    login(admin, "admin@example.com")
    partner = pf.register_partner(people["admin"], signing.generate_key())
    db.session.commit()
    rule = partner.rules[0]
    assert admin.post(f"/admin/partners/{partner.public_id}/rule/{'0' * 32}/remove").status_code == 404
    assert admin.post(f"/admin/partners/{partner.public_id}/rule/{rule.public_id}/remove").status_code == 302
    db.session.refresh(partner)
    assert partner.rules == []


def test_a_trainee_sees_nobody_elses_requests(app, people):
    key = signing.generate_key()
    pf.register_partner(people["admin"], key)
    make_user(("trainee",), "t2@example.com")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    login(first, "t@example.com")
    login(second, "t2@example.com")
    first.post("/recognition", data={"text": json.dumps(pf.signed(pf.credential(), key))})
    assert "Licensing Fundamentals" in first.get("/recognition").get_data(as_text=True)
    assert "Licensing Fundamentals" not in second.get("/recognition").get_data(as_text=True)


def test_an_administrator_keeps_a_partners_status_list_and_submissions_use_it(app, people):
    admin, trainee = app.test_client(), app.test_client()
    login(admin, "admin@example.com")
    login(trainee, "t@example.com")
    key = signing.generate_key()
    partner = pf.register_partner(people["admin"], key)
    db.session.commit()
    url = f"/admin/partners/{partner.public_id}"
    forged = json.dumps(pf.status_list(signing.generate_key(), revoked=(3,))).encode()
    admin.post(url, data={"what": "status_list", "status_list": (io.BytesIO(forged), "list.json")},
               content_type="multipart/form-data")
    assert pf.LIST_URL not in admin.get(url).get_data(as_text=True)
    real = json.dumps(pf.status_list(key, revoked=(3,))).encode()
    admin.post(url, data={"what": "status_list", "status_list": (io.BytesIO(real), "list.json")},
               content_type="multipart/form-data")
    assert pf.LIST_URL in admin.get(url).get_data(as_text=True)
    trainee.post("/recognition", data={"text": json.dumps(pf.signed(pf.credential(status_index=3), key))})
    assert "The partner has revoked it." in trainee.get("/recognition").get_data(as_text=True)


def test_every_refusal_reason_has_its_words_in_both_languages(app):
    from flask import render_template_string
    from flask_babel import force_locale

    from lms.recognition.checking import REFUSALS
    source = '{% from "recognition/_words.html" import refusal %}{{ refusal(code) }}'
    with app.test_request_context():
        for code in REFUSALS:
            english = render_template_string(source, code=code).strip()
            with force_locale("zh_Hans"):
                chinese = render_template_string(source, code=code).strip()
            assert english != code and chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), code


def test_a_partners_details_identifiers_and_keys_are_edited_through_the_page(app, people):
    admin = app.test_client()
    login(admin, "admin@example.com")
    partner = pf.register_partner(people["admin"], signing.generate_key())
    db.session.commit()
    url = f"/admin/partners/{partner.public_id}"
    admin.post(url, data={"what": "details", "name_en": "Partner Body Ltd", "name_zh": "", "country": "de",
                          "website": ""})
    admin.post(url, data={"what": "issuer", "identifier": "https://partner.example.org/issuer"})
    admin.post(url, data={"what": "key", "method": f"{pf.PARTNER_DID}#jwt-2", "material": pf.public_jwk(pf.jwk_key())})
    bad = admin.post(url, data={"what": "issuer", "identifier": "mailto:x"}, follow_redirects=True)
    assert "An issuer identifier is a did:web, a did:key or an https:// address." in bad.get_data(as_text=True)
    db.session.refresh(partner)
    assert (partner.name_en, partner.country, partner.website) == ("Partner Body Ltd", "DE", None)
    assert [i.identifier for i in partner.issuers] == [pf.PARTNER_DID, "https://partner.example.org/issuer"]
    assert [k.kind.value for k in partner.keys] == ["multikey", "jwk"]
    admin.post(f"{url}/key/{partner.keys[0].public_id}/remove")
    admin.post(f"{url}/issuer/{partner.issuers[0].public_id}/remove")
    db.session.refresh(partner)
    assert [k.kind.value for k in partner.keys] == ["jwk"] and len(partner.issuers) == 1
    actions = [a.action for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"partner.key.remove", "partner.issuer.remove", "partner.save"} <= set(actions)
