"""Into the holder's wallet: OID4VCI 1.0 pre-authorized code flow, proofs of possession, wallet-bound copies."""
from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from lms.credentials import services as credentials
from lms.credentials.verification import verify_document
from lms.db import utcnow
from lms.extensions import db
from lms.wallet import services as svc
from lms.wallet.models import WalletCredential, WalletOffer
from tests.factories import client_of, make_user
from tests.factories.wallets import Wallet

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _offer(holder):
    made = svc.make_offer(holder["user"], holder["cred"])
    db.session.commit()
    grant = made.offer["grants"][GRANT]
    return grant["pre-authorized_code"], made.pin


def _token(client, code, pin):
    return client.post("/oid4vci/token", data={"grant_type": GRANT, "pre-authorized_code": code, "tx_code": pin})


def _nonce(client):
    return client.post("/oid4vci/nonce").get_json()["c_nonce"]


def _request(client, token, proof):
    return client.post("/oid4vci/credential", headers={"Authorization": f"Bearer {token}"},
                       json={"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [proof]}})


def test_the_metadata_name_the_endpoints_and_our_credential(app):
    client = app.test_client()
    base = app.config["LMS_BASE_URL"]
    meta = client.get("/.well-known/openid-credential-issuer").get_json()
    assert meta["credential_issuer"] == base
    assert meta["credential_endpoint"] == base + "/oid4vci/credential"
    assert meta["nonce_endpoint"] == base + "/oid4vci/nonce"
    config = meta["credential_configurations_supported"]["OpenBadgeCredential"]
    assert config["format"] == "ldp_vc" and config["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256", "EdDSA"]
    assert "OpenBadgeCredential" in config["credential_definition"]["type"]
    assert {d["locale"] for d in config["credential_metadata"]["display"]} == {"en", "zh-Hans"}
    oauth = client.get("/.well-known/oauth-authorization-server").get_json()
    assert oauth["issuer"] == base and oauth["token_endpoint"] == base + "/oid4vci/token"
    assert oauth["grant_types_supported"] == [GRANT]


def test_only_the_holder_sees_an_offer_with_a_qr_code_and_a_pin(app, holder):
    cred = holder["cred"]
    page = client_of(app, holder["user"]).get("/certificates").get_data(as_text=True)
    assert f"/certificates/{cred.public_id}/wallet" in page and "Add to a wallet" in page
    owner = client_of(app, holder["user"])
    made = owner.post(f"/certificates/{cred.public_id}/wallet", data={}).get_data(as_text=True)
    assert "<svg" in made and "openid-credential-offer://?credential_offer_uri=" in made
    pin = re.search(r'class="pin code"[^>]*>(\d{6})<', made).group(1)
    uri = re.search(r'href="(openid-credential-offer://[^"]+)"', made).group(1).replace("&amp;", "&")
    offer_uri = unquote(parse_qs(urlsplit(uri).query)["credential_offer_uri"][0])
    assert offer_uri.startswith(app.config["LMS_BASE_URL"] + "/oid4vci/offers/")
    offer_path = urlsplit(offer_uri).path
    offer = app.test_client().get(offer_path).get_json()
    code = offer["grants"][GRANT]["pre-authorized_code"]
    assert offer["credential_issuer"] == app.config["LMS_BASE_URL"] and len(code) >= 43
    assert offer["grants"][GRANT]["tx_code"] == {"input_mode": "numeric", "length": 6,
                                                 "description": offer["grants"][GRANT]["tx_code"]["description"]}
    # the database keeps neither the code nor the PIN
    row = db.session.scalar(select(WalletOffer))
    assert code not in (row.code_hash, row.tx_code_hash) and pin not in row.tx_code_hash
    for person in (make_user(("trainee",), "other@example.com"), holder["admin"]):
        other = client_of(app, person)
        assert other.get(f"/certificates/{cred.public_id}/wallet").status_code == 404
        assert other.post(f"/certificates/{cred.public_id}/wallet", data={}).status_code == 404
    assert app.test_client().get(f"/certificates/{cred.public_id}/wallet").status_code == 302
    # once redeemed, the offer is no longer served
    assert _token(app.test_client(), code, pin).status_code == 200
    assert app.test_client().get(offer_path).status_code == 404
    assert app.test_client().get("/oid4vci/offers/" + "A" * 32).status_code == 404


def test_no_offer_for_a_certificate_not_in_force(app, holder):
    cred = holder["cred"]
    credentials.suspend(holder["admin"], cred, "under review")
    db.session.commit()
    owner = client_of(app, holder["user"])
    assert "Add to a wallet" not in owner.get("/certificates").get_data(as_text=True)
    assert "Only a certificate in force" in owner.get(f"/certificates/{cred.public_id}/wallet").get_data(as_text=True)
    assert owner.post(f"/certificates/{cred.public_id}/wallet", data={}).status_code == 403
    assert db.session.scalar(select(WalletOffer)) is None


def test_a_wallet_receives_a_copy_bound_to_its_key_that_our_verifier_accepts(app, holder):
    client = app.test_client()
    code, pin = _offer(holder)
    answer = _token(client, code, pin)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    token = answer.get_json()["access_token"]
    wallet = Wallet.new("ES256")
    resp = _request(client, token, wallet.proof(app.config["LMS_BASE_URL"], _nonce(client)))
    assert resp.status_code == 200, resp.get_json()
    copy = resp.get_json()["credentials"][0]["credential"]
    assert copy["credentialSubject"]["id"] == wallet.did
    assert copy["id"].startswith("urn:uuid:")
    stored = json.loads(holder["cred"].signed_json)
    assert copy["credentialStatus"] == stored["credentialStatus"]
    report = verify_document(copy)
    assert report.verdict == "valid" and report.credential.id == holder["cred"].id
    row = db.session.scalar(select(WalletCredential))
    assert json.loads(row.signed_json) == copy and row.subject_did == wallet.did
    page = client_of(app, holder["user"]).get(f"/certificates/{holder['cred'].public_id}/wallet")
    assert wallet.did[:40] in page.get_data(as_text=True)
    # the token is single use: a second request is refused
    again = _request(client, token, wallet.proof(app.config["LMS_BASE_URL"], _nonce(client)))
    assert again.status_code == 401 and again.get_json()["error"] == "invalid_token"
    # revoking the certificate revokes the wallet's copy
    credentials.revoke(holder["admin"], holder["cred"], "obtained by fraud")
    db.session.commit()
    assert verify_document(copy).verdict == "revoked"
    tampered = {**copy, "credentialSubject": {**copy["credentialSubject"], "id": Wallet.new().did}}
    assert verify_document(tampered).verdict == "tampered"


def test_a_code_is_refused_when_reused_expired_or_with_a_wrong_pin(app, holder):
    client = app.test_client()
    code, pin = _offer(holder)
    wrong = "0" * 6 if pin != "0" * 6 else "1" * 6
    refused = _token(client, code, wrong)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    missing = client.post("/oid4vci/token", data={"grant_type": GRANT, "pre-authorized_code": code})
    assert missing.get_json()["error"] == "invalid_request"
    assert _token(client, code, pin).status_code == 200
    reused = _token(client, code, pin)
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    # an expired code
    code, pin = _offer(holder)
    row = db.session.scalar(select(WalletOffer).where(WalletOffer.state == "offered"))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _token(client, code, pin).get_json()["error"] == "invalid_grant"
    # a new offer cancels the one before; five wrong PINs close an offer
    first, first_pin = _offer(holder)
    code, pin = _offer(holder)
    assert _token(client, first, first_pin).get_json()["error"] == "invalid_grant"
    for _ in range(svc.WRONG_PINS):
        assert _token(client, code, wrong).status_code == 400
    assert _token(client, code, pin).get_json()["error"] == "invalid_grant"
    other = client.post("/oid4vci/token", data={"grant_type": "authorization_code", "code": "x"})
    assert other.get_json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("fault", ["nonce", "aud", "iat", "typ", "no-nonce", "key"])
def test_a_proof_with_a_wrong_nonce_aud_time_type_or_key_is_refused(app, holder, fault):
    client = app.test_client()
    code, pin = _offer(holder)
    token = _token(client, code, pin).get_json()["access_token"]
    wallet, base = Wallet.new(), app.config["LMS_BASE_URL"]
    nonce = _nonce(client)
    proof = {"nonce": lambda: wallet.proof(base, nonce[:-2] + ("AA" if not nonce.endswith("AA") else "BB")),
             "aud": lambda: wallet.proof("https://another-issuer.example", nonce),
             "iat": lambda: wallet.proof(base, nonce, iat=time.time() - 3600),
             "typ": lambda: wallet.proof(base, nonce, typ="JWT"),
             "no-nonce": lambda: wallet.proof(base, None),
             "key": lambda: wallet.proof(base, nonce)[:-4] + "AAAA"}[fault]()
    resp = _request(client, token, proof)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == ("invalid_nonce" if fault in ("nonce", "no-nonce") else "invalid_proof")
    assert db.session.scalar(select(WalletCredential)) is None
    # the token was not spent on a refused proof
    assert _request(client, token, wallet.proof(base, _nonce(client))).status_code == 200


def test_the_credential_endpoint_needs_a_bearer_token_and_bounds_the_request(app, holder):
    client = app.test_client()
    resp = client.post("/oid4vci/credential", json={})
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert _request(client, "x" * 300, "a.b.c").status_code == 401
    code, pin = _offer(holder)
    token = _token(client, code, pin).get_json()["access_token"]
    assert _request(client, token, "x" * 9000).get_json()["error"] == "invalid_proof"
    big = client.post("/oid4vci/credential", headers={"Authorization": f"Bearer {token}"},
                      data="x" * 20_000, content_type="application/json")
    assert big.status_code == 413


def test_a_certificate_revoked_after_the_offer_is_not_issued(app, holder):
    client = app.test_client()
    code, pin = _offer(holder)
    token = _token(client, code, pin).get_json()["access_token"]
    credentials.revoke(holder["admin"], holder["cred"], "obtained by fraud")
    db.session.commit()
    resp = _request(client, token, Wallet.new().proof(app.config["LMS_BASE_URL"], _nonce(client)))
    assert resp.status_code == 400 and resp.get_json()["error"] == "credential_request_denied"
    assert db.session.scalar(select(WalletCredential)) is None
    assert "Add to a wallet" not in client_of(app, holder["user"]).get("/certificates").get_data(as_text=True)


def test_offers_and_the_oauth_endpoints_are_rate_limited(app, holder):
    owner = client_of(app, holder["user"])
    url = f"/certificates/{holder['cred'].public_id}/wallet"
    answers = [owner.post(url, data={}).status_code for _ in range(21)]
    assert answers[:20] == [200] * 20 and answers[20] == 429
    assert len(db.session.scalars(select(WalletOffer).where(WalletOffer.state == "offered")).all()) == 1
    client = app.test_client()
    answers = [client.post("/oid4vci/token", data={"grant_type": GRANT, "pre-authorized_code": "x",
                                                   "tx_code": "1"}).status_code for _ in range(31)]
    assert answers[:30] == [400] * 30 and answers[30] == 429
