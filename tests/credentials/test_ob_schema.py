"""Every credential we issue passes 1EdTech's official Open Badges 3.0 AchievementCredential schema.

The autouse fixture in tests/conftest.py checks every credential any test issues; these tests check the
check itself, and the demo's credentials."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lms.credentials import keys, schemas, signing, statuslist
from lms.credentials.models import Credential
from lms.extensions import db
from tests.factories import obschema
from tests.factories.vectors import OB_CREDENTIAL

OB = schemas.OB_ACHIEVEMENT_CREDENTIAL


def test_the_demo_issues_credentials_that_pass_the_schema(app, loaded, runner):
    keys.create_key()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    signed = [json.loads(s) for s in db.session.scalars(select(Credential.signed_json)
                                                         .where(Credential.signed_json.is_not(None)))]
    assert signed, result.output
    for doc in signed:
        assert schemas.errors(OB, doc) == []
        assert isinstance(doc["credentialStatus"], dict) and doc["credentialStatus"]["statusPurpose"] == "message"
        assert isinstance(doc["proof"], list) and len(doc["proof"]) == 1


def test_the_two_errors_of_credentials_issued_before_are_named_by_path():
    """What credentials issued before this change look like: two status entries, the proof an object."""
    old = {**OB_CREDENTIAL,
           "credentialStatus": [statuslist.entry("https://x.example/status/revocation/1", "revocation", 5),
                                statuslist.entry("https://x.example/status/suspension/1", "suspension", 5)],
           "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                     "verificationMethod": "did:web:x.example#key-1", "proofPurpose": "assertionMethod",
                     "proofValue": "z1"}}
    problems = schemas.errors(OB, old)
    assert any(p.startswith("/credentialStatus:") for p in problems), problems
    assert any(p.startswith("/proof:") for p in problems), problems
    assert not schemas.conforms(OB, old)


def test_a_signed_credential_with_one_status_entry_passes():
    key = signing.generate_key()
    doc = {**OB_CREDENTIAL, "credentialStatus": statuslist.entry("https://x.example/status/message/1", "message", 5)}
    signed = signing.sign(doc, key, "did:web:certs.example.org#key-1", "2026-01-15T09:00:00Z")
    assert schemas.errors(OB, signed) == []


def test_a_test_that_issues_a_failing_credential_fails_with_the_error_path():
    obschema.start()
    cred = Credential(signed_json=json.dumps({**OB_CREDENTIAL, "credentialStatus": [{"id": "x"}, {"id": "y"}]}))
    assert cred.signed_json is not None
    failures = obschema.failures()
    assert len(failures) == 1 and "/credentialStatus: " in failures[0], failures
    with pytest.raises(pytest.fail.Exception, match="/credentialStatus"):
        obschema.check()
    assert obschema.failures() == []            # reported once
