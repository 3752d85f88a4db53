"""One status entry per credential (purpose "message", two bits: revoked, suspended), and credentials issued
before it (two entries, a revocation and a suspension list) still revoked and suspended where they look."""
from __future__ import annotations

import json

from sqlalchemy import update

from lms.credentials import keys, signing, status_store, statuslist, verification
from lms.credentials import services as svc
from lms.credentials.models import Credential
from lms.extensions import db
from tests.factories.jsverify import run_js_verifier


def _encoded(client, purpose: str, number: int) -> str:
    listing = client.get(f"/status/{purpose}/{number}").get_json()
    assert signing.verify(listing, keys.resolve).ok
    assert listing["credentialSubject"]["statusPurpose"] == purpose
    return listing["credentialSubject"]["encodedList"]


def test_suspension_is_reversible_and_revocation_permanent_in_the_one_entry(app, world):
    cred, admin, client = world["cred"], world["admin"], app.test_client()
    number, index = cred.status_list, cred.status_index
    assert statuslist.entry_value(_encoded(client, "message", number), index, 2) == 0
    svc.suspend(admin, cred, "audit")
    db.session.commit()
    assert statuslist.entry_value(_encoded(client, "message", number), index, 2) == 0b01
    assert verification.verify_document(json.loads(cred.signed_json)).verdict == "suspended"
    svc.unsuspend(admin, cred, "audit passed")
    db.session.commit()
    assert statuslist.entry_value(_encoded(client, "message", number), index, 2) == 0
    svc.suspend(admin, cred, "audit again")
    svc.revoke(admin, cred, "misconduct")
    db.session.commit()
    value = statuslist.entry_value(_encoded(client, "message", number), index, 2)
    assert value == 0b11 and statuslist.message_state(value) == "revoked"
    assert verification.verify_document(json.loads(cred.signed_json)).verdict == "revoked"
    # no other list was opened for it
    assert client.get(f"/status/revocation/{number}").status_code == 404


def _issued_before(cred: Credential) -> dict:
    """``cred`` as it was issued before this change: a revocation and a suspension entry, the proof an object.
    Written with a Core update, as such a row already is in the database (it is not issued by the test)."""
    doc = {k: v for k, v in json.loads(cred.signed_json).items() if k != "proof"}
    doc["credentialStatus"] = [
        statuslist.entry(status_store.list_url(p, cred.status_list), p, cred.status_index) for p in ("revocation", "suspension")]
    kid, key = keys.active_key()
    signed = signing.sign(doc, key, keys.verification_method(kid), svc.stamp(cred.valid_from))
    signed["proof"] = signed["proof"][0]
    db.session.execute(update(Credential).where(Credential.id == cred.id).values(signed_json=json.dumps(signed)))
    for purpose in ("revocation", "suspension"):       # opened at its issue, as every list then was
        status_store._list_row(purpose, cred.status_list)
    db.session.commit()
    db.session.refresh(cred)
    return signed


def test_a_credential_issued_with_two_entries_is_suspended_and_revoked_in_its_own_lists(app, world):
    cred, admin, client = world["cred"], world["admin"], app.test_client()
    old = _issued_before(cred)
    number, index = cred.status_list, cred.status_index
    assert verification.verify_document(old).verdict == "valid"
    svc.suspend(admin, cred, "audit")
    db.session.commit()
    assert statuslist.is_set(_encoded(client, "suspension", number), index)
    assert not statuslist.is_set(_encoded(client, "revocation", number), index)
    assert statuslist.entry_value(_encoded(client, "message", number), index, 2) == 0      # not its list
    report = verification.verify_document(old)
    assert report.verdict == "suspended" and not next(c for c in report.checks if c.name == "suspension").ok
    svc.unsuspend(admin, cred)
    svc.revoke(admin, cred, "misconduct")
    db.session.commit()
    lists = [client.get(f"/status/{p}/{number}").get_json() for p in ("revocation", "suspension")]
    assert statuslist.is_set(lists[0]["credentialSubject"]["encodedList"], index)
    assert not statuslist.is_set(lists[1]["credentialSubject"]["encodedList"], index)
    assert verification.verify_document(old).verdict == "revoked"
    [independent] = run_js_verifier(keys.did_document(), lists, [old])
    assert independent["verified"] and independent["revoked"] and not independent["suspended"], independent
