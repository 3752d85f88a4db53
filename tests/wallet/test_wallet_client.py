"""The independent client in CI: OpenWallet Foundation's @openid4vc/openid4vci (npm, pinned in package.json)
receives the certificate from the running app through OID4VCI 1.0 (tests/wallet/wallet.mjs), and the copy it
receives passes our verifier and Digital Bazaar's (tests/credentials/verify.mjs)."""
from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from lms.credentials import keys
from lms.credentials import services as credentials
from lms.credentials.verification import verify_document
from lms.extensions import db
from tests.factories import client_of
from tests.factories.jsverify import run_js_verifier, status_lists_of
from tests.factories.wallets import run_wallet_client, wallet_client_missing


@pytest.fixture
def served(app):
    """The app on 127.0.0.1 (the test's database transaction, a thread of its own), its base URL the server's."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LMS_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["LMS_BASE_URL"]
    server.shutdown()
    thread.join(5)


@pytest.mark.skipif(wallet_client_missing() is not None, reason=wallet_client_missing() or "")
def test_an_independent_wallet_receives_a_credential_that_verifies(app, holder, served):
    cred = holder["cred"]
    page = client_of(app, holder["user"]).post(f"/certificates/{cred.public_id}/wallet", data={}).get_data(as_text=True)
    offer = re.search(r'href="(openid-credential-offer://[^"]+)"', page).group(1).replace("&amp;", "&")
    pin = re.search(r'class="pin code"[^>]*>(\d{6})<', page).group(1)
    got = run_wallet_client(offer, pin)
    assert got["version"] == "V1"                       # the client read our metadata as OID4VCI 1.0
    assert got["wrongPin"] and "invalid_grant" in got["wrongPin"]
    assert got["reuse"] and "invalid_grant" in got["reuse"]
    copy = got["credential"]
    assert copy["credentialSubject"]["id"] == got["did"] and got["did"].startswith("did:jwk:")
    assert verify_document(copy).verdict == "valid"
    client = app.test_client()
    did_doc = client.get("/.well-known/did.json").get_json()
    (result,) = run_js_verifier(did_doc, status_lists_of(client, [copy]), [copy])
    assert result["verified"] and not result["revoked"] and not result["suspended"], result
    credentials.revoke(holder["admin"], cred, "obtained by fraud")
    db.session.commit()
    (result,) = run_js_verifier(did_doc, status_lists_of(client, [copy]), [copy])
    assert result["verified"] and result["revoked"], result
    assert keys.did() == copy["issuer"]["id"]
