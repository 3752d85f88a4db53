"""/verify and the employers' API accept a verifiable presentation holding credentials, as well as a bare
credential: each credential inside is checked as an upload is, and the presentation's holder and signature are
reported (lms/credentials/presentation.py)."""
from __future__ import annotations

import copy
import io
import json

from lms.credentials import presentation
from lms.employers.services import create_key
from lms.extensions import db
from tests.factories import make_user
from tests.factories.presentations import holder_key
from tests.factories.presentations import presentation as wrap

CRED = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "id": "urn:x:1"}


def test_the_credentials_in_a_document_and_what_a_presentation_says():
    assert presentation.credentials_in(CRED) == [CRED]
    assert presentation.credentials_in([CRED]) == [] and presentation.presentation_facts(CRED) is None
    held = [{**CRED, "id": f"urn:x:{i}"} for i in range(7)]
    vp = wrap([*held, "not an object", {"type": ["EnvelopedVerifiableCredential"], "id": "data:x"}], sign=False)
    assert presentation.credentials_in(vp) == held[:presentation.MAX_CREDENTIALS]
    facts = presentation.presentation_facts(vp)
    assert facts.count == 9 and facts.more and not facts.has_proof and facts.proof_verified is None
    assert presentation.credentials_in({**vp, "verifiableCredential": CRED}) == [CRED]


def test_a_did_key_holders_signature_is_verified_and_a_changed_presentation_is_not():
    vp = wrap([CRED])
    facts = presentation.presentation_facts(vp)
    assert facts.holder.startswith("did:key:z6Mk") and facts.has_proof and facts.proof_verified is True, facts
    changed = copy.deepcopy(vp)
    changed["verifiableCredential"][0]["id"] = "urn:x:2"
    facts = presentation.presentation_facts(changed)
    assert facts.proof_verified is False and "the signature does not match the content" in facts.errors
    # a signature by another key than the holder's
    _key, other, _method = holder_key()
    stolen = {**vp, "holder": other}
    assert presentation.presentation_facts(stolen).proof_verified is False
    # a holder that is not a did:key: reported, not checked
    web = {**vp, "holder": "did:web:partner.example"}
    assert presentation.presentation_facts(web).proof_verified is None


def _verify(client, **data):
    return client.post("/verify", data=data, content_type="multipart/form-data").get_data(as_text=True)


def test_verify_accepts_a_pasted_or_uploaded_presentation_and_reports_each_credential(app, world):
    doc = json.loads(world["cred"].signed_json)
    altered = copy.deepcopy(doc)
    altered["validUntil"] = "2099-01-01T00:00:00Z"
    # another achievement too: two copies of one credential in one presentation are past the canonicalisation
    # bound of the holder's signature (their blank nodes are alike; the presentation's words say "not checked")
    altered["credentialSubject"]["achievement"]["id"] += "?lang=xx"
    vp = wrap([doc, altered])
    anon = app.test_client()
    for page in (_verify(anon, credential=json.dumps(vp)),
                 _verify(anon, file=(io.BytesIO(json.dumps(vp).encode()), "presentation.json"))):
        assert "A verifiable presentation holding 2 credential(s)." in page
        assert f"Presented by {vp['holder']}." in page
        assert "The holder&#39;s signature on the presentation verifies." in page
        assert "Credential 1 of 2" in page and "Credential 2 of 2" in page
        assert "Authentic and valid." in page and "Not authentic" in page
        assert "It conforms to the official Open Badges 3.0 schema." in page
    # a bare credential pasted
    page = _verify(anon, credential=json.dumps(doc))
    assert "Authentic and valid." in page and "Presentation" not in page
    # an unsigned presentation, and one holding nothing to check
    page = _verify(anon, credential=json.dumps(wrap([doc], sign=False)))
    assert "The presentation is not signed by its holder." in page and "Authentic and valid." in page
    page = _verify(anon, credential=json.dumps(wrap([], sign=False)))
    assert "the presentation holds no credential that can be checked here" in page


def test_verify_refuses_pasted_text_past_its_bound(app):
    page = _verify(app.test_client(), credential="{" + " " * 500_001 + "}")
    assert "The pasted text is longer than 500,000 characters" in page


def test_the_api_answers_for_each_credential_of_a_presentation(app, world):
    _key, secret = create_key(make_user(("employer",), "hr@example.com"), "ERP")
    db.session.commit()
    doc = json.loads(world["cred"].signed_json)
    api = app.test_client()
    resp = api.post("/api/v1/verify", headers={"Authorization": f"Bearer {secret}"},
                    json={"credentials": [wrap([doc]), doc]})
    assert resp.status_code == 200, resp.get_json()
    first, second = resp.get_json()["documents"]
    assert first["presentation"]["signatureVerified"] is True and first["presentation"]["credentials"] == 1
    assert [d["verdict"] for d in first["documents"]] == ["valid"] and second["verdict"] == "valid"
    assert resp.get_json()["counts"] == {"valid": 2}
    too_many = api.post("/api/v1/verify", headers={"Authorization": f"Bearer {secret}"},
                        json={"credentials": [wrap([doc] * 5, sign=False)] * 5})
    assert too_many.status_code == 400 and "counting those in presentations" in too_many.get_json()["error"]
